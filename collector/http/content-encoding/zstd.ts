import { Decompress } from 'fzstd';
import { CorruptContent, DecompressedTooLarge, type BoundedOutput } from './output.ts';

// Content-Encoding: zstd (RFC 8878), decoded by fzstd: small, pure JS, by the author of fflate
// (Node 20's zlib has no zstd, and the native bindings need build scripts). fzstd has two traits a
// server must not hand to a client: it allocates whatever window a frame declares, and it moves its
// whole window for every block, so a body costs blocks × window however little it inflates to (8 KB
// of empty blocks declaring an 8 MiB window took 0.4 s). So the frames and block headers are walked
// here first (header bytes only) and fzstd sees a frame only when:
//   - its window is at most 8 MiB (what RFC 8878 asks every decoder to support, and what zstd -19 and
//     the Go encoder use; a single-segment frame's window is its content size), and no dictionary;
//   - the body's blocks × window stays within 256 × the size limit (a body of 64 KiB blocks, which
//     older Go encoders write, under an 8 MiB window needs 128 ×; 256 × 64 MiB of window moves took
//     about half a second here);
//   - its raw and RLE blocks, whose sizes the headers state, do not already pass the limit (the
//     usual bomb, RLE blocks of zeros, is refused before anything is inflated).
// The output is then collected frame by frame up to the limit; past it, decoding stops (413).

const MAX_WINDOW = 8 * 1024 * 1024;
const MAX_BLOCK = 128 * 1024;
const WORK_PER_LIMIT_BYTE = 256;

interface Frame {
  start: number;
  end: number;
}

/** Decompresses a zstd body (one or more frames, skippable frames allowed) into `out`. */
export function decompressZstd(body: Uint8Array, out: BoundedOutput): void {
  for (const frame of zstdFrames(body, out.limit)) {
    // What the output refuses (the limit, the inspection) passes through; anything fzstd throws is the data's fault.
    let refused: unknown;
    const decoder = new Decompress((chunk) => {
      try {
        out.push(chunk);
      } catch (err) {
        refused = err;
        throw err;
      }
    });
    try {
      decoder.push(body.subarray(frame.start, frame.end), true);
    } catch (err) {
      throw refused ?? new CorruptContent((err as Error).message);
    }
  }
}

/** The zstd frames of `body`, checked against the bounds above. */
export function zstdFrames(body: Uint8Array, limit: number): Frame[] {
  const frames: Frame[] = [];
  let pos = 0;
  let statedBytes = 0;
  let work = 0;
  while (pos < body.length) {
    need(body, pos, 4);
    const magic = u32(body, pos);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame: magic, size, data.
      need(body, pos + 4, 4);
      pos += 8 + u32(body, pos + 4);
      need(body, pos, 0);
      continue;
    }
    if (magic !== 0xfd2fb528) throw new CorruptContent('not a zstd frame');
    const start = pos;
    const header = readFrameHeader(body, pos + 4);
    pos = header.end;
    for (let last = false; !last; ) {
      need(body, pos, 3);
      const block = body[pos]! | (body[pos + 1]! << 8) | (body[pos + 2]! << 16);
      last = (block & 1) === 1;
      const type = (block >>> 1) & 3;
      const size = block >>> 3;
      pos += 3;
      if (type === 3) throw new CorruptContent('reserved zstd block type');
      if (size > Math.min(header.window, MAX_BLOCK)) throw new CorruptContent('zstd block larger than its maximum size');
      if (type !== 2) statedBytes += size; // raw and RLE blocks state their regenerated size
      pos += type === 1 ? 1 : size;
      need(body, pos, 0);
      work += header.window;
    }
    if (header.checksum) pos += 4;
    need(body, pos, 0);
    if (statedBytes > limit) throw new DecompressedTooLarge(limit);
    if (work > WORK_PER_LIMIT_BYTE * limit) throw new DecompressedTooLarge(limit);
    frames.push({ start, end: pos });
  }
  return frames;
}

function readFrameHeader(body: Uint8Array, at: number): { end: number; window: number; checksum: boolean } {
  need(body, at, 1);
  const descriptor = body[at]!;
  const contentSizeFlag = descriptor >>> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  if (descriptor & 0x08) throw new CorruptContent('reserved bit set in a zstd frame header');
  const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 3]!;
  let pos = at + 1;
  let window = 0;
  if (!singleSegment) {
    need(body, pos, 1);
    const exponent = body[pos]! >>> 3;
    const base = 2 ** (10 + exponent);
    window = base + (base / 8) * (body[pos]! & 7);
    pos++;
  }
  need(body, pos, dictionaryIdBytes);
  for (let i = 0; i < dictionaryIdBytes; i++) if (body[pos + i] !== 0) throw new CorruptContent('zstd dictionaries are not supported');
  pos += dictionaryIdBytes;
  const contentSizeBytes = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag;
  need(body, pos, contentSizeBytes);
  if (singleSegment) {
    let contentSize = 0;
    for (let i = contentSizeBytes - 1; i >= 0; i--) contentSize = contentSize * 256 + body[pos + i]!;
    window = contentSize + (contentSizeFlag === 1 ? 256 : 0);
  }
  pos += contentSizeBytes;
  if (window > MAX_WINDOW) throw new CorruptContent(`zstd window of ${window} bytes is over the supported ${MAX_WINDOW}`);
  return { end: pos, window: Math.max(window, 1), checksum: (descriptor & 0x04) !== 0 };
}

function u32(body: Uint8Array, at: number): number {
  return (body[at]! | (body[at + 1]! << 8) | (body[at + 2]! << 16) | (body[at + 3]! << 24)) >>> 0;
}

function need(body: Uint8Array, at: number, bytes: number): void {
  if (at + bytes > body.length) throw new CorruptContent('truncated zstd frame');
}
