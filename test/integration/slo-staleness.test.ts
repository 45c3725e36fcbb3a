// Staleness (issue 12, item 6) and the operator-facing CLI (item 7): while ClickHouse is unreachable
// the engine's alerts freeze and every surface says the numbers are stale; `status` says so about
// an engine that stopped evaluating; relative times work without `=`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startThrottleProxy } from '../support/throttle-proxy.ts';
import { connectClickhouse } from '../../storage/client.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import { command as statusCommand } from '../../cli/commands/status.ts';
import { runCommand } from '../support/cli-output.ts';
import { command as backtestCommand } from '../../cli/commands/backtest.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const SPEC = 'id: stale-availability\nservice: stale\nobjective: 99\nperiod: 30d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 10 }\n';

describe('staleness while ClickHouse is down', () => {
  let db: TestDatabase;
  let ch: string[];
  beforeAll(async () => {
    db = await createTestDatabase('slo_stale');
    ch = ['--clickhouse-url', db.config.url, '--clickhouse-database', db.config.database];
    // 100% errors over the last 20 minutes: the page fires on the first tick.
    const start = Math.floor(NOW / 60) * 60 - 1200;
    await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${start} + intDiv(number, 10) * 60 + 1), 't', toString(number), 'GET /', 2, 2, 'stale', '/', 500, 1000 FROM numbers(200)`);
  });
  afterAll(async () => db?.close());

  it('alerts freeze, and the gauges, the API and status say the numbers are stale and since when', async () => {
    // The engine reaches ClickHouse through a proxy that the test closes: an outage seen from the engine.
    const url = new URL(db.config.url);
    const proxy = await startThrottleProxy(Number(url.port), 1e9);
    const through = connectClickhouse({ ...db.config, url: `http://127.0.0.1:${proxy.port}` }, { requestTimeoutMs: 3000 });
    const slo = sloFromYaml(SPEC);
    const { router } = buildRouter([slo], {});
    let now = NOW - 300;
    const clock = () => now * 1000;
    const engine = createEngine({ ch: through, slos: [slo], router, clock });
    const metrics = createSloMetrics(engine, { clock, staleAfterSeconds: 90 });
    const app = createServer(engine, metrics, async () => true, { clock, staleAfterSeconds: 90 });
    try {
      metrics.observe(await engine.tick());
      expect(engine.last()!.transitions.map((t) => `${t.kind}:${t.status}`)).toEqual(['page:firing']);
      let text = await metrics.registry.metrics();
      expect(text).toContain('burnrate_slo_stale{slo_id="stale-availability",service="stale"} 0');
      await proxy.close();
      now += 30;
      await expect(engine.tick()).rejects.toThrow();
      metrics.tickFailed();
      text = await metrics.registry.metrics();
      expect(text).toContain('burnrate_slo_stale{slo_id="stale-availability",service="stale"} 1');
      expect(text).toContain(`burnrate_slo_last_evaluation_timestamp_seconds{slo_id="stale-availability",service="stale"} ${NOW - 300}`);
      // The alert is frozen where it was (still firing, nothing resolved), and says why it is not current.
      expect(text).toContain('burnrate_slo_alert_firing{slo_id="stale-availability",service="stale",severity="page"} 1');
      const api = await (await app.request('/api/slos/stale-availability')).json();
      expect(api).toMatchObject({ stale: true, lastEvaluation: new Date((NOW - 300) * 1000).toISOString(), alerts: [{ kind: 'page', status: 'firing' }, { kind: 'ticket', status: 'inactive' }] });
      expect(api.staleReason).toMatch(/^the last evaluation attempt failed: /);
    } finally {
      await proxy.close().catch(() => {});
      await through.close();
    }
    // `status`, run meanwhile (it reaches ClickHouse itself): the engine's last evaluation is 5 minutes old.
    const dir = mkdtempSync(join(tmpdir(), 'slo-stale-'));
    writeFileSync(join(dir, 'slo.yaml'), SPEC);
    const lines = await runCommand(statusCommand, ['--slos', dir, ...ch]);
    const stamp = new Date((NOW - 300) * 1000).toISOString().replace('.000Z', 'Z');
    // Five minutes and the seconds this test took since NOW (views.ts states the age exactly).
    const engineLine = lines.find((l) => l.startsWith('  engine: '));
    expect(engineLine).toMatch(new RegExp(`^  engine: last evaluation ${stamp}: stale \\(no evaluation for 5m(\\d+s)?\\); its alerts are frozen until it evaluates again$`));
    const json = JSON.parse((await runCommand(statusCommand, ['--slos', dir, '--json', ...ch])).join('\n'));
    expect(json.slos[0]).toMatchObject({ stale: true, staleReason: expect.stringMatching(/^no evaluation for 5m(\d+s)?$/), lastEvaluation: new Date((NOW - 300) * 1000).toISOString() });
    // A relative --at works without "=": 4 minutes ago the engine's evaluation was a minute old.
    const earlier = await runCommand(statusCommand, ['--slos', dir, '--at', '-4m', '--stale-after', '2m', ...ch]);
    expect(earlier).toContain(`  engine: last evaluation ${stamp}`);
  });

  it('backtest takes --from -1h without "=" and --to defaults to now; --step 30s is refused with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-stale-'));
    writeFileSync(join(dir, 'slo.yaml'), SPEC);
    const lines = await runCommand(backtestCommand, ['--slos', dir, '--from', '-1h', '--step', '5m', ...ch]);
    const summary = lines.at(-1)!;
    expect(summary).toMatch(/^\d+ transition\(s\) in 13 evaluation\(s\) from \S+ to \S+ every 5m$/);
    const to = Date.parse(summary.split(' to ')[1]!.split(' ')[0]!) / 1000;
    expect(Math.abs(to - Math.floor(Date.now() / 1000))).toBeLessThan(60);
    expect(lines).toEqual([expect.stringMatching(/^\S+ {2}stale-availability {2}page {4}firing {3}1h\/5m,6h\/30m$/), summary]);
    await expect(backtestCommand.run(['--slos', dir, '--from', '-1h', '--step', '30s', ...ch])).rejects.toMatchObject({
      problems: ['--step: "30s" is not a whole number of minutes (1m, 5m): counts are per minute, so evaluations change at most once a minute'],
    });
  });
});
