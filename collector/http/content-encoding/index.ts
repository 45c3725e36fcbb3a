import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';
import { GRPC } from '../../otlp-responses.ts';
import { HttpError } from '../http-error.ts';
import { decompressLz4 } from './lz4.ts';
import { BoundedOutput, CorruptContent, DecompressedTooLarge } from './output.ts';
import { decompressSnappy, decompressSnappyFramed } from './snappy.ts';
import { decompressZstd } from './zstd.ts';

// OTLP/HTTP Content-Encoding: what the OpenTelemetry Collector's confighttp accepts (gzip, zstd,
// zlib/deflate, snappy, x-snappy-framed, lz4), with one rule for all: the body size limit holds
// after decompression too, enforced while decompressing, so a small body that inflates to gigabytes
// costs at most the limit and gets 413 at once. A damaged body is 400; an unknown coding is 415.
// Every decompressor hands its output over in chunks as it inflates (BoundedOutput), where the caller
// may inspect it: the OTLP/JSON shape check refuses a JSON bomb at its first chunk.

type Decompress = (body: Buffer, out: BoundedOutput) => Promise<void> | void;

/** zlib as a stream, so output arrives in 64 KiB chunks and decompression stops at the first refusal. */
const zlibStream = (create: (options: { chunkSize: number }) => Gunzip | Inflate) => (body: Buffer, out: BoundedOutput) =>
  new Promise<void>((resolve, reject) => {
    const stream = create({ chunkSize: 64 * 1024 });
    stream.on('data', (chunk: Buffer) => {
      try {
        out.push(chunk);
      } catch (err) {
        stream.destroy();
        reject(err);
      }
    });
    stream.on('error', (err) => reject(new CorruptContent(err.message)));
    stream.on('end', () => resolve());
    stream.end(body);
  });

const DECOMPRESSORS: Record<string, Decompress> = {
  gzip: zlibStream(createGunzip),
  // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), as the Collector reads it.
  deflate: zlibStream(createInflate),
  zlib: zlibStream(createInflate),
  zstd: decompressZstd,
  snappy: decompressSnappy,
  'x-snappy-framed': decompressSnappyFramed,
  lz4: decompressLz4,
};

export const SUPPORTED_CONTENT_ENCODINGS = ['identity', ...Object.keys(DECOMPRESSORS)];

/**
 * Decodes a request body by its Content-Encoding; at most `limit` bytes after decompression.
 * `inspect` sees the decompressed bytes chunk by chunk and may throw to refuse the body.
 */
export async function decodeContentEncoding(raw: Buffer, encoding: string | undefined, limit: number, inspect?: (chunk: Uint8Array) => void): Promise<Buffer> {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return raw;
  const decompress = DECOMPRESSORS[name];
  if (!decompress) {
    throw new HttpError(415, GRPC.INVALID_ARGUMENT, `unsupported Content-Encoding "${name}"; supported: ${SUPPORTED_CONTENT_ENCODINGS.join(', ')}`);
  }
  const out = new BoundedOutput(limit, inspect);
  try {
    await decompress(raw, out);
    return out.concat();
  } catch (err) {
    if (err instanceof DecompressedTooLarge) throw new HttpError(413, GRPC.RESOURCE_EXHAUSTED, err.message);
    if (err instanceof CorruptContent) throw new HttpError(400, GRPC.INVALID_ARGUMENT, `invalid ${name} body: ${err.message}`);
    throw err;
  }
}
