import type { IncomingMessage } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { HttpError } from './http-error.ts';
import { GRPC } from '../otlp-responses.ts';

const gunzipAsync = promisify(gunzip);

function tooLarge(limit: number): HttpError {
  return new HttpError(413, GRPC.RESOURCE_EXHAUSTED, `request body exceeds the limit of ${limit} bytes`);
}

/** Reads the raw body, refusing more than `limit` bytes on the wire. */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * Decodes Content-Encoding. The limit applies after decompression too: zlib stops producing output
 * at `limit`, so a small gzip that inflates to gigabytes costs at most `limit` bytes and fails fast.
 */
export async function decodeContent(raw: Buffer, encoding: string | undefined, limit: number): Promise<Buffer> {
  const value = (encoding ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity') return raw;
  if (value !== 'gzip') throw new HttpError(415, GRPC.INVALID_ARGUMENT, `unsupported Content-Encoding "${value}"; supported: gzip, identity`);
  try {
    return await gunzipAsync(raw, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge(limit);
    throw new HttpError(400, GRPC.INVALID_ARGUMENT, `invalid gzip body: ${(err as Error).message}`);
  }
}
