import { uncompress } from 'snappyjs';
import { CorruptContent, type BoundedOutput } from './output.ts';

// Content-Encoding: snappy and x-snappy-framed, as the OpenTelemetry Collector's confighttp reads them:
// `snappy` is the block format, or the framing format when the body starts with its stream identifier
// (older Collectors sent framed bodies under that name); `x-snappy-framed` is the framing format.
// Blocks are decoded by snappyjs (pure JS, bounds-checked), which reads the length a block declares
// before allocating, so the limit is checked before anything is inflated. The framing format
// (google/snappy framing_format.txt) is parsed here: chunks of at most 64 KiB, each with a masked
// CRC-32C of its data, which is verified.

const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const MAX_CHUNK_DATA = 65_536;

/** `snappy`: framed when the body starts with the stream identifier, else one block. */
export function decompressSnappy(body: Uint8Array, out: BoundedOutput): void {
  if (startsWithStreamIdentifier(body)) decompressSnappyFramed(body, out);
  else decompressSnappyBlock(body, out);
}

/** One snappy block: a varint of the uncompressed length, then the compressed data. */
export function decompressSnappyBlock(body: Uint8Array, out: BoundedOutput): void {
  const declared = declaredLength(body);
  out.reserve(declared);
  out.push(uncompressChecked(body, declared));
}

/** `x-snappy-framed`: the framing format. Chunks state their sizes, so a bomb is refused before inflating. */
export function decompressSnappyFramed(body: Uint8Array, out: BoundedOutput): void {
  if (!startsWithStreamIdentifier(body)) throw new CorruptContent('snappy framed stream must start with its stream identifier');
  let stated = 0;
  for (const { type, start, end } of chunks(body)) {
    if (type === 0x00 && end - start > 4) stated += declaredLength(body.subarray(start + 4, end));
    else if (type === 0x01) stated += end - start - 4;
  }
  out.reserve(stated);
  for (const { type, start, end } of chunks(body)) {
    if (type === 0xff) {
      if (!STREAM_IDENTIFIER.equals(body.subarray(start - 4, end))) throw new CorruptContent('invalid snappy stream identifier');
    } else if (type === 0x00 || type === 0x01) {
      if (end - start < 4) throw new CorruptContent('snappy chunk too short for its checksum');
      const data = body.subarray(start + 4, end);
      const chunk = type === 0x00 ? uncompressChecked(data, declaredLength(data)) : data;
      if (chunk.length > MAX_CHUNK_DATA) throw new CorruptContent('snappy chunk holds more than 64 KiB');
      if (maskedCrc32c(chunk) !== u32(body, start)) throw new CorruptContent('snappy chunk checksum mismatch');
      out.push(chunk);
    } else if (type < 0x80) {
      throw new CorruptContent(`reserved unskippable snappy chunk type ${type}`);
    } // 0x80..0xfe: skippable (0xfe is padding)
  }
}

/** The chunks of a framed stream: type and the [start, end) of their data. */
function* chunks(body: Uint8Array): Generator<{ type: number; start: number; end: number }> {
  let pos = 0;
  while (pos < body.length) {
    if (pos + 4 > body.length) throw new CorruptContent('truncated snappy chunk header');
    const start = pos + 4;
    const end = start + (body[pos + 1]! | (body[pos + 2]! << 8) | (body[pos + 3]! << 16));
    if (end > body.length) throw new CorruptContent('truncated snappy chunk');
    yield { type: body[pos]!, start, end };
    pos = end;
  }
}

function startsWithStreamIdentifier(body: Uint8Array): boolean {
  return body.length >= STREAM_IDENTIFIER.length && STREAM_IDENTIFIER.equals(body.subarray(0, STREAM_IDENTIFIER.length));
}

/** The uncompressed length a block declares (its varint preamble). */
function declaredLength(block: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    value += (block[i]! & 0x7f) * 2 ** (7 * i);
    if (block[i]! < 0x80) return value;
  }
  throw new CorruptContent('invalid snappy block length');
}

/** Decodes a block that declares `length` bytes (checked against the limit by the caller). */
function uncompressChecked(block: Uint8Array, length: number): Uint8Array {
  if (length > block.length * 32) {
    // No snappy element inflates more than 64/3 × (a 3-byte copy of 64 bytes): a bigger claim is a
    // lie that would only make snappyjs allocate it.
    throw new CorruptContent('snappy block declares more data than it can hold');
  }
  try {
    return uncompress(block, length);
  } catch (err) {
    throw new CorruptContent((err as Error).message);
  }
}

const CRC32C_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-32C (Castagnoli), as the framing format uses it. */
export function crc32c(data: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < data.length; i++) crc = CRC32C_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** The framing format's checksum: the CRC rotated right by 15 bits plus a constant. */
function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function u32(body: Uint8Array, at: number): number {
  return (body[at]! | (body[at + 1]! << 8) | (body[at + 2]! << 16) | (body[at + 3]! << 24)) >>> 0;
}
