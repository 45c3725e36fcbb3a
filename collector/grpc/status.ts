import * as grpc from '@grpc/grpc-js';
import { toHttpError } from '../http/app.ts';
import { retryInfoAny, statusProto } from '../otlp-responses.ts';

// The receiver's errors in gRPC terms, as the OTLP specification has exporters read them: every
// "retry later" (ingest queue or spool full, ClickHouse unavailable, shutting down) is UNAVAILABLE
// with a RetryInfo in grpc-status-details-bin carrying the Retry-After delay. RESOURCE_EXHAUSTED
// without RetryInfo means "do not retry" to the Collector's and the Go/Java exporters, so it is kept
// for a message over the size limit only.

const HTTP_TO_GRPC_STATUS: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  408: grpc.status.DEADLINE_EXCEEDED,
  413: grpc.status.RESOURCE_EXHAUSTED,
  500: grpc.status.INTERNAL,
};

/** The status (and trailers) a failed Export call ends with. */
export function grpcErrorOf(err: unknown): Partial<grpc.StatusObject> & { code: grpc.status } {
  const error = toHttpError(err);
  if (error.status === 503) return unavailable(error.message, error.retryAfterSeconds ?? 1);
  return { code: HTTP_TO_GRPC_STATUS[error.status] ?? grpc.status.INTERNAL, details: error.message };
}

/** UNAVAILABLE with RetryInfo { retry_delay: retryAfterSeconds }. */
export function unavailable(message: string, retryAfterSeconds: number): Partial<grpc.StatusObject> & { code: grpc.status } {
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(statusProto(grpc.status.UNAVAILABLE, message, [retryInfoAny(retryAfterSeconds)])));
  return { code: grpc.status.UNAVAILABLE, details: message, metadata };
}
