import { ClickHouseLogLevel, createClient, type ClickHouseClient, type DataFormat } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import type { ClickhouseConfig } from './config.ts';
import { identifier, type SqlFragment } from './sql.ts';

/**
 * The thin ClickHouse adapter both services use. Everything goes through named formats:
 * the client's default insert format (compact JSON rows) does not exist on 18.16.
 */
export interface Clickhouse {
  readonly database: string;
  /** Runs a statement that returns nothing (DDL, ALTER, INSERT ... SELECT). */
  command(statement: SqlFragment | string): Promise<void>;
  /** Runs a SELECT and returns its rows as objects (JSONEachRow; 64-bit integers arrive as strings). */
  query<T = Record<string, unknown>>(statement: SqlFragment | string): Promise<T[]>;
  /** Runs any statement and returns the server's output as text, in `format` unless the statement names one. */
  queryText(statement: string, format: string): Promise<string>;
  /** Inserts rows given as objects. */
  insertJson(table: string, rows: readonly object[]): Promise<void>;
  /** Inserts pre-encoded rows (one stream or buffer) in the named format. */
  insertRaw(table: string, columns: readonly string[], format: 'TabSeparated' | 'RowBinary', body: Readable): Promise<void>;
  ping(): Promise<boolean>;
  serverVersion(): Promise<string>;
  close(): Promise<void>;
}

export interface ClickhouseOptions {
  requestTimeoutMs?: number;
  maxOpenConnections?: number;
}

function text(statement: SqlFragment | string): string {
  return typeof statement === 'string' ? statement : statement.text;
}

export function connectClickhouse(config: ClickhouseConfig, options: ClickhouseOptions = {}): Clickhouse {
  const client: ClickHouseClient = createClient({
    url: config.url,
    username: config.username,
    password: config.password,
    database: config.database,
    request_timeout: options.requestTimeoutMs ?? 30_000,
    max_open_connections: options.maxOpenConnections ?? 10,
    // Only settings 18.16 knows (it rejects unknown ones). 64-bit integers as JSON strings, which
    // current servers stopped doing by default in 25.8: nanosecond times exceed 2^53.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    application: 'burnrate',
    // Failures surface as errors to the caller, which classifies and counts them; no duplicate logging.
    log: { level: ClickHouseLogLevel.OFF },
  });
  let version: string | undefined;

  return {
    database: config.database,
    async command(statement) {
      await client.command({ query: text(statement) });
    },
    async query<T>(statement: SqlFragment | string) {
      const rs = await client.query({ query: text(statement), format: 'JSONEachRow' });
      return (await rs.json()) as T[];
    },
    async queryText(statement, format) {
      const result = await client.exec({ query: statement, clickhouse_settings: { default_format: format as DataFormat } });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    async insertJson(table, rows) {
      if (rows.length === 0) return;
      await client.insert({ table, values: rows as object[], format: 'JSONEachRow' });
    },
    async insertRaw(table, columns, format, body) {
      // RowBinary is not in the client's insert() formats; exec() streams any INSERT body.
      const query = `INSERT INTO ${identifier(table)} (${columns.map(identifier).join(', ')}) FORMAT ${format}`;
      const result = await client.exec({ query, values: body });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve);
        result.stream.once('error', reject);
      });
    },
    async ping() {
      const result = await client.ping();
      return result.success;
    },
    async serverVersion() {
      if (!version) {
        const rows = await this.query<{ v: string }>('SELECT version() AS v');
        version = rows[0]!.v;
      }
      return version;
    },
    async close() {
      await client.close();
    },
  };
}

/** Creates the configured database if it is missing (connects without selecting it). */
export async function ensureDatabase(config: ClickhouseConfig): Promise<void> {
  const admin = connectClickhouse({ ...config, database: 'default' });
  try {
    await admin.command(`CREATE DATABASE IF NOT EXISTS ${identifier(config.database)}`);
  } finally {
    await admin.close();
  }
}

/** Compares dotted versions: true when `version` >= `minimum`. Used to guard modern-only DDL. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
