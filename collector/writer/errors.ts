import type { ErrorClass } from '../../storage/errors.ts';

/** The queue is over its byte bound: the client should back off (HTTP 503 / gRPC RESOURCE_EXHAUSTED). */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('ingest queue is full, retry later');
  }
}

/**
 * ClickHouse did not take the rows within the retry budget, for a reason outside the rows
 * (transient or environmental, see storage/errors.ts): HTTP 503 + Retry-After / gRPC UNAVAILABLE.
 */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    readonly errorClass: Exclude<ErrorClass, 'data'> = 'transient',
  ) {
    super(message);
  }
}

/**
 * ClickHouse refused these rows for their own content (a `data` error), also when inserted without
 * the rest of their batch. Retrying will not help: HTTP 400 / gRPC INVALID_ARGUMENT, or an OTLP
 * partial success when other rows of the same request were stored.
 */
export class RowsRefusedError extends Error {
  override name = 'RowsRefusedError';
  constructor(
    message: string,
    /** Rows refused (items of the signal: spans, data points, log records). */
    readonly rows: number,
  ) {
    super(message);
  }
}

/** The collector is shutting down and takes no new work. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('collector is shutting down');
  }
}
