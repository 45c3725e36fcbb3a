import { CorruptContent, DecompressedTooLarge, type BoundedOutput } from './output.ts';

// Content-Encoding: lz4, the LZ4 frame format (lz4_Frame_format.md), as the OpenTelemetry Collector
// writes it (pierrec/lz4). Decoded here: the npm decoders either skip bounds checks (lz4js writes past
// its buffer and reads before it on bad offsets) or are native one-shot calls with no output bound.
// The format is small: a frame header with an xxHash32 checksum, blocks of at most 64 KiB to 4 MiB
// (independent, or referring back into earlier blocks of the frame), optional block and content
// checksums (verified), skippable frames. Every length and offset is checked against the input, the
// frame's history and the size limit before it is used.

const MAGIC = 0x184d2204;
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const MIN_MATCH = 4;

/** Decompresses an LZ4 frame body (one or more frames) into `out`, block by block. */
export function decompressLz4(body: Uint8Array, sink: BoundedOutput): void {
  const out = new GrowingBuffer(sink, body.length);
  let pos = 0;
  while (pos < body.length) {
    const magic = u32(body, pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      pos += 8 + u32(body, pos + 4);
      if (pos > body.length) throw new CorruptContent('truncated skippable lz4 frame');
      continue;
    }
    if (magic !== MAGIC) throw new CorruptContent('not an lz4 frame');
    pos = readFrame(body, pos + 4, out);
  }
}

function readFrame(body: Uint8Array, at: number, out: GrowingBuffer): number {
  const flags = byte(body, at);
  const blockDescriptor = byte(body, at + 1);
  if (flags >>> 6 !== 1) throw new CorruptContent('unsupported lz4 frame version');
  if (flags & 0x02 || blockDescriptor & 0x8f) throw new CorruptContent('reserved bits set in an lz4 frame descriptor');
  if (flags & 0x01) throw new CorruptContent('lz4 dictionaries are not supported');
  const independent = (flags & 0x20) !== 0;
  const blockChecksums = (flags & 0x10) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const blockMaxSize = BLOCK_MAX_SIZES[(blockDescriptor >>> 4) & 7]!;
  if (blockMaxSize === 0) throw new CorruptContent('invalid lz4 block maximum size');
  let pos = at + 2;
  if (flags & 0x08) {
    // Content size: refuse at once what cannot fit.
    const contentSize = u32(body, pos) + u32(body, pos + 4) * 2 ** 32;
    if (contentSize > out.room) throw new DecompressedTooLarge(out.limit);
    pos += 8;
  }
  if (byte(body, pos) !== ((xxh32(body, at, pos) >>> 8) & 0xff)) throw new CorruptContent('lz4 frame header checksum mismatch');
  pos++;

  const frameStart = out.size;
  for (;;) {
    const word = u32(body, pos);
    pos += 4;
    if (word === 0) break; // EndMark
    const stored = (word & 0x80000000) !== 0;
    const size = word & 0x7fffffff;
    if (size > blockMaxSize) throw new CorruptContent('lz4 block larger than the frame allows');
    if (pos + size > body.length) throw new CorruptContent('truncated lz4 block');
    if (blockChecksums && u32(body, pos + size) !== xxh32(body, pos, pos + size)) throw new CorruptContent('lz4 block checksum mismatch');
    const blockStart = out.size;
    if (stored) out.append(body, pos, pos + size);
    else decodeBlock(body, pos, pos + size, out, independent ? blockStart : frameStart, blockStart + blockMaxSize);
    out.emit(blockStart);
    pos += size + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) {
    if (u32(body, pos) !== xxh32(out.bytes, frameStart, out.size)) throw new CorruptContent('lz4 content checksum mismatch');
    pos += 4;
  }
  return pos;
}

/**
 * One LZ4 block (sequences of literals and matches) from body[start, end) into `out`. Matches may
 * reach back to `historyStart`; the block may write up to `blockEnd` (and the size limit).
 */
function decodeBlock(body: Uint8Array, start: number, end: number, out: GrowingBuffer, historyStart: number, blockEnd: number): void {
  let pos = start;
  for (;;) {
    if (pos >= end) throw new CorruptContent('lz4 block ends with a match');
    const token = body[pos++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        b = byte(body, pos++);
        literals += b;
      } while (b === 255 && pos < end);
    }
    if (pos + literals > end) throw new CorruptContent('lz4 literals run past the block');
    if (out.size + literals > blockEnd) throw new CorruptContent('lz4 block decodes to more than its maximum size');
    out.append(body, pos, pos + literals);
    pos += literals;
    if (pos === end) return; // the last sequence has literals only
    if (pos + 2 > end) throw new CorruptContent('truncated lz4 match');
    const offset = body[pos]! | (body[pos + 1]! << 8);
    pos += 2;
    let length = (token & 15) + MIN_MATCH;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (pos >= end) throw new CorruptContent('truncated lz4 match length');
        b = body[pos++]!;
        length += b;
      } while (b === 255);
    }
    if (offset === 0 || out.size - offset < historyStart) throw new CorruptContent('lz4 match offset outside the window');
    if (out.size + length > blockEnd) throw new CorruptContent('lz4 block decodes to more than its maximum size');
    out.copyMatch(offset, length);
  }
}

/**
 * The output of one body: grows by doubling up to the limit, so the history matches refer to stays
 * contiguous. Each finished block is handed to the sink as a view (a grown buffer gets a copy; the
 * old one, which views still refer to, is never written again).
 */
class GrowingBuffer {
  bytes: Buffer;
  size = 0;
  readonly limit: number;

  constructor(
    private readonly sink: BoundedOutput,
    inputBytes: number,
  ) {
    this.limit = sink.limit;
    this.bytes = Buffer.allocUnsafe(Math.min(this.limit, Math.max(64 * 1024, inputBytes * 4)));
  }

  /** Hands the bytes from `start` on to the sink. */
  emit(start: number): void {
    this.sink.push(this.bytes.subarray(start, this.size));
  }

  get room(): number {
    return this.limit - this.size;
  }

  append(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.bytes.set(src.subarray(start, end), this.size);
    this.size += end - start;
  }

  /** An LZ77 match: `length` bytes from `offset` back, the copy overlapping its source when offset < length. */
  copyMatch(offset: number, length: number): void {
    this.ensure(length);
    const from = this.size - offset;
    // The bytes from `from` repeat with period `offset`: copy spans that double, each from written bytes.
    for (let done = 0; done < length; ) {
      const n = Math.min(offset + done, length - done);
      this.bytes.copyWithin(this.size + done, from, from + n);
      done += n;
    }
    this.size += length;
  }

  private ensure(bytes: number): void {
    if (bytes > this.room) throw new DecompressedTooLarge(this.limit);
    if (this.size + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.limit, Math.max(this.bytes.length * 2, this.size + bytes)));
    this.bytes.copy(grown, 0, 0, this.size);
    this.bytes = grown;
  }
}

function byte(body: Uint8Array, at: number): number {
  if (at >= body.length) throw new CorruptContent('truncated lz4 frame');
  return body[at]!;
}

function u32(body: Uint8Array, at: number): number {
  if (at + 4 > body.length) throw new CorruptContent('truncated lz4 frame');
  return (body[at]! | (body[at + 1]! << 8) | (body[at + 2]! << 16) | (body[at + 3]! << 24)) >>> 0;
}

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const round = (acc: number, lane: number) => Math.imul(rotl((acc + Math.imul(lane, PRIME2)) | 0, 13), PRIME1);

/** xxHash32 (seed 0) of data[start, end), the checksum of the LZ4 frame format. */
export function xxh32(data: Uint8Array, start: number, end: number): number {
  const lane = (at: number) => data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
  let pos = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (PRIME1 + PRIME2) | 0;
    let v2 = PRIME2;
    let v3 = 0;
    let v4 = -PRIME1 | 0;
    for (; pos + 16 <= end; pos += 16) {
      v1 = round(v1, lane(pos));
      v2 = round(v2, lane(pos + 4));
      v3 = round(v3, lane(pos + 8));
      v4 = round(v4, lane(pos + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = PRIME5;
  }
  h = (h + (end - start)) | 0;
  for (; pos + 4 <= end; pos += 4) h = Math.imul(rotl((h + Math.imul(lane(pos), PRIME3)) | 0, 17), PRIME4);
  for (; pos < end; pos++) h = Math.imul(rotl((h + Math.imul(data[pos]!, PRIME5)) | 0, 11), PRIME1);
  h = Math.imul(h ^ (h >>> 15), PRIME2);
  h = Math.imul(h ^ (h >>> 13), PRIME3);
  return (h ^ (h >>> 16)) >>> 0;
}
