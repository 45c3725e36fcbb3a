// How a ClickHouse HTTP request becomes one statement for the embedded engine. Pure, so the
// rules are tested by value: which URL parameters are settings, where an INSERT's data starts.

/** URL parameters of the HTTP interface that are not settings (ClickHouse's HTTPHandler reserves them). */
const HTTP_PARAMETERS = new Set([
  'query', 'database', 'default_format', 'query_id', 'user', 'password', 'quota_key', 'session_id', 'session_timeout',
  'session_check', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query', 'role', 'stacktrace', 'default_database',
  // Output-side HTTP settings that only shape how the server writes the response.
  'enable_http_compression', 'http_zlib_compression_level', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms',
  'http_response_buffer_size', 'http_wait_end_of_query', 'output_format_json_quote_64bit_integers_in_http',
]);

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ParsedRequest {
  database: string;
  /** Settings from the URL, applied to this statement only. */
  settings: Record<string, string>;
  /** Output format when the statement names none (`default_format`, else TabSeparated as on a server). */
  defaultFormat: string;
  queryId: string | undefined;
  /** The statement without its data. */
  statement: string;
  /** An INSERT's data (possibly empty: nothing to insert) and its format; the engine reads it from a file, so binary formats survive. */
  insertData?: { format: string; bytes: Buffer };
}

export class BadRequest extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// `INSERT INTO t (a, b) FORMAT RowBinary`: the header before the data, up to the end of the line.
const INSERT_WITH_FORMAT = /^\s*INSERT\s+INTO\s[\s\S]*?\bFORMAT\s+([A-Za-z0-9_]+)[ \t]*$/i;
const INSERT_HEAD_IN_BODY = /^(\s*INSERT\s+INTO\s[^\n]*?\bFORMAT\s+([A-Za-z0-9_]+))[ \t]*\r?\n/i;

/**
 * Splits a request into statement, data and settings the way clickhouse-server does: the `query`
 * parameter followed by the body (the body is the INSERT's data when the parameter ends in FORMAT).
 */
export function parseRequest(params: URLSearchParams, body: Buffer): ParsedRequest {
  const settings: Record<string, string> = {};
  for (const [name, value] of params) {
    if (HTTP_PARAMETERS.has(name) || name.startsWith('param_')) continue;
    if (!SETTING_NAME.test(name)) throw new BadRequest(115, `Unknown setting ${name}`);
    settings[name] = value;
  }
  const base = {
    database: params.get('database') ?? params.get('default_database') ?? 'default',
    settings,
    defaultFormat: params.get('default_format') ?? 'TabSeparated',
    queryId: params.get('query_id') ?? undefined,
  };
  const query = params.get('query');
  if (query !== null) {
    const insert = INSERT_WITH_FORMAT.exec(query);
    if (insert) return { ...base, statement: stripFormat(query), insertData: { format: insert[1]!, bytes: body } };
    const text = body.length ? `${query}\n${body.toString('utf8')}` : query;
    return { ...base, statement: text };
  }
  // Without a `query` parameter the body holds the statement, and an INSERT's data after its first line.
  const head = INSERT_HEAD_IN_BODY.exec(body.subarray(0, 64 * 1024).toString('latin1'));
  if (head) {
    const statement = body.subarray(0, Buffer.byteLength(head[1]!, 'latin1')).toString('utf8');
    const data = body.subarray(Buffer.byteLength(head[0], 'latin1'));
    return { ...base, statement: stripFormat(statement), insertData: { format: head[2]!, bytes: data } };
  }
  const statement = body.toString('utf8');
  if (statement.trim() === '') throw new BadRequest(62, 'Empty query');
  return { ...base, statement };
}

/** `INSERT INTO t (a) FORMAT X` → `INSERT INTO t (a)`: the engine's statement names the format after FROM INFILE. */
function stripFormat(insert: string): string {
  return insert.replace(/\bFORMAT\s+[A-Za-z0-9_]+[ \t]*$/i, '').trimEnd();
}
