import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHmac } from 'node:crypto';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { evaluateAt } from '../../slo-engine/evaluate-at.ts';
import { createDeliverer } from '../../slo-engine/notify/deliverer.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { backtest } from '../../slo-engine/backtest.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';
import { command as statusCommand } from '../../cli/commands/status.ts';
import { command as backtestCommand } from '../../cli/commands/backtest.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// T: a minute boundary two days ago. Spans: 200 per minute from T-4h, 1 error per minute (0.5%)
// until T-30m, then 80 errors per minute (40%) until T; clean again from T to T+15m.
const T = Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 2 * 86_400 + 12 * 3600;
const HOSTILE_ID = `it's "demo" \\ checkout`;
const SPEC = `id: ${JSON.stringify(HOSTILE_ID)}
service: "demo's"
name: Checkout availability
objective: 99
period: 30d
sli: { kind: availability, routes: [/checkout] }
alerting: { ingestDelay: 0s, minEvents: 100 }
`;
const slo = sloFromYaml(SPEC);

async function seed(db: TestDatabase, from: number, to: number, errorsPerMinute: number) {
  // 200 spans per minute, the first `errorsPerMinute` of each minute with status ERROR.
  await db.ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
    SELECT toDateTime(${from} + intDiv(number, 200) * 60 + 1), 't', toString(number), 'GET /checkout', 2,
           if(number % 200 < ${errorsPerMinute}, 2, 1), ${"demo's"}, '/checkout', 200, 1000000
    FROM numbers(${((to - from) / 60) * 200})`);
}

describe('SLO engine on a real ClickHouse', () => {
  let db: TestDatabase;
  let sink: Receiver;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('slo');
    await seed(db, T - 4 * 3600, T - 1800, 1);
    await seed(db, T - 1800, T, 80);
    await seed(db, T, T + 15 * 60, 0);
    sink = await startReceiver();
    env = { SLACK_WEBHOOK_URL: `${sink.url}/slack`, WEBHOOK_URL: `${sink.url}/hook`, WEBHOOK_SECRET: 's3cret', PAGERDUTY_ROUTING_KEY: 'R0UT3', PAGERDUTY_EVENTS_URL: `${sink.url}/pd` };
  });
  afterAll(async () => {
    await sink?.close();
    await db?.close();
  });

  const engineAt = (seconds: number, replicaId = 'r1') => {
    const { router, problems } = buildRouter([slo], env);
    expect(problems).toEqual([]);
    const clock = () => seconds * 1000;
    const engine = createEngine({ ch: db.ch, slos: [slo], router, clock, replicaId, dashboardUrl: 'https://grafana.example/d/slo' });
    const deliverer = createDeliverer({ ch: db.ch, router, replicaId, clock, settleMs: 0 });
    return { engine, deliverer };
  };

  it('backfills counts, computes exact burn rates and budget, and pages once on all channels', async () => {
    const { engine, deliverer } = engineAt(T + 20);
    const result = await engine.tick();
    const deliveries = await deliverer.poll();
    const e = result.results[0]!.evaluation!;
    expect(e.end).toBe(T);
    const byWindow = Object.fromEntries(e.windows.map((w) => [w.seconds, w.burnRate]));
    expect(byWindow[300]).toBe(40); // 40% errors / 1% budget
    expect(byWindow[3600]).toBe(20.25); // (30×80 + 30×1) / 12,000 / 1%
    expect(e.period).toEqual({ good: 48_000n - 2610n, total: 48_000n });
    expect(e.budgetRemaining).toBe(-4.4375);
    expect(result.transitions.map((t) => `${t.kind}:${t.status}`)).toEqual(['page:firing']);
    expect(deliveries.map((d) => `${d.channel}:${d.outcome}`).sort()).toEqual(['pagerduty:PAGERDUTY_ROUTING_KEY:sent', 'slack:SLACK_WEBHOOK_URL:sent', 'webhook:WEBHOOK_URL:sent']);

    const slack = sink.received.find((r) => r.path === '/slack')!;
    const slackBody = JSON.parse(slack.body);
    expect(slackBody.text).toBe(`[PAGE] Checkout availability (demo's) is burning its error budget — budget remaining -443.75%`);
    expect(slackBody.blocks[1].fields[0].text).toBe(`*SLO*\nCheckout availability (\`${HOSTILE_ID}\`)`);
    expect(slackBody.blocks[2].text.text).toContain('🔥 `1h/5m` threshold 14.4x: long 20.25x, short 40x');
    expect(slackBody.blocks.at(-1).elements[0].url).toBe(`https://grafana.example/d/slo?var-slo=${encodeURIComponent(HOSTILE_ID).replace(/%20/g, '+').replace(/'/g, '%27')}`);

    const hook = sink.received.find((r) => r.path === '/hook')!;
    expect(hook.headers['x-burnrate-signature']).toBe('sha256=' + createHmac('sha256', 's3cret').update(hook.body).digest('hex'));
    const am = JSON.parse(hook.body);
    expect(am).toMatchObject({ version: '4', status: 'firing', groupLabels: { slo_id: HOSTILE_ID, severity: 'page' } });
    expect(am.alerts[0]).toMatchObject({ status: 'firing', startsAt: new Date(T * 1000).toISOString(), endsAt: '0001-01-01T00:00:00Z' });

    const pd = JSON.parse(sink.received.find((r) => r.path === '/pd')!.body);
    expect(pd).toMatchObject({ routing_key: 'R0UT3', event_action: 'trigger', dedup_key: `burnrate/${HOSTILE_ID}/page`, payload: { severity: 'critical', source: "demo's" } });

    const rows = await db.ch.query<{ n: string; page: number }>(sql`SELECT toString(count()) AS n, max(page_firing) AS page FROM slo_evaluations WHERE slo_id = ${HOSTILE_ID}`);
    expect(rows).toEqual([{ n: '1', page: 1 }]);
    const sent = await db.ch.query<{ channel: string; outcome: string; http_status: number }>(sql`SELECT channel, outcome, http_status FROM slo_notifications WHERE slo_id = ${HOSTILE_ID} AND outcome = 'sent' ORDER BY channel`);
    expect(sent.map((r) => `${r.channel} ${r.http_status}`)).toEqual(['pagerduty:PAGERDUTY_ROUTING_KEY 200', 'slack:SLACK_WEBHOOK_URL 200', 'webhook:WEBHOOK_URL 200']);
    const urls = await db.ch.query<{ n: string }>(sql`SELECT toString(count()) AS n FROM slo_notifications WHERE position(error, '127.0.0.1') > 0 OR position(channel, 'http') > 0`);
    expect(urls).toEqual([{ n: '0' }]);
  });

  it('a restarted engine mid-incident sends nothing again', async () => {
    const before = sink.received.length;
    const { engine, deliverer } = engineAt(T + 50, 'r2');
    const result = await engine.tick();
    expect(await deliverer.poll()).toEqual([]);
    expect(result.transitions).toEqual([]);
    expect(result.states.find((s) => s.kind === 'page')?.status).toBe('firing');
    expect(sink.received.length).toBe(before);
  });

  it('resolves the page once the 5m window is clean; by default the ticket stays quiet for budget the paged incident burned', async () => {
    const before = sink.received.length;
    const { engine, deliverer } = engineAt(T + 600 + 20, 'r3');
    const result = await engine.tick();
    await deliverer.poll();
    // The 1d/2h and 3d/6h ticket tiers burn (the incident is in both windows) but their short
    // windows overlap the page: inhibited (before issue 12 the ticket fired here, at T+10m).
    expect(result.transitions.map((t) => `${t.kind}:${t.status}`)).toEqual(['page:resolved']);
    const ticketTiers = result.results[0]!.evaluation!.tiers.map((t, i) => ({ t, why: result.inhibited.get(HOSTILE_ID)![i] })).filter((x) => x.t.severity === 'ticket');
    expect(ticketTiers.map((x) => [x.t.reason, x.why])).toEqual([
      ['burning', { by: 'page', firing: false, resolvedAt: T + 600 }],
      ['burning', { by: 'page', firing: false, resolvedAt: T + 600 }],
    ]);
    const pd = sink.received.slice(before).filter((r) => r.path === '/pd').map((r) => JSON.parse(r.body));
    expect(pd).toContainEqual({ routing_key: 'R0UT3', event_action: 'resolve', dedup_key: `burnrate/${HOSTILE_ID}/page` });
    const resolvedHook = sink.received.slice(before).filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body)).find((b) => b.status === 'resolved');
    expect(resolvedHook.alerts[0].endsAt).toBe(new Date((T + 600) * 1000).toISOString());
    const rows = await db.ch.query<{ c: string[] }>(sql`SELECT tier_condition AS c FROM slo_evaluations WHERE slo_id = ${HOSTILE_ID} ORDER BY time DESC LIMIT 1`);
    // Page tiers: the 6h window holds 2,610 bad of 50,000 (5.22% < 6%); ticket tiers burn but are inhibited.
    expect(rows[0]!.c).toEqual(['ok', 'ok', 'inhibited', 'inhibited']);
  });

  it('a custom SQL SLI counts the same as the built-in one; an SLO that cannot be counted does not stop the others', async () => {
    const custom = sloFromYaml(`id: custom
service: x
objective: 99
period: 30d
sli:
  kind: custom
  table: spans
  good: countIf(NOT (status_code = 2 OR http_status_code >= 500))
  total: count()
  where: service_name = 'demo''s' AND kind = 2 AND has(['/checkout'], http_route)
alerting: { ingestDelay: 0s }
`);
    const metric = sloFromYaml('id: metric\nservice: x\nobjective: 99\nperiod: 30d\nsli: { kind: metric-ratio, bad: { metric: errors }, total: { metric: requests } }\n');
    // A histogram whose bounds do not contain the threshold cannot be counted (see slo-metric-sli.test.ts).
    const histogram = sloFromYaml('id: histogram\nservice: x\nobjective: 99\nperiod: 30d\nsli: { kind: metric-latency, metric: latency, threshold: 0.3 }\n');
    await db.ch.command(sql`INSERT INTO metrics_histogram (timestamp, service_name, metric_name, metric_unit, aggregation_temporality, count, bucket_counts, explicit_bounds)
      VALUES (toDateTime(${T - 60}), 'x', 'latency', 's', 1, 1, [1, 0], [0.25])`);
    const results = await evaluateAt(db.ch, [custom, metric, histogram], T + 20, { refresh: { mode: 'engine', now: T + 20, marginSeconds: 600, version: Date.now() } });
    const burn = Object.fromEntries(results[0]!.evaluation!.windows.map((w) => [w.seconds, w.burnRate]));
    expect([burn[300], burn[3600]]).toEqual([40, 20.25]);
    // Metric SLIs are counted now: no points of these counters is no data, not an error.
    expect(results[1]!.error).toBeUndefined();
    expect(results[1]!.evaluation!.noData).toBe(true);
    expect(results[2]!.error).toBe('SLO "histogram": metric-latency threshold 0.3 is not a bucket bound of histogram "latency" (service x); bounds found: [0.25] (unit "s") (the threshold is in the metric unit and must equal one of them)');
  });

  it('backtest replays the incident: ticket (3d/6h at 1x), then page, then the page resolves', async () => {
    const result = await backtest(db.ch, [slo], { from: T - 3600, to: T + 600, stepSeconds: 60, now: T + 86_400 });
    expect(result.errors).toEqual([]);
    expect(result.transitions.map((t) => `${(t.at - T) / 60}m ${t.kind} ${t.status}`)).toEqual(['-27m ticket firing', '-8m page firing', '4m page resolved']);
  });

  it('the backtest and status commands print what the engine saw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-cli-'));
    writeFileSync(join(dir, 'slo.yaml'), SPEC);
    const ch = ['--clickhouse-url', db.config.url, '--clickhouse-database', db.config.database];
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      expect(await backtestCommand.run(['--slos', dir, '--from', new Date((T - 3600) * 1000).toISOString(), '--to', String(T + 600), ...ch])).toBe(0);
      expect(lines).toEqual([
        `${new Date((T - 1620) * 1000).toISOString().replace('.000Z', 'Z')}  ${HOSTILE_ID}  ticket  firing   3d/6h`,
        `${new Date((T - 480) * 1000).toISOString().replace('.000Z', 'Z')}  ${HOSTILE_ID}  page    firing   1h/5m`,
        `${new Date((T + 240) * 1000).toISOString().replace('.000Z', 'Z')}  ${HOSTILE_ID}  page    resolved`,
        expect.stringMatching(/^3 transition\(s\) in 71 evaluation\(s\)/),
      ]);
      lines.length = 0;
      expect(await statusCommand.run(['--at', String(T + 30), '--slos', dir, ...ch])).toBe(0);
      expect(lines[0]).toBe(`${HOSTILE_ID} (demo's): 99% over 30d`);
      expect(lines[1]).toBe(`  as of ${new Date(T * 1000).toISOString().replace('.000Z', 'Z')}: SLI 94.563%  budget remaining -443.75%  time to exhaustion 0s`);
      expect(lines[2]).toBe(`  period: data for 4h of 30d (0.56%); 3.02% of the whole period's budget consumed`);
      expect(lines[3]).toContain('5m 40x');
      expect(lines[3]).toContain('1h 20.25x');
      expect(lines[4]).toBe('  page   1h/5m    > 14.4x: long 20.25x, short 40x  burning');
      // Both ticket windows hold all 4 h of data: 2,610 bad of 48,000 = 5.4375x; the page fires, so it is inhibited.
      expect(lines[7]).toBe('  ticket 3d/6h    > 1x: long 5.44x, short 5.44x  burning (inhibited: page firing)');
      const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
      expect(lines.slice(8)).toEqual([
        `  alerts: page firing since ${iso(T)}, ticket inactive`,
        `  engine: last evaluation ${iso(T + 20)}`,
        `  notification: page firing at ${iso(T)} via pagerduty:PAGERDUTY_ROUTING_KEY: sent after 1 attempt(s)`,
        `  notification: page firing at ${iso(T)} via slack:SLACK_WEBHOOK_URL: sent after 1 attempt(s)`,
        `  notification: page firing at ${iso(T)} via webhook:WEBHOOK_URL: sent after 1 attempt(s)`,
      ]);
      lines.length = 0;
      expect(await statusCommand.run(['--at', String(T + 30), '--json', ...ch])).toBe(0);
      const json = JSON.parse(lines.join('\n'));
      // Without --slos: the SLOs the engine runs (the ones evaluated above without an engine are not registered).
      expect(json.slos.map((s: { id: string }) => s.id)).toEqual([HOSTILE_ID]);
      expect(json.slos.find((s: { id: string }) => s.id === HOSTILE_ID)).toMatchObject({ id: HOSTILE_ID, budgetRemaining: -4.4375, alerts: [{ kind: 'page', status: 'firing' }, { kind: 'ticket', status: 'inactive' }] });
    } finally {
      spy.mockRestore();
    }
  });
});
