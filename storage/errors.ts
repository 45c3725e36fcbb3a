// The one classification of ClickHouse failures, by the `Code: N` number (18.16 prints no error
// names) and, where one code means two things, by the message. Three classes:
//
// - `data`: ClickHouse refuses these rows for their own content (cannot parse, sizes of Nested
//   arrays differ, too many partitions for one insert block...). The same rows fail again, other
//   rows do not: the writer isolates the request(s) at fault; nothing else is refused with them.
// - `transient`: the server is busy or the network failed (timeouts, too many parts, memory limit,
//   Keeper/replica hiccups). Retried with backoff; clears on its own.
// - `environmental`: the server, its configuration or the schema refuse every insert (auth,
//   permissions, missing database or table, readonly, disk full...). Retried for as long as it
//   lasts: it is a condition of the environment, not of the data.
//
// Anything not listed (an unknown code, an HTTP error without one) is `environmental`: mistaking an
// environmental failure for a data error would set acknowledged data aside, while the reverse only
// keeps a record retrying (and the writer's bisection still keeps it from blocking other rows).
// docs/durability.md lists these codes; keep the two in step.

export type ErrorClass = 'data' | 'transient' | 'environmental';

/** Codes this module knows, with their ClickHouse names (from src/Common/ErrorCodes.cpp). */
export const CLICKHOUSE_ERROR_CODES: Readonly<Record<number, { name: string; class: ErrorClass }>> = {
  // The rows' own content.
  6: { name: 'CANNOT_PARSE_TEXT', class: 'data' },
  19: { name: 'SIZE_OF_FIXED_STRING_DOESNT_MATCH', class: 'data' },
  25: { name: 'CANNOT_PARSE_ESCAPE_SEQUENCE', class: 'data' },
  26: { name: 'CANNOT_PARSE_QUOTED_STRING', class: 'data' },
  27: { name: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', class: 'data' },
  32: { name: 'ATTEMPT_TO_READ_AFTER_EOF', class: 'data' },
  33: { name: 'CANNOT_READ_ALL_DATA', class: 'data' },
  38: { name: 'CANNOT_PARSE_DATE', class: 'data' },
  41: { name: 'CANNOT_PARSE_DATETIME', class: 'data' },
  53: { name: 'TYPE_MISMATCH', class: 'data' },
  69: { name: 'ARGUMENT_OUT_OF_BOUND', class: 'data' },
  70: { name: 'CANNOT_CONVERT_TYPE', class: 'data' },
  72: { name: 'CANNOT_PARSE_NUMBER', class: 'data' },
  117: { name: 'INCORRECT_DATA', class: 'data' },
  128: { name: 'TOO_LARGE_ARRAY_SIZE', class: 'data' },
  130: { name: 'CANNOT_READ_ARRAY_FROM_TEXT', class: 'data' },
  131: { name: 'TOO_LARGE_STRING_SIZE', class: 'data' },
  190: { name: 'SIZES_OF_ARRAYS_DOESNT_MATCH', class: 'data' },
  248: { name: 'INVALID_PARTITION_VALUE', class: 'data' },
  321: { name: 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE', class: 'data' },
  349: { name: 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN', class: 'data' },
  366: { name: 'SIZES_OF_NESTED_COLUMNS_ARE_INCONSISTENT', class: 'data' },
  376: { name: 'CANNOT_PARSE_UUID', class: 'data' },
  407: { name: 'DECIMAL_OVERFLOW', class: 'data' },
  441: { name: 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING', class: 'data' },
  467: { name: 'CANNOT_PARSE_BOOL', class: 'data' },
  469: { name: 'VIOLATED_CONSTRAINT', class: 'data' },
  // Busy server or network: clears on its own.
  3: { name: 'UNEXPECTED_END_OF_FILE', class: 'transient' },
  159: { name: 'TIMEOUT_EXCEEDED', class: 'transient' },
  160: { name: 'TOO_SLOW', class: 'transient' },
  202: { name: 'TOO_MANY_SIMULTANEOUS_QUERIES', class: 'transient' },
  203: { name: 'NO_FREE_CONNECTION', class: 'transient' },
  209: { name: 'SOCKET_TIMEOUT', class: 'transient' },
  210: { name: 'NETWORK_ERROR', class: 'transient' },
  225: { name: 'NO_ZOOKEEPER', class: 'transient' },
  236: { name: 'ABORTED', class: 'transient' },
  241: { name: 'MEMORY_LIMIT_EXCEEDED', class: 'transient' },
  242: { name: 'TABLE_IS_READ_ONLY', class: 'transient' },
  252: { name: 'TOO_MANY_PARTS', class: 'transient' },
  234: { name: 'NO_REPLICA_HAS_PART', class: 'transient' },
  244: { name: 'UNEXPECTED_ZOOKEEPER_ERROR', class: 'transient' },
  279: { name: 'ALL_CONNECTION_TRIES_FAILED', class: 'transient' },
  285: { name: 'TOO_FEW_LIVE_REPLICAS', class: 'transient' },
  286: { name: 'UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE', class: 'transient' },
  289: { name: 'REPLICA_IS_NOT_IN_QUORUM', class: 'transient' },
  319: { name: 'UNKNOWN_STATUS_OF_INSERT', class: 'transient' },
  394: { name: 'QUERY_WAS_CANCELLED', class: 'transient' },
  425: { name: 'SYSTEM_ERROR', class: 'transient' },
  439: { name: 'CANNOT_SCHEDULE_TASK', class: 'transient' },
  473: { name: 'DEADLOCK_AVOIDED', class: 'transient' },
  999: { name: 'KEEPER_EXCEPTION', class: 'transient' },
  // The environment refuses every insert until someone acts (listed for names and documentation;
  // unknown codes land here too).
  8: { name: 'THERE_IS_NO_COLUMN', class: 'environmental' },
  10: { name: 'NOT_FOUND_COLUMN_IN_BLOCK', class: 'environmental' },
  16: { name: 'NO_SUCH_COLUMN_IN_TABLE', class: 'environmental' },
  47: { name: 'UNKNOWN_IDENTIFIER', class: 'environmental' },
  60: { name: 'UNKNOWN_TABLE', class: 'environmental' },
  62: { name: 'SYNTAX_ERROR', class: 'environmental' },
  73: { name: 'UNKNOWN_FORMAT', class: 'environmental' },
  75: { name: 'CANNOT_WRITE_TO_FILE_DESCRIPTOR', class: 'environmental' },
  76: { name: 'CANNOT_OPEN_FILE', class: 'environmental' },
  81: { name: 'UNKNOWN_DATABASE', class: 'environmental' },
  115: { name: 'UNKNOWN_SETTING', class: 'environmental' },
  164: { name: 'READONLY', class: 'environmental' },
  172: { name: 'CANNOT_CREATE_DIRECTORY', class: 'environmental' },
  173: { name: 'CANNOT_ALLOCATE_MEMORY', class: 'environmental' },
  192: { name: 'UNKNOWN_USER', class: 'environmental' },
  193: { name: 'WRONG_PASSWORD', class: 'environmental' },
  194: { name: 'REQUIRED_PASSWORD', class: 'environmental' },
  195: { name: 'IP_ADDRESS_NOT_ALLOWED', class: 'environmental' },
  201: { name: 'QUOTA_EXCEEDED', class: 'environmental' },
  204: { name: 'CANNOT_FSYNC', class: 'environmental' },
  218: { name: 'TABLE_IS_DROPPED', class: 'environmental' },
  243: { name: 'NOT_ENOUGH_SPACE', class: 'environmental' },
  291: { name: 'DATABASE_ACCESS_DENIED', class: 'environmental' },
  497: { name: 'ACCESS_DENIED', class: 'environmental' },
  516: { name: 'AUTHENTICATION_FAILED', class: 'environmental' },
};

const TOO_MANY_PARTS = 252;
/** Code 252 also means "Too many partitions for single INSERT block": that is the rows' spread in time. */
const TOO_MANY_PARTITIONS = /too many partitions/i;

/**
 * Codes 32 and 33 (read past the end) are about the inserted rows, unless the stream that ended was
 * another server's: a replica or shard that went away during a Distributed insert, or ZooKeeper.
 */
const END_OF_STREAM = new Set([32, 33]);
const FROM_ANOTHER_SERVER = /while receiving (packet|handshake) from|while reading from socket|Insertion status:/i;

const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
const NETWORK_MESSAGE = /timeout|timed out|socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|fetch failed|network/i;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Extracts the ClickHouse error code from an error or its message, if there is one. */
export function clickhouseErrorCode(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    if (typeof code === 'number') return code;
  }
  const match = /Code:\s*(\d+)/.exec(messageOf(err));
  return match ? Number(match[1]) : undefined;
}

export function classifyClickhouseError(err: unknown): ErrorClass {
  const code = clickhouseErrorCode(err);
  if (code === TOO_MANY_PARTS && TOO_MANY_PARTITIONS.test(messageOf(err))) return 'data';
  if (code !== undefined && END_OF_STREAM.has(code) && FROM_ANOTHER_SERVER.test(messageOf(err))) return 'transient';
  if (code !== undefined) return CLICKHOUSE_ERROR_CODES[code]?.class ?? 'environmental';
  // No code at all: the server did not answer (refused, reset, timed out), or something in between did.
  const errno = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (NETWORK_ERRNOS.has(errno) || NETWORK_MESSAGE.test(messageOf(err))) return 'transient';
  return 'environmental';
}

/** The request never reached a server: it can be sent to another endpoint as it is. */
const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Failures where ClickHouse itself gave no answer: `unreachable` when the request provably never
 * reached a server (refused, unknown host), `unanswered` when it may have (reset, timeout). Undefined
 * when ClickHouse answered (its error is the answer) or for anything else. Used for endpoint failover.
 */
export function connectionFailure(err: unknown): 'unreachable' | 'unanswered' | undefined {
  if (clickhouseErrorCode(err) !== undefined) return undefined;
  const errno = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (UNREACHABLE_ERRNOS.has(errno)) return 'unreachable';
  return classifyClickhouseError(err) === 'transient' ? 'unanswered' : undefined;
}

/** A label value for metrics: the numeric code or the kind of failure without one. */
export function errorLabel(err: unknown): string {
  const code = clickhouseErrorCode(err);
  if (code !== undefined) return String(code);
  return classifyClickhouseError(err) === 'transient' ? 'network' : 'unknown';
}

/**
 * One line for logs and error answers: `Code 194 REQUIRED_PASSWORD: Password required for user default`.
 * The server's message without its stack-trace suffix; never longer than `max` characters.
 */
export function describeClickhouseError(err: unknown, max = 300): string {
  const code = clickhouseErrorCode(err);
  let text = messageOf(err).split('\n')[0] ?? '';
  text = text.replace(/^.*?DB::Exception:\s*/, '').replace(/,\s*e\.what\(\)\s*=.*$/, '').replace(/^Code:\s*\d+[.,]?\s*/, '').trim();
  if (text.length > max) text = text.slice(0, max) + '…';
  if (code === undefined) return text || 'no answer from ClickHouse';
  const name = CLICKHOUSE_ERROR_CODES[code]?.name;
  return `Code ${code}${name ? ` ${name}` : ''}: ${text}`;
}
