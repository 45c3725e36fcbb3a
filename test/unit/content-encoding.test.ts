import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { compress as snappyBlock } from 'snappyjs';
import { decodeContentEncoding } from '../../collector/http/content-encoding/index.ts';
import { decompressLz4, xxh32 } from '../../collector/http/content-encoding/lz4.ts';
import { BoundedOutput, CorruptContent, DecompressedTooLarge } from '../../collector/http/content-encoding/output.ts';
import { crc32c, decompressSnappy, decompressSnappyBlock, decompressSnappyFramed } from '../../collector/http/content-encoding/snappy.ts';
import { decompressZstd } from '../../collector/http/content-encoding/zstd.ts';
import { HttpError } from '../../collector/http/http-error.ts';
import { prng } from '../../bench/fuzz-lib.ts';
import { JsonShapeScanner } from '../../collector/decode/json-shape.ts';
import { PayloadError } from '../../collector/rows/types.ts';

// Every Content-Encoding the OTLP/HTTP receiver accepts, on bodies made by the reference
// compressors (Debian's zstd and lz4 command-line tools, snappyjs for snappy blocks, zlib), their
// bombs (413 before or while inflating, never past the limit), damaged and hostile bodies (400).

const MiB = 1024 * 1024;

/** Runs a reference compressor; the machine image has zstd and lz4 (Debian packages of the same names). */
function cli(tool: 'zstd' | 'lz4', args: string[], input: Uint8Array): Buffer {
  try {
    return execFileSync(tool, [...args, '-q', '-c'], { input, maxBuffer: 1024 * MiB });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') throw new Error(`${tool} is not installed: apt-get install ${tool} (or brew install ${tool})`);
    throw err;
  }
}

/** Semi-compressible bytes, like an OTLP payload: repeated keys, random values. */
function sample(bytes: number, seed = 1): Buffer {
  const rand = prng(seed);
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const part = `{"key":"attr.${Math.floor(rand() * 50)}","value":{"stringValue":"${Math.floor(rand() * 1e12).toString(36)}"}},`;
    parts.push(part);
    size += part.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** The snappy framing format, written by hand from framing_format.txt (stream identifier, chunks with masked CRC-32C). */
function snappyFramed(data: Uint8Array, compressed = true): Buffer {
  const chunks: Buffer[] = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
  for (let at = 0; at < data.length; at += 65_536) {
    const piece = data.subarray(at, at + 65_536);
    const crc = crc32c(piece);
    const masked = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
    const payload = compressed ? Buffer.from(snappyBlock(Uint8Array.from(piece))) : Buffer.from(piece);
    const header = Buffer.alloc(8);
    header[0] = compressed ? 0x00 : 0x01;
    header.writeUIntLE(payload.length + 4, 1, 3);
    header.writeUInt32LE(masked, 4);
    chunks.push(header, payload);
  }
  return Buffer.concat(chunks);
}

/** Runs one decompressor into a fresh output of `limit` bytes. */
function inflate(decompress: (body: Uint8Array, out: BoundedOutput) => void, body: Uint8Array, limit: number): Buffer {
  const out = new BoundedOutput(limit);
  decompress(body, out);
  return out.concat();
}

/** Byte equality without vitest's element-wise deep equality (slow on megabytes). */
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength), Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(0);
}

async function expectStatus(body: Buffer, encoding: string, limit: number, status: number, message: RegExp): Promise<number> {
  const started = performance.now();
  const error = await decodeContentEncoding(body, encoding, limit).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(HttpError);
  expect((error as HttpError).status).toBe(status);
  expect((error as HttpError).message).toMatch(message);
  return performance.now() - started;
}

describe('Content-Encoding decoders on real compressed bodies', () => {
  const data = sample(MiB + 12_345);

  it('checks the hashes against their published values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(xxh32(Buffer.from(''), 0, 0)).toBe(0x02cc5d05);
    const text = Buffer.from('Nobody inspects the spammish repetition');
    expect(xxh32(text, 0, text.length)).toBe(0xe2293b2f);
  });

  it('decodes gzip and deflate (the zlib format, as HTTP and the Collector mean it)', async () => {
    expectBytes(await decodeContentEncoding(gzipSync(data), 'gzip', 64 * MiB), data);
    expectBytes(await decodeContentEncoding(deflateSync(data), 'deflate', 64 * MiB), data);
    expectBytes(await decodeContentEncoding(deflateSync(data), 'zlib', 64 * MiB), data);
    await expectStatus(deflateRawSync(data), 'deflate', 64 * MiB, 400, /^invalid deflate body/);
  });

  it('decodes zstd from the reference tool: streamed, with content size, checksummed, several frames', () => {
    const part = data.subarray(0, 300_000);
    const small = data.subarray(0, 1_000);
    const variants: [Buffer, Uint8Array][] = [
      [cli('zstd', ['-3'], data), data], // from a pipe: a windowed frame without content size
      [cli('zstd', ['-19', '--check'], part), part], // an 8 MiB window, the largest accepted
      [cli('zstd', ['-1', '--content-size', `--stream-size=${data.length}`], data), data],
      [cli('zstd', ['-3', '--no-check', '--content-size', `--stream-size=${small.length}`], small), small], // a single-segment frame
      [Buffer.concat([cli('zstd', ['-3'], data.subarray(0, 500_000)), cli('zstd', ['-5'], data.subarray(500_000))]), data],
    ];
    for (const [body, expected] of variants) expectBytes(inflate(decompressZstd, body, 64 * MiB), expected);
  });

  it('decodes snappy blocks, and framed snappy under both names', () => {
    const block = Buffer.from(snappyBlock(Uint8Array.from(data)));
    expectBytes(inflate(decompressSnappy, block, 64 * MiB), data);
    expectBytes(inflate(decompressSnappy, snappyFramed(data), 64 * MiB), data);
    expectBytes(inflate(decompressSnappyFramed, snappyFramed(data), 64 * MiB), data);
    expectBytes(inflate(decompressSnappyFramed, snappyFramed(data, false), 64 * MiB), data);
  });

  it('decodes lz4 frames from the reference tool: every block size, linked blocks, checksums, content size, several frames', () => {
    const variants = [
      [],
      ['-9'],
      ['-B4'],
      ['-B5', '-BD'],
      ['-B6', '-BX'],
      ['-B7', '--content-size'],
      ['--no-frame-crc', '-BD', '-B4'],
    ].map((args) => cli('lz4', args, data));
    for (const body of variants) expectBytes(inflate(decompressLz4, body, 64 * MiB), data);
    const twoFrames = Buffer.concat([cli('lz4', ['-BD', '-B4'], data.subarray(0, 100_000)), cli('lz4', [], data.subarray(100_000))]);
    expectBytes(inflate(decompressLz4, twoFrames, 64 * MiB), data);
  });

  it('answers 415 naming the supported encodings for any other', async () => {
    await expectStatus(data, 'br', 64 * MiB, 415, /supported: identity, gzip, deflate, zlib, zstd, snappy, x-snappy-framed, lz4$/);
  });
});

describe('Content-Encoding bombs and hostile bodies', () => {
  // A smaller limit than the collector's 64 MiB default keeps the test quick; the bounds are the same.
  const zeros = Buffer.alloc(64 * MiB);
  const limit = 8 * MiB;

  it('refuses a bomb of each encoding with 413, inflating at most the limit', async () => {
    const bombs: [string, Buffer][] = [
      ['gzip', gzipSync(zeros, { level: 9 })],
      ['deflate', deflateSync(zeros, { level: 9 })],
      ['zstd', cli('zstd', ['-19'], zeros)],
      ['lz4', cli('lz4', ['-9'], zeros)],
      ['snappy', Buffer.from(snappyBlock(Uint8Array.from(zeros.subarray(0, 16 * MiB))))],
      ['x-snappy-framed', snappyFramed(zeros.subarray(0, 16 * MiB))],
    ];
    for (const [encoding, bomb] of bombs) {
      const ms = await expectStatus(bomb, encoding, limit, 413, /exceeds the limit of 8388608 bytes after decompression/);
      console.log(`${encoding} bomb: ${(bomb.length / 1024).toFixed(0)} KiB → 413 in ${ms.toFixed(0)} ms`);
    }
  });

  it('refuses zstd frames that would make the decoder work without output: huge windows, floods of empty blocks', async () => {
    const frame = (descriptor: number[], blocks: number, last = true) => {
      const out = [0x28, 0xb5, 0x2f, 0xfd, ...descriptor];
      for (let i = 0; i < blocks; i++) out.push(last && i === blocks - 1 ? 1 : 0, 0, 0); // empty raw blocks
      return Buffer.from(out);
    };
    // An 8 MiB window (the largest accepted) with 200,000 empty blocks: 1.6 TB of window moves in fzstd.
    const ms = await expectStatus(frame([0x00, 13 << 3], 200_000), 'zstd', limit, 413, /exceeds the limit/);
    console.log(`zstd flood of empty blocks: 413 in ${ms.toFixed(0)} ms`);
    await expectStatus(frame([0x00, 14 << 3], 1), 'zstd', limit, 400, /zstd window of 16777216 bytes is over the supported 8388608/);
    // A single-segment frame declaring 4 GiB of content: its window is its content size.
    await expectStatus(frame([0xe0, 0, 0, 0, 0, 1, 0, 0, 0], 1), 'zstd', limit, 400, /window of 4294967296 bytes/);
    // RLE blocks state their size: 1,000 × 128 KiB is refused before a byte is inflated.
    const rle = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3];
    for (let i = 0; i < 1_000; i++) rle.push(...[(i === 999 ? 1 : 0) | (1 << 1) | ((128 * 1024) << 3)].flatMap((h) => [h & 255, (h >>> 8) & 255, (h >>> 16) & 255]), 0);
    await expectStatus(Buffer.from(rle), 'zstd', limit, 413, /exceeds the limit/);
  });

  it('refuses snappy blocks that claim more than the limit, or more than they can hold, before allocating', async () => {
    const claims = (length: number) => Buffer.from([...[0, 7, 14, 21, 28].map((s, i, a) => ((length / 2 ** s) & 0x7f) | (i < a.length - 1 ? 0x80 : 0)), 0x00]);
    await expectStatus(claims(9 * MiB), 'snappy', limit, 413, /exceeds the limit/);
    await expectStatus(claims(7 * MiB), 'snappy', limit, 400, /declares more data than it can hold/);
    expect(() => inflate(decompressSnappyBlock, claims(7 * MiB), limit)).toThrow(CorruptContent);
  });

  it('answers damaged bodies of every encoding with 400, never another error, on 1,500 seeded mutations', async () => {
    const data = sample(100_000, 7);
    const valid: [string, Buffer][] = [
      ['zstd', cli('zstd', ['-3', '--check'], data)],
      ['lz4', cli('lz4', ['-BD', '-B4', '-BX'], data)],
      ['lz4', cli('lz4', ['--content-size'], data)],
      ['snappy', Buffer.from(snappyBlock(Uint8Array.from(data)))],
      ['x-snappy-framed', snappyFramed(data)],
    ];
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < 1_500; i++) {
      const rand = prng(100 + i);
      const [encoding, body] = valid[i % valid.length]!;
      const mutated = Buffer.from(body);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? mutated.subarray(0, Math.floor(rand() * mutated.length)) : mutated;
      const result = await decodeContentEncoding(cut, encoding, 1 * MiB).then(
        (out) => out,
        (err: unknown) => err,
      );
      if (result instanceof HttpError) {
        expect([400, 413]).toContain(result.status);
        outcomes.refused++;
      } else {
        expect(result).toBeInstanceOf(Buffer);
        expect((result as Buffer).length).toBeLessThanOrEqual(1 * MiB);
        outcomes.ok++;
      }
    }
    // Checksums catch most damage; both outcomes occur, so both paths are exercised.
    expect(outcomes.refused).toBeGreaterThan(750);
    expect(outcomes.ok).toBeGreaterThan(0);
  });

  it('lz4: refuses offsets before the frame and blocks over their maximum size', () => {
    const header = (flags: number, bd: number) => {
      const descriptor = Buffer.from([flags, bd]);
      return Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32(descriptor, 0, 2) >>> 8) & 0xff])]);
    };
    const block = (bytes: number[]) => Buffer.concat([Buffer.from(Uint32Array.of(bytes.length).buffer), Buffer.from(bytes)]);
    const end = Buffer.alloc(4);
    // token: 1 literal, match length 4 at offset 5 (only 1 byte of history).
    expect(() => inflate(decompressLz4, Buffer.concat([header(0x60, 0x40), block([0x10, 0x41, 0x05, 0x00, 0x00]), end]), MiB)).toThrow(/offset outside the window/);
    // A 283-byte block of 64 KiB maximum that decodes to 70,001 bytes (one literal, then a 70,000-byte match).
    const overlong = [0x1f, 0x41, 0x01, 0x00, ...Array(274).fill(255), 70_000 - 19 - 274 * 255, 0x00];
    expect(() => inflate(decompressLz4, Buffer.concat([header(0x60, 0x40), block(overlong), end]), MiB)).toThrow(/more than its maximum size/);
    expect(inflate(decompressLz4, Buffer.concat([header(0x60, 0x70), block(overlong), end]), MiB)).toEqual(Buffer.alloc(70_001, 0x41));
    // A block must end with literals, not with a match.
    expect(() => inflate(decompressLz4, Buffer.concat([header(0x60, 0x40), block([0x10, 0x41, 0x01, 0x00]), end]), MiB)).toThrow(/ends with a match/);
    expect(() => inflate(decompressLz4, Buffer.concat([header(0x60, 0x40), block([0x10, 0x41]), end]), 0)).toThrow(DecompressedTooLarge);
  });
});

describe('Content-Encoding output inspection', () => {
  it('stops inflating a JSON bomb of every encoding at its first chunks', async () => {
    const nested = Buffer.alloc(32 * MiB, '[');
    const bombs: [string, Buffer][] = [
      ['gzip', gzipSync(nested, { level: 9 })],
      ['deflate', deflateSync(nested, { level: 9 })],
      ['zstd', cli('zstd', ['-19'], nested)],
      ['lz4', cli('lz4', ['-9', '-B4'], nested)],
      ['x-snappy-framed', snappyFramed(nested.subarray(0, 4 * MiB))],
    ];
    for (const [encoding, bomb] of bombs) {
      let seen = 0;
      const scanner = new JsonShapeScanner(148, 4 * MiB);
      const error = await decodeContentEncoding(bomb, encoding, 64 * MiB, (chunk) => {
        seen += chunk.length;
        scanner.feed(chunk);
      }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error, encoding).toEqual(new PayloadError('JSON nested deeper than 148 levels'));
      expect(seen, encoding).toBeLessThanOrEqual(256 * 1024);
    }
  });
});

