// Counting that cannot lie (issue 12, item 1 and the `status --at <future>` finding; issue 11's
// partition time zones): which minutes are counted is recorded exactly, read-only callers never
// record the future nor anything the engine still re-counts, and nothing they do changes what the
// engine counts. Real ClickHouse, the CLI commands as an operator runs them.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { sql } from '../../storage/sql.ts';
import { command as statusCommand } from '../../cli/commands/status.ts';
import { runCommand } from '../support/cli-output.ts';
import { command as backtestCommand } from '../../cli/commands/backtest.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { evaluateAt } from '../../slo-engine/evaluate-at.ts';
import { backtest } from '../../slo-engine/backtest.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { countsQuery, sliHash } from '../../slo-engine/sli/sql.ts';
import { settleDays } from '../../slo-engine/sli/partitions.ts';
import { fetchWindowCounts } from '../../slo-engine/sli/window-sums.ts';
import { evaluate } from '../../slo-engine/evaluate.ts';
import { evaluationPlan } from '../../slo-engine/math/windows.ts';
import { step, type AlertState } from '../../slo-engine/alerts/state-machine.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';
import { prng } from '../../bench/fuzz-lib.ts';

const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);
/** Midnight UTC today: the timeline is laid out in days before it. */
const D = Math.floor(NOW / DAY) * DAY;
const iso = (s: number) => new Date(s * 1000).toISOString();

/** `perMinute` spans per minute over [from, to) of `service`; the first `bad` of each minute fail. */
async function spans(db: TestDatabase, service: string, from: number, to: number, perMinute: number, bad: number) {
  await db.ch.command(sql`INSERT INTO spans (timestamp, start_time_ns, end_time_ns, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
    SELECT toDateTime(${from} + intDiv(number, ${perMinute}) * 60 + 1), toUInt64(${from} + intDiv(number, ${perMinute}) * 60 + 1) * 1000000000, toUInt64(${from} + intDiv(number, ${perMinute}) * 60 + 1) * 1000000000 + 1000000,
      't', toString(number), 'GET /', 2, if(number % ${perMinute} < ${bad}, 2, 1), ${service}, '/', 200, 1000000
    FROM numbers(${((to - from) / 60) * perMinute})`);
}

function sloFile(id: string, service: string, extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'slo-counting-'));
  writeFileSync(join(dir, 'slo.yaml'), `id: ${id}\nservice: ${service}\nobjective: 99.9\nperiod: 7d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 10 }\n${extra}`);
  return dir;
}

describe('counting never records minutes it did not count (issue 12)', () => {
  let db: TestDatabase;
  let ch: string[];
  beforeAll(async () => {
    db = await createTestDatabase('slo_counting');
    ch = ['--clickhouse-url', db.config.url, '--clickhouse-database', db.config.database];
  });
  afterAll(async () => db?.close());

  it('status --at late, then a backtest of an older outage, then one in between: both outages page', async () => {
    // Two outages of 4,200 spans each (100 a minute for 42 minutes, 100 bad in minutes 20-29),
    // "August" 40 days ago and "September" 20 days ago; "late November" is 2 days ago.
    const august = D - 40 * DAY + 12 * 3600;
    const september = D - 20 * DAY + 12 * 3600;
    for (const start of [august, september]) {
      await spans(db, 'shop', start, start + 20 * 60, 100, 0);
      await spans(db, 'shop', start + 20 * 60, start + 30 * 60, 100, 10);
      await spans(db, 'shop', start + 30 * 60, start + 42 * 60, 100, 0);
    }
    const dir = sloFile('shop-availability', 'shop');
    await runCommand(statusCommand, ['--at', iso(D - 2 * DAY), '--slos', dir, ...ch]);
    const pages = async (start: number) => {
      const out = await runCommand(backtestCommand, ['--slos', dir, '--from', iso(start + 15 * 60), '--to', iso(start + 35 * 60), '--step', '1m', ...ch]);
      return out.filter((l) => / page +firing/.test(l)).map((l) => l.slice(0, 20));
    };
    // 100 bad of 3,000 in the 1h window at minute 30 (3.3% > 1.44%), 50 of 500 in the 5m window.
    expect(await pages(august)).toEqual([iso(august + 21 * 60).replace('.000Z', 'Z')]);
    expect(await pages(september)).toEqual([iso(september + 21 * 60).replace('.000Z', 'Z')]);
    // The September spans up to the end of that backtest are counted: 35 minutes, all 100 bad ones.
    const [row] = await db.ch.query<{ bad: string; events: string }>(
      sql`SELECT toString(sum(total - good)) AS bad, toString(sum(total)) AS events FROM slo_sli_1m FINAL WHERE slo_id = 'shop-availability' AND minute >= toDateTime(${september}) AND minute < toDateTime(${september + 3600})`,
    );
    expect(row).toEqual({ bad: '100', events: '3500' });
  });

  it('status --at calls out of date order see a 100% outage between them', async () => {
    const outage = D - 15 * DAY + 6 * 3600;
    await spans(db, 'cart', outage, outage + 30 * 60, 20, 20);
    const dir = sloFile('cart-availability', 'cart');
    await runCommand(statusCommand, ['--at', iso(D - 3 * DAY), '--slos', dir, ...ch]);
    await runCommand(statusCommand, ['--at', iso(D - 25 * DAY), '--slos', dir, ...ch]);
    const lines = await runCommand(statusCommand, ['--at', iso(outage + 30 * 60), '--slos', dir, ...ch]);
    // 600 spans, all bad: the budget is 1,000 times overspent, not "100%, no data".
    expect(lines[1]).toBe(`  as of ${iso(outage + 30 * 60).replace('.000Z', 'Z')}: SLI 0%  budget remaining -99900%  time to exhaustion 0s`);
  });

  it('status --at a future time and backtest --to a future time do not silence the running engine', async () => {
    const now = Math.floor(Date.now() / 1000);
    const dir = sloFile('api-availability', 'api');
    await runCommand(statusCommand, ['--at', iso(now + 2 * DAY), '--slos', dir, ...ch]);
    await runCommand(backtestCommand, ['--slos', dir, '--from', '-1h', '--to', iso(now + DAY), '--step', '30m', ...ch]);
    const after = Math.floor(Date.now() / 1000);
    // Recorded coverage stops a margin before now (status and backtest never record the future).
    const [cov] = await db.ch.query<{ until: number }>(sql`SELECT toUInt32(max(range_until)) AS until FROM slo_coverage WHERE slo_id = 'api-availability'`);
    expect(Number(cov!.until)).toBeLessThanOrEqual(Math.floor(after / 60) * 60 - 600);
    // Then an outage starts: 100% errors for the last 10 minutes.
    const start = Math.floor(after / 60) * 60 - 600;
    await spans(db, 'api', start, start + 600, 30, 30);
    const slo = sloFromYaml(`id: api-availability\nservice: api\nobjective: 99.9\nperiod: 7d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 10 }\n`);
    const { router } = buildRouter([slo], {});
    const result = await createEngine({ ch: db.ch, slos: [slo], router, clock: () => (start + 600) * 1000 }).tick();
    expect(result.results[0]!.evaluation!.windows.find((w) => w.seconds === 300)).toMatchObject({ good: 0n, total: 150n });
    expect(result.transitions.map((t) => `${t.kind}:${t.status}`)).toEqual(['page:firing']);
  });

  it('plain status and backtest do not add SLOs to what later status calls show', async () => {
    // The SLOs above were only evaluated by status/backtest, except api-availability (the engine ran it).
    const out = await runCommand(statusCommand, ['--json', ...ch]);
    expect(JSON.parse(out.join('\n')).slos.map((s: { id: string }) => s.id)).toEqual(['api-availability']);
  });
});

describe('property: any sequence of status, backtest and engine ticks counts what one fresh count does', () => {
  const BASE = D - 3 * DAY;
  const HOURS = 12;
  let db: TestDatabase;
  /** Per minute: good/total from one count of the raw spans. */
  const fresh = new Map<number, { good: bigint; total: bigint }>();
  const sloFor = (id: string): Slo =>
    sloFromYaml(
      `id: ${id}\nservice: prop\nobjective: 99\nperiod: 2h\nsli: { kind: availability }\nalerting:\n  ingestDelay: 0s\n  minEvents: 1\n  tiers: [{ severity: page, long: 1h, short: 5m, factor: 5 }, { severity: ticket, long: 2h, short: 30m, factor: 1 }]\n`,
    );

  beforeAll(async () => {
    db = await createTestDatabase('slo_property');
    // 0-5 spans a minute; errors 3% of the time, 40% in every third hour.
    await db.ch.command(sql`INSERT INTO spans (timestamp, start_time_ns, end_time_ns, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${BASE} + intDiv(number, 6) * 60 + 7), 0, 0, 't', toString(number), 'GET /', 2,
        if(cityHash64(number) % 100 < if(intDiv(intDiv(number, 6), 60) % 3 = 1, 40, 3), 2, 1), 'prop', '/', 200, 1000
      FROM numbers(${HOURS * 60 * 6}) WHERE number % 6 < cityHash64(intDiv(number, 6)) % 6`);
    const rows = await db.ch.query<{ m: number; good: string; total: string }>(
      `SELECT toUInt32(minute) AS m, toString(good) AS good, toString(total) AS total FROM (${countsQuery(sloFor('x'), BASE - DAY, BASE + DAY).text})`,
    );
    for (const r of rows) fresh.set(Number(r.m), { good: BigInt(r.good), total: BigInt(r.total) });
  });
  afterAll(async () => db?.close());

  /** The evaluation at `at` from the fresh counts. */
  const expected = (slo: Slo, at: number) => {
    const plan = evaluationPlan(slo, at);
    const sum = (from: number) => {
      let good = 0n;
      let total = 0n;
      for (const [m, c] of fresh) {
        if (m < from || m >= plan.end) continue;
        good += c.good;
        total += c.total;
      }
      return { good, total };
    };
    const firstData = [...fresh].filter(([m, c]) => m >= plan.periodStart && m < plan.end && c.total > 0n).map(([m]) => m).sort((a, b) => a - b)[0];
    return evaluate(slo, plan, { windows: new Map(plan.windows.map((w) => [w, sum(plan.end - w)])), period: sum(plan.periodStart), ...(firstData !== undefined ? { firstData } : {}) }, at);
  };
  const counts = (e: ReturnType<typeof expected>) => ({ windows: e.windows.map((w) => `${w.seconds}:${w.good}/${w.total}`), period: `${e.period.good}/${e.period.total}`, data: e.periodData.seconds });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', async (seed) => {
    const random = prng(seed);
    const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    const slo = sloFor(`prop-${seed}`);
    let now = BASE + pick(0, 6 * 60) * 60 + 17;
    const { router } = buildRouter([slo], {});
    const engine = createEngine({ ch: db.ch, slos: [slo], router, clock: () => now * 1000 });
    const log: string[] = [];
    for (let i = 0; i < 6; i++) {
      const op = random();
      if (op < 0.35) {
        now += pick(1, 90) * 60;
        log.push(`tick ${iso(now)}`);
        const e = (await engine.tick()).results[0]!.evaluation!;
        expect(counts(e), log.join(' | ')).toEqual(counts(expected(slo, now)));
      } else if (op < 0.7) {
        const at = BASE + pick(-60, (HOURS + 1) * 60) * 60 + 30;
        log.push(`status --at ${iso(at)} (now ${iso(now)})`);
        const e = (await evaluateAt(db.ch, [slo], at, { refresh: { mode: 'read-only', now, marginSeconds: 600, version: Date.now() } }))[0]!.evaluation!;
        expect(counts(e), log.join(' | ')).toEqual(counts(expected(slo, at)));
      } else {
        const from = BASE + pick(-60, HOURS * 60) * 60;
        const to = from + pick(10, 120) * 60;
        log.push(`backtest ${iso(from)}..${iso(to)} (now ${iso(now)})`);
        const result = await backtest(db.ch, [slo], { from, to, stepSeconds: 300, now });
        let states: AlertState[] = [];
        const transitions: string[] = [];
        for (let at = from; at <= to; at += 300) {
          const s = step(slo, states, expected(slo, at));
          states = s.states;
          transitions.push(...s.transitions.map((t) => `${t.at}:${t.kind}:${t.status}`));
        }
        expect(result.transitions.map((t) => `${t.at}:${t.kind}:${t.status}`), log.join(' | ')).toEqual(transitions);
      }
      // What status and backtest record as counted is settled: never past the margin before their now.
      const [cov] = await db.ch.query<{ until: number }>(sql`SELECT toUInt32(max(range_until)) AS until FROM slo_coverage WHERE slo_id = ${slo.id}`);
      expect(Number(cov!.until), log.join(' | ')).toBeLessThanOrEqual(Math.floor(now / 60) * 60 - 600);
    }
    // After the whole sequence, every minute the table says is counted equals the fresh count.
    const ranges = await db.ch.query<{ from: number; until: number }>(sql`SELECT toUInt32(range_from) AS from, toUInt32(max(range_until)) AS until FROM slo_coverage WHERE slo_id = ${slo.id} AND sli_hash = ${sliHash(slo)} GROUP BY range_from`);
    const stored = await db.ch.query<{ m: number; good: string; total: string }>(sql`SELECT toUInt32(minute) AS m, toString(good) AS good, toString(total) AS total FROM slo_sli_1m FINAL WHERE slo_id = ${slo.id}`);
    const table = new Map(stored.map((r) => [Number(r.m), `${r.good}/${r.total}`]));
    for (const r of ranges) {
      for (let m = Number(r.from); m < Number(r.until); m += 60) {
        const c = fresh.get(m);
        expect(table.get(m), `minute ${iso(m)} | ${log.join(' | ')}`).toBe(c && c.total > 0n ? `${c.good}/${c.total}` : c ? '0/0' : undefined);
      }
    }
  });
});

describe('day partitions in the server time zone (issue 11)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_zone');
  });
  afterAll(async () => db?.close());

  it('window sums equal a FINAL sum whatever zone the server cuts its day partitions in', async () => {
    // Around midnight UTC: version 1 of every minute of [D-3h, D+3h), all partitions merged; then
    // version 2 (a re-count) of [D-1h, D+1h). In UTC these minutes touch both days; in Berlin or Los
    // Angeles they lie in one partition whose day is not the UTC day of its id.
    const M = D - 2 * DAY;
    const slo = sloFromYaml('id: zone\nservice: s\nobjective: 99\nperiod: 1d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s }\n');
    const rows = (from: number, to: number, good: number, version: number) =>
      db.ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
        SELECT 'zone', ${sliHash(slo)}, toDateTime(${from} + number * 60), ${good}, 10, ${version} FROM numbers(${(to - from) / 60})`);
    await rows(M - 3 * 3600, M + 3 * 3600, 10, 1);
    await db.ch.command('OPTIMIZE TABLE slo_sli_1m FINAL');
    await rows(M - 3600, M + 3600, 4, 2);
    const plan = evaluationPlan(slo, M + 3 * 3600);
    const [truth] = await db.ch.query<{ good: string; total: string }>(
      sql`SELECT toString(sum(good)) AS good, toString(sum(total)) AS total FROM slo_sli_1m FINAL WHERE slo_id = 'zone' AND sli_hash = ${sliHash(slo)} AND minute >= toDateTime(${plan.periodStart}) AND minute < toDateTime(${plan.end})`,
    );
    // 360 minutes: 240 at 10/10, 120 re-counted at 4/10.
    expect(truth).toEqual({ good: String(240 * 10 + 120 * 4), total: '3600' });
    const sums = await fetchWindowCounts(db.ch, [{ slo, plan }]);
    expect(sums.get('zone')!.period).toEqual({ good: 2880n, total: 3600n });
    // Settling merges only partitions the server places entirely before the limit.
    await settleDays(db.ch, M + 3600 + 600, 600, 10);
    const [open] = await db.ch.query<{ parts: string }>(sql`SELECT toString(count()) AS parts FROM system.parts WHERE database = ${db.config.database} AND table = 'slo_sli_1m' AND active AND partition = toString(toYYYYMMDD(toDateTime(${M + 3600})))`);
    expect(Number(open!.parts)).toBeGreaterThan(1);
    expect((await fetchWindowCounts(db.ch, [{ slo, plan }])).get('zone')!.period).toEqual({ good: 2880n, total: 3600n });
  });

  it('the engine sums each minute it re-counts once, in an hour that lies in another day in the server zone than in UTC', async () => {
    // Found by the web UI's tests before the partitions were read by their time ranges: the
    // engine's own re-count (a trailing margin every tick) makes the second versions here.
    const zone = inject('clickhouseTimezone');
    const localDate = (t: number) => new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t * 1000));
    let T = 0;
    for (let t = D - 2 * DAY + 3600; t <= D && T === 0; t += 3600) {
      let all = true;
      for (let m = t - 3600; m < t; m += 60) if (localDate(m) === iso(m).slice(0, 10)) all = false;
      if (all) T = t;
    }
    expect(T, `the server must run outside UTC (${zone})`).toBeGreaterThan(0);
    await spans(db, 'engine-zone', T - 3600, T, 100, 10);
    const slo = sloFromYaml('id: engine-zone\nservice: engine-zone\nobjective: 99\nperiod: 7d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s }\n');
    const { router } = buildRouter([slo], {});
    let now = (T + 10) * 1000;
    const engine = createEngine({ ch: db.ch, slos: [slo], router, clock: () => now });
    await engine.tick();
    now += 10_000;
    const second = await engine.tick();
    const hour = second.results[0]!.evaluation!.windows.find((w) => w.seconds === 3600)!;
    expect({ good: hour.good, total: hour.total }).toEqual({ good: 5400n, total: 6000n });
    expect(second.results[0]!.evaluation!.period).toEqual({ good: 5400n, total: 6000n });
  });
});
