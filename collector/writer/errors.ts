/** The queue is over its byte bound: the client should back off (HTTP 503 / gRPC RESOURCE_EXHAUSTED). */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('ingest queue is full, retry later');
  }
}

/** ClickHouse did not take the rows within the retry budget (HTTP 503 / gRPC UNAVAILABLE). */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** ClickHouse refused the rows for a reason retrying will not fix (HTTP 500 / gRPC INTERNAL). */
export class StoragePermanentError extends Error {
  override name = 'StoragePermanentError';
}

/** The collector is shutting down and takes no new work. */
export class ShuttingDownError extends Error {
  override name = 'ShuttingDownError';
  constructor() {
    super('collector is shutting down');
  }
}
