import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { freePort } from '../../storage/local-clickhouse.ts';

// The one-shot commands as a user runs them: exit codes, what they print, and no stack traces.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('burnrate CLI', () => {
  let db: TestDatabase;
  let web: Server;
  let webPort: number;
  beforeAll(async () => {
    db = await createTestDatabase('cli');
    webPort = await freePort();
    web = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>another program</html>'));
    await new Promise<void>((r) => web.listen(webPort, '127.0.0.1', r));
  });
  afterAll(async () => {
    web?.close();
    await db?.close();
  });

  const env = (url = db.config.url) => ({ ...process.env, CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: db.config.database });
  /** Runs a command (asynchronously: the fake web server of one test answers from this process). */
  const run = (args: string[], url?: string, extraEnv: Record<string, string> = {}) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/burnrate.js', ...args], { cwd: ROOT, env: { ...env(url), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^burnrate \d+\.\d+\.\d+ \(Node /);
  });

  it('sql runs a statement in the configured database and prints the result with column names', async () => {
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES (now(), 'a', 'a', 'cli-svc')`);
    const r = await run(['sql', 'SELECT service_name, count() AS n FROM spans GROUP BY service_name']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('service_name\tn\ncli-svc\t1\n');
    expect((await run(['sql', '--format', 'JSONEachRow', 'SELECT 1 AS x'])).stdout).toBe('{"x":1}\n');
  });

  it('a ClickHouse that does not answer is named with its URL and how to set CLICKHOUSE_URL, without a stack trace', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['status'], ['sql', 'SELECT 1'], ['retention', '--days', '3']]) {
      const r = await run(args, closed);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`cannot use ClickHouse at ${closed}`);
      expect(r.stderr).toContain('CLICKHOUSE_URL');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const other = await run(['status'], `http://127.0.0.1:${webPort}`);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain('answered, but not as ClickHouse');
  });

  it('a reader that closes the pipe early ends the command quietly (burnrate sql ... | head -1)', async () => {
    const child = spawn(process.execPath, ['bin/burnrate.js', 'sql', 'SELECT number FROM numbers(2000000)'], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(code).toBe(0);
  });

  it('retention deletes nothing without --days, and --dry-run only lists', async () => {
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES (toDateTime('2020-01-01 12:00:00'), 'b', 'b', 'ancient')`);
    const missing = await run(['retention'], undefined, { RETENTION_DAYS: '' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--days: required');
    const dry = await run(['retention', '--days', '30', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('would drop spans partition 20200101');
    expect(await db.ch.query(`SELECT 1 FROM spans WHERE service_name = 'ancient'`)).toHaveLength(1);
    const real = await run(['retention', '--days', '30']);
    expect(real.stdout).toContain('dropped spans partition 20200101');
    expect(await db.ch.query(`SELECT 1 FROM spans WHERE service_name = 'ancient'`)).toHaveLength(0);
  });
});
