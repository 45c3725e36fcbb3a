// ClickHouse errors are classified by their `Code: N` number: 18.16 prints no error names.

export type ErrorClass = 'retryable' | 'permanent';

// Codes that mean "try again later": network, overload, too many parts, timeouts, readonly replica.
const RETRYABLE_CODES = new Set<number>([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY (replica in readonly mode)
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Extracts the ClickHouse error code from an error or its message, if there is one. */
export function clickhouseErrorCode(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    if (typeof code === 'number') return code;
  }
  const message = err instanceof Error ? err.message : String(err);
  const match = /Code:\s*(\d+)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

export function classifyClickhouseError(err: unknown): ErrorClass {
  const code = clickhouseErrorCode(err);
  if (code !== undefined) return RETRYABLE_CODES.has(code) ? 'retryable' : 'permanent';
  // No code at all: the server did not answer (refused, reset, timed out, 5xx without body).
  const errno = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (NETWORK_ERRNOS.has(errno)) return 'retryable';
  const message = err instanceof Error ? err.message : String(err);
  if (/timeout|socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|fetch failed|network/i.test(message)) return 'retryable';
  return 'permanent';
}

/** A label value for metrics: the numeric code or the kind of network failure. */
export function errorLabel(err: unknown): string {
  const code = clickhouseErrorCode(err);
  if (code !== undefined) return String(code);
  return classifyClickhouseError(err) === 'retryable' ? 'network' : 'unknown';
}
