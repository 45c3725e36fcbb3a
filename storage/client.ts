import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings, type DataFormat } from '@clickhouse/client';
import type { Readable } from 'node:stream';
import { clickhouseUrls, type ClickhouseConfig } from './config.ts';
import { connectionFailure } from './errors.ts';
import { CLUSTER_SESSION_SETTINGS } from './cluster/settings.ts';
import { identifier, type SqlFragment } from './sql.ts';

/**
 * The thin ClickHouse adapter both services use. Everything goes through named formats:
 * the client's default insert format (compact JSON rows) does not exist on 18.16.
 */
export interface Clickhouse {
  readonly database: string;
  /** The cluster in cluster mode (README "Running on a cluster"), undefined on one server. */
  readonly cluster?: string | undefined;
  /** Runs a statement that returns nothing (DDL, ALTER, INSERT ... SELECT), with extra settings if given. */
  command(statement: SqlFragment | string, settings?: ClickHouseSettings): Promise<void>;
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

/**
 * Several URLs: calls go to one endpoint until it stops answering, then to the next (for every later
 * call too). A call that provably never reached a server (connection refused, unknown host) is sent
 * to the next endpoint at once; a SELECT also when the answer was lost (reset, timeout). Anything
 * else is the caller's to retry (the collector's writer does): an INSERT whose answer was lost may
 * have been stored. One URL behaves exactly as before.
 */
class Endpoints {
  private current = 0;

  constructor(readonly clients: readonly ClickHouseClient[]) {}

  async run<T>(op: (client: ClickHouseClient) => Promise<T>, resend: 'unreachable' | 'unanswered' | 'never'): Promise<T> {
    let lastError: unknown;
    for (let tried = 0; tried < this.clients.length; tried++) {
      const index = this.current;
      try {
        return await op(this.clients[index]!);
      } catch (err) {
        const failure = connectionFailure(err);
        if (failure === undefined || this.clients.length === 1) throw err;
        // Concurrent calls may have moved on already; only the first to see this endpoint fail moves.
        if (this.current === index) this.current = (index + 1) % this.clients.length;
        const sendElsewhere = resend === 'unanswered' || (resend === 'unreachable' && failure === 'unreachable');
        if (!sendElsewhere) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  /** True when some endpoint answers /ping; it becomes the current one. */
  async ping(): Promise<boolean> {
    for (let tried = 0; tried < this.clients.length; tried++) {
      const index = (this.current + tried) % this.clients.length;
      const result = await this.clients[index]!.ping();
      if (result.success) {
        this.current = index;
        return true;
      }
    }
    return false;
  }
}

export function connectClickhouse(config: ClickhouseConfig, options: ClickhouseOptions = {}): Clickhouse {
  const cluster = config.cluster || undefined;
  const endpoints = new Endpoints(
    clickhouseUrls(config.url).map((url) =>
      createClient({
        url,
        username: config.username,
        password: config.password,
        database: config.database,
        request_timeout: options.requestTimeoutMs ?? 30_000,
        max_open_connections: options.maxOpenConnections ?? 10,
        // Only settings 18.16 knows (it rejects unknown ones). 64-bit integers as JSON strings, which
        // current servers stopped doing by default in 25.8: nanosecond times exceed 2^53.
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1, ...(cluster ? CLUSTER_SESSION_SETTINGS : {}) },
        application: 'burnrate',
        // Failures surface as errors to the caller, which classifies and counts them; no duplicate logging.
        log: { level: ClickHouseLogLevel.OFF },
      }),
    ),
  );
  let version: string | undefined;

  return {
    database: config.database,
    cluster,
    async command(statement, settings) {
      await endpoints.run((client) => client.command({ query: text(statement), ...(settings ? { clickhouse_settings: settings } : {}) }), 'unreachable');
    },
    async query<T>(statement: SqlFragment | string) {
      return endpoints.run(async (client) => {
        const rs = await client.query({ query: text(statement), format: 'JSONEachRow' });
        return (await rs.json()) as T[];
      }, 'unanswered');
    },
    async queryText(statement, format) {
      return endpoints.run(async (client) => {
        const result = await client.exec({ query: statement, clickhouse_settings: { default_format: format as DataFormat } });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      }, 'unreachable');
    },
    async insertJson(table, rows) {
      if (rows.length === 0) return;
      await endpoints.run((client) => client.insert({ table, values: rows as object[], format: 'JSONEachRow' }), 'unreachable');
    },
    async insertRaw(table, columns, format, body) {
      // RowBinary is not in the client's insert() formats; exec() streams any INSERT body. A stream is
      // read once: a failed attempt is the caller's to retry (on the next endpoint).
      const query = `INSERT INTO ${identifier(table)} (${columns.map(identifier).join(', ')}) FORMAT ${format}`;
      await endpoints.run(async (client) => {
        const result = await client.exec({ query, values: body });
        result.stream.resume();
        await new Promise<void>((resolve, reject) => {
          result.stream.once('end', resolve);
          result.stream.once('error', reject);
        });
      }, 'never');
    },
    async ping() {
      return endpoints.ping();
    },
    async serverVersion() {
      if (!version) {
        const rows = await this.query<{ v: string }>('SELECT version() AS v');
        version = rows[0]!.v;
      }
      return version;
    },
    async close() {
      await Promise.all(endpoints.clients.map((client) => client.close()));
    },
  };
}

/** Creates the configured database if it is missing (connects without selecting it); on every node in cluster mode. */
export async function ensureDatabase(config: ClickhouseConfig): Promise<void> {
  const admin = connectClickhouse({ ...config, database: 'default' });
  try {
    const onCluster = config.cluster ? ` ON CLUSTER ${identifier(config.cluster)}` : '';
    await admin.command(`CREATE DATABASE IF NOT EXISTS ${identifier(config.database)}${onCluster}`);
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
