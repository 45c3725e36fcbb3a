// The engine as a deployment runs it (`node bin/burnrate.js slo-engine`), killed while it sends a
// page: the page is stored before sending, so the restarted engine delivers it (issue 12, item 2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { freePort } from '../../storage/local-clickhouse.ts';
import { sql } from '../../storage/sql.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function startEngine(db: TestDatabase, slos: string, sink: Receiver): Promise<{ child: ChildProcess; output: string[] }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['bin/burnrate.js', 'slo-engine', '--slos', slos, '--port', String(port), '--interval', '1h', '--delivery-interval', '1s', '--notification-timeout', '2s', '--notification-lease', '4s'],
    {
      cwd: ROOT,
      env: { ...process.env, CLICKHOUSE_URL: db.config.url, CLICKHOUSE_DATABASE: db.config.database, SLACK_WEBHOOK_URL: `${sink.url}/slack`, BURNRATE_AUTH_TOKENS: '', BURNRATE_TENANTS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  return { child, output };
}

const until = async (what: string, condition: () => boolean, output: string[] = []) => {
  // Generous: two engine processes start and backfill 30 days on a machine shared with other work.
  for (let i = 0; i < 1800 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!condition()) throw new Error(`timed out waiting for ${what}:\n${output.join('')}`);
};

describe('slo-engine process', () => {
  let db: TestDatabase;
  let sink: Receiver;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('slo_process');
    // Half of the last hour's requests fail: the first tick pages.
    const now = Math.floor(Date.now() / 60_000) * 60;
    await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${now - 3600} + intDiv(number, 100) * 60 + 1), 't', toString(number), 'GET /', 2, if(number % 2 = 0, 2, 1), 'proc', '/', 200, 1000000 FROM numbers(6000)`);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sink?.close();
    await db?.close();
  });

  it('an engine killed while it sends the page: the restarted engine delivers it, once', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-process-'));
    writeFileSync(join(dir, 'slo.yaml'), 'id: proc-availability\nservice: proc\nobjective: 99\nperiod: 30d\nsli: { kind: availability }\nalerting: { minEvents: 10 }\n');
    sink = await startReceiver(() => 'hang');
    const first = await startEngine(db, dir, sink);
    children.push(first.child);
    await until('the page to reach the receiver', () => sink.hangingCount() === 1, first.output);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    sink.setBehaviour(() => ({ status: 200 }));
    const second = await startEngine(db, dir, sink);
    children.push(second.child);
    // The dead engine's claim holds for the 4 s lease; then the restarted one sends the stored page.
    await until('the page to be delivered', () => second.output.join('').includes('sent firing page'), second.output);
    await new Promise((r) => setTimeout(r, 3000));
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    expect(sink.received.map((r) => JSON.parse(r.body).text)).toEqual([
      '[PAGE] proc-availability (proc) is burning its error budget — budget remaining -4900%',
      '[PAGE] proc-availability (proc) is burning its error budget — budget remaining -4900%',
    ]);
    const log = await db.ch.query<{ outcome: string; replica: string }>(sql`SELECT outcome, replica FROM slo_notifications WHERE slo_id = 'proc-availability'`);
    expect(log.map((l) => l.outcome)).toEqual(['sent']);
  });
});
