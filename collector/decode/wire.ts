import { PayloadError } from '../rows/types.ts';

// Protobuf wire format primitives. The OTLP decoders walk bytes with these and write rows
// directly; there is no generic message tree in between.

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_SGROUP = 3;
export const WIRE_EGROUP = 4;
export const WIRE_I32 = 5;

/** Buffer's `utf8Slice` (public on every Buffer, missing from @types/node). */
type NodeBuffer = Buffer & { utf8Slice(start: number, end: number): string; hexSlice(start: number, end: number): string };

/** A cursor over a protobuf message: `pos` advances, `end` bounds the current message. */
export class Reader {
  pos: number;
  readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    public end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.node = (Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)) as NodeBuffer;
  }

  private readonly node: NodeBuffer;

  /** Varint up to 2^53 as a number (lengths, tags, enums, small counts). */
  uint32(): number {
    // One-byte varints (most tags and short lengths) take a path small enough to be inlined.
    const pos = this.pos;
    if (pos < this.end) {
      const b = this.buf[pos]!;
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    return this.longVarint();
  }

  private longVarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) throw new PayloadError('truncated varint');
    let b = buf[pos++]!;
    let value = b & 0x7f;
    if (b < 0x80) {
      this.pos = pos;
      return value;
    }
    // A multiplier instead of 2 ** shift: exponentiation in this loop showed up in the profile.
    let shift = 7;
    let scale = 128;
    while (pos < this.end) {
      b = buf[pos++]!;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) {
        this.pos = pos;
        if (shift >= 63 && b > 1) throw new PayloadError('varint too long');
        return value;
      }
      shift += 7;
      if (shift > 63) throw new PayloadError('varint too long');
    }
    throw new PayloadError('truncated varint');
  }

  /** Varint as a full 64-bit unsigned bigint. */
  uint64(): bigint {
    let result = 0n;
    let shift = 0n;
    while (this.pos < this.end) {
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
      if (shift > 63n) throw new PayloadError('varint too long');
    }
    throw new PayloadError('truncated varint');
  }

  /** int64 varint (two's complement). */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64());
  }

  /** int32 varint: negative values are sign-extended to 10 bytes on the wire. */
  int32(): number {
    return Number(BigInt.asIntN(32, this.uint64()));
  }

  sint32(): number {
    const n = this.uint32();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  fixed32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  fixed64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  sfixed64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Length prefix of a LEN field, checked against the enclosing message. Returns the end offset. */
  lengthEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) throw new PayloadError(`length ${len} exceeds message bounds`);
    return end;
  }

  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /**
   * A bytes field as lowercase hex (ids). Node's native hex slice straight from the message buffer:
   * no subarray (a Buffer subarray is a costly species construction) and one flat string, where
   * `hex(bytes())` built a 16- or 32-piece cons string that every later read had to flatten (profiled).
   */
  hexBytes(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return this.node.hexSlice(start, end);
  }

  /** UTF-8 string; invalid sequences become U+FFFD (documented behaviour). */
  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    // Node's own UTF-8 slice: the fastest decoder here (profiled), and invalid UTF-8 becomes U+FFFD.
    return this.node.utf8Slice(start, end);
  }

  /** A string of at most `maxBytes` bytes as sent; a longer one is skipped unread and gives undefined. */
  boundedString(maxBytes: number): string | undefined {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return end - start > maxBytes ? undefined : this.node.utf8Slice(start, end);
  }

  /** Skips one field's value by its wire type (unknown fields are never fatal). */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT: {
        const start = this.pos;
        while (this.pos < this.end && this.buf[this.pos++]! >= 0x80) {}
        // pos === start: the message ended right after the tag.
        if (this.pos === start || this.buf[this.pos - 1]! >= 0x80) throw new PayloadError('truncated varint');
        return;
      }
      case WIRE_I64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd();
        return;
      case WIRE_I32:
        this.need(4);
        this.pos += 4;
        return;
      case WIRE_SGROUP: {
        if (depth > 32) throw new PayloadError('groups nested too deeply');
        for (;;) {
          if (this.pos >= this.end) throw new PayloadError('unterminated group');
          const tag = this.uint32();
          if ((tag & 7) === WIRE_EGROUP) return;
          this.skip(tag & 7, depth + 1);
        }
      }
      default:
        throw new PayloadError(`invalid wire type ${wireType}`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw new PayloadError('truncated fixed-width field');
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of an id. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}
