import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';
import { GRPC } from '../otlp-responses.ts';

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
