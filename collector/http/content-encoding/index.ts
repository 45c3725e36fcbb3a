import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { GRPC } from '../../otlp-responses.ts';
import { HttpError } from '../http-error.ts';
import { decompressLz4 } from './lz4.ts';
import { CorruptContent, DecompressedTooLarge } from './output.ts';
import { decompressSnappy, decompressSnappyFramed } from './snappy.ts';
import { decompressZstd } from './zstd.ts';

// OTLP/HTTP Content-Encoding: what the OpenTelemetry Collector's confighttp accepts (gzip, zstd,
// zlib/deflate, snappy, x-snappy-framed, lz4), with one rule for all: the body size limit holds
// after decompression too, enforced while decompressing, so a small body that inflates to gigabytes
// costs at most the limit and gets 413 at once. A damaged body is 400; an unknown coding is 415.

type Decompress = (body: Buffer, limit: number) => Promise<Buffer> | Buffer;

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

// zlib stops producing output at maxOutputLength and fails with ERR_BUFFER_TOO_LARGE.
const zlibWith = (run: typeof gunzipAsync) => async (body: Buffer, limit: number) => {
  try {
    return await run(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new DecompressedTooLarge(limit);
    throw new CorruptContent((err as Error).message);
  }
};

const DECOMPRESSORS: Record<string, Decompress> = {
  gzip: zlibWith(gunzipAsync),
  // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2), as the Collector reads it.
  deflate: zlibWith(inflateAsync),
  zlib: zlibWith(inflateAsync),
  zstd: decompressZstd,
  snappy: decompressSnappy,
  'x-snappy-framed': decompressSnappyFramed,
  lz4: decompressLz4,
};

export const SUPPORTED_CONTENT_ENCODINGS = ['identity', ...Object.keys(DECOMPRESSORS)];

/** Decodes a request body by its Content-Encoding; at most `limit` bytes after decompression. */
export async function decodeContentEncoding(raw: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const name = (encoding ?? '').trim().toLowerCase();
  if (name === '' || name === 'identity') return raw;
  const decompress = DECOMPRESSORS[name];
  if (!decompress) {
    throw new HttpError(415, GRPC.INVALID_ARGUMENT, `unsupported Content-Encoding "${name}"; supported: ${SUPPORTED_CONTENT_ENCODINGS.join(', ')}`);
  }
  try {
    return await decompress(raw, limit);
  } catch (err) {
    if (err instanceof DecompressedTooLarge) throw new HttpError(413, GRPC.RESOURCE_EXHAUSTED, err.message);
    if (err instanceof CorruptContent) throw new HttpError(400, GRPC.INVALID_ARGUMENT, `invalid ${name} body: ${err.message}`);
    throw err;
  }
}
