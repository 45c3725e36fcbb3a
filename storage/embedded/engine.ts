// The embedded current ClickHouse (npm `chdb`): one in-process engine per data directory.
// chdb runs one statement at a time per connection, and the current database and settings are
// state of that connection, so statements run here one after another, each after switching the
// connection to its request's database and settings.
import { Session } from 'chdb';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { identifier, literal } from '../sql.ts';
import type { ParsedRequest } from './request.ts';

/**
 * What a clickhouse-server does by default and chdb does not: we depend on synchronous inserts
 * (acknowledged means stored) and on strict DateTime parsing.
 */
export const PINNED_SETTINGS: Readonly<Record<string, string>> = {
  async_insert: '0',
  date_time_input_format: 'basic',
};

export class EngineError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export class EmbeddedEngine {
  private tail: Promise<unknown> = Promise.resolve();
  private database = 'default';
  /** Settings currently SET on the connection beyond the pinned ones. */
  private applied = new Map<string, string>();
  private insertSeq = 0;
  private readonly insertDir: string;

  private constructor(
    private readonly session: Session,
    dir: string,
  ) {
    this.insertDir = join(dir, 'inserts');
    rmSync(this.insertDir, { recursive: true, force: true });
    mkdirSync(this.insertDir, { recursive: true });
  }

  static open(dir: string): EmbeddedEngine {
    const pinned = Object.entries(PINNED_SETTINGS).map(([k, v]) => `--${k}=${v}`);
    return new EmbeddedEngine(new Session(join(dir, 'data'), { connectionArgs: pinned }), dir);
  }

  /** Runs one request's statement (serialised with all others) and returns the output bytes. */
  run(request: ParsedRequest): Promise<Buffer> {
    const result = this.tail.then(() => this.execute(request));
    this.tail = result.catch(() => {});
    return result;
  }

  close(): void {
    this.session.close();
  }

  private async execute(request: ParsedRequest): Promise<Buffer> {
    await this.switchTo(request.database, request.settings);
    if (!request.insertData) return this.call(request.statement, request.defaultFormat);
    if (request.insertData.bytes.length === 0) return Buffer.alloc(0);
    // chdb takes statements as text; data read from a file keeps binary formats (RowBinary) intact.
    const file = join(this.insertDir, `insert-${++this.insertSeq}`);
    writeFileSync(file, request.insertData.bytes);
    try {
      return await this.call(`${request.statement} FROM INFILE ${literal(file)} FORMAT ${request.insertData.format}`, request.defaultFormat);
    } finally {
      rmSync(file, { force: true });
    }
  }

  private async switchTo(database: string, settings: Record<string, string>): Promise<void> {
    if (database !== this.database) {
      await this.call(`USE ${identifier(database)}`);
      this.database = database;
    }
    for (const [name, value] of Object.entries(settings)) {
      if (this.applied.get(name) === value) continue;
      await this.call(`SET ${name} = ${literal(value)}`);
      this.applied.set(name, value);
    }
    for (const name of [...this.applied.keys()]) {
      if (name in settings) continue;
      await this.call(`SET ${name} = ${name in PINNED_SETTINGS ? literal(PINNED_SETTINGS[name]!) : 'DEFAULT'}`);
      this.applied.delete(name);
    }
  }

  private async call(statement: string, format = 'TabSeparated'): Promise<Buffer> {
    try {
      const result = await this.session.queryAsync(statement, { format });
      const bytes = result.bytes();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      const e = err as { clickhouseCode?: number; message?: string };
      const message = e.message ?? String(err);
      const code = e.clickhouseCode ?? Number(/Code:\s*(\d+)/.exec(message)?.[1] ?? 1002);
      throw new EngineError(code, message);
    }
  }
}
