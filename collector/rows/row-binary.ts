import { isUtf8 } from 'node:buffer';

// RowBinary: ClickHouse's length-prefixed binary row format (18.16 and current). Chosen by
// measurement over TabSeparated and JSONEachRow (README "Performance"): cheapest to produce,
// smallest on the wire, and there is no escaping to get wrong — strings are bytes with a length.

/** Appends RowBinary values to one growing buffer. */
export class RowBinaryWriter {
  private buf: Buffer;
  // Fixed-width values go through a DataView: V8 builtins, where Buffer#write*LE are JS with range
  // checks (and the BigInt ones allocate intermediate BigInts) — measured in docs/performance.md.
  private view: DataView;
  pos = 0;
  /** The last source of utf8Bytes and a DataView on it (a request body: reused for all its strings). */
  private source: Uint8Array | undefined;
  private sourceView: DataView = new DataView(new ArrayBuffer(0));

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.replaceBuffer(next);
  }

  varint(n: number): void {
    this.ensure(10);
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  string(s: string): void {
    // Fast path: at most 3 bytes per UTF-16 unit, so short strings need a one-byte length.
    const n = s.length;
    if (n < 42) {
      this.ensure(1 + n * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      // ASCII is written by hand: cheaper than a call into Buffer.write for short strings.
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos = start + n;
        return;
      }
      const written = buf.write(s, start, 'utf8');
      this.buf[this.pos] = written;
      this.pos += 1 + written;
      return;
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  u8(n: number): void {
    this.ensure(1);
    this.buf[this.pos++] = n;
  }

  u16(n: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, n, true);
    this.pos += 2;
  }

  u32(n: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, n >>> 0, true);
    this.pos += 4;
  }

  i32(n: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, n | 0, true);
    this.pos += 4;
  }

  /** setBigUint64 / setBigInt64 wrap modulo 2^64 (ToBigUint64), as BigInt.asUintN / asIntN did. */
  u64(n: bigint): void {
    this.ensure(8);
    this.view.setBigUint64(this.pos, n, true);
    this.pos += 8;
  }

  /** A UInt64 given as its two 32-bit halves (no BigInt). */
  u64Halves(low: number, high: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, low, true);
    this.view.setUint32(this.pos + 4, high, true);
    this.pos += 8;
  }

  /** `n` zero bytes: e.g. several empty arrays (a varint 0 each). */
  zeros(n: number): void {
    this.ensure(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) buf[this.pos++] = 0;
  }

  i64(n: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.pos, n, true);
    this.pos += 8;
  }

  f64(n: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, n, true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /**
   * A String column value copied from UTF-8 bytes `src[start, end)` (a protobuf string field), with
   * no JS string in between. Returns false, having written nothing, when the bytes are not valid
   * UTF-8: the caller then writes the decoded text (with U+FFFD), as the string path does.
   */
  utf8Bytes(src: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    const pos = this.pos;
    if (n > 64) {
      // Plain Uint8Array views: a Buffer subarray goes through the (slow) species constructor.
      buf.set(new Uint8Array(src.buffer, src.byteOffset + start, n), pos);
      if (!isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + pos, n))) return this.undoLength(n);
    } else {
      // Short strings: copied four bytes at a time through DataViews (cheaper than a native copy
      // call), OR-ing the bytes together to tell whether they are all ASCII.
      if (src !== this.source) {
        this.source = src;
        this.sourceView = new DataView(src.buffer, src.byteOffset, src.byteLength);
      }
      const from = this.sourceView;
      const to = this.view;
      let high = 0;
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        const word = from.getUint32(start + i);
        high |= word;
        to.setUint32(pos + i, word);
      }
      for (; i < n; i++) {
        const b = src[start + i]!;
        high |= b;
        buf[pos + i] = b;
      }
      if ((high & 0x80808080) !== 0 && !isUtf8(new Uint8Array(buf.buffer, buf.byteOffset + pos, n))) return this.undoLength(n);
    }
    this.pos = pos + n;
    return true;
  }

  /** A String column value: lowercase hex of `src[start, end)` (trace and span ids). */
  hexBytes(src: Uint8Array, start: number, end: number): void {
    const n = (end - start) * 2;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = start; i < end; i++) {
      const b = src[i]!;
      buf[pos++] = HEX_DIGITS[b >>> 4]!;
      buf[pos++] = HEX_DIGITS[b & 15]!;
    }
    this.pos = pos;
  }

  /** Takes back the length prefix written for an n-byte string. */
  private undoLength(n: number): false {
    this.pos -= n < 0x80 ? 1 : varintSize(n);
    return false;
  }

  strings(a: readonly string[]): void {
    this.varint(a.length);
    for (let i = 0; i < a.length; i++) this.string(a[i]!);
  }

  /** Takes the bytes written so far and starts over. */
  take(): Buffer {
    const out = this.slice(0);
    this.pos = 0;
    return out;
  }

  /**
   * Before an output of about `bytes`: when nothing is pending, a buffer of that size (a fresh one
   * after a hand-over, or when the current one is far larger, so that takeOrHandOver can hand it over).
   */
  reserve(bytes: number): void {
    if (this.pos === 0 && (this.buf.length < bytes || this.buf.length > 2 * bytes)) this.replaceBuffer(Buffer.allocUnsafe(bytes));
    else this.ensure(bytes);
  }

  private replaceBuffer(next: Buffer): void {
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /**
   * The bytes written so far, like take(), but without the copy when they fill at least 3/4 of the
   * buffer: then the buffer itself is handed over (at most a quarter of it is kept alive unused) and
   * the writer starts over with an empty one; call reserve() before writing again. For request-sized
   * outputs the copy in take() (into fresh memory) was ~10% of transcoding.
   */
  takeOrHandOver(): Buffer {
    this.source = undefined; // do not keep the request body alive until the next one
    if (this.pos < this.buf.length * 0.75) return this.take();
    const out = this.buf.subarray(0, this.pos);
    this.replaceBuffer(EMPTY);
    this.pos = 0;
    return out;
  }

  /** Bytes written since `start` (for caching an encoded fragment). */
  slice(start: number): Buffer {
    // allocUnsafe + copy (memcpy): Buffer.from(subarray) zero-fills and copies through the generic
    // array-like path, which showed up as 5% of decode+encode in the profile.
    const out = Buffer.allocUnsafe(this.pos - start);
    this.buf.copy(out, 0, start, this.pos);
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}
