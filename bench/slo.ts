// SLO engine benchmark (`npm run bench:slo`): a private ClickHouse (Debian's clickhouse-server, 18.16
// here) with 30-day rolling SLOs (default tiers: windows 5m … 3d) at 1,000 and 10,000 SLOs, single
// instance and sharded (--shard i/n), against the goals of issue 15: 1,000 SLOs < 1 s steady-state
// evaluation on one instance, 10,000 SLOs within the 30 s tick interval.
//
// What is seeded (every minute of every SLO has 1,000 events, 0–6 bad):
//   full  — slo_sli_1m holds every minute of the 30 days (1,000 SLOs: 43.2M rows), and the engine's
//           own summing (rollUpHours) writes slo_sli_1h from it (timed: the catch-up after an upgrade).
//   edges — slo_sli_1m holds every minute of each day partition an evaluation in this run reads
//           minutes from (the days of the windows' and the period's edge hours, and today), slo_sli_1h
//           every settled hour of the 30 days (the same numbers the summing writes, computed in SQL).
//           The other days' minutes exist in a real install but no evaluation reads them: their
//           hours are summed, and the minute ranges read exclude them, so their partitions are
//           pruned. 10,000 SLOs x 30 days of minutes would be 432M rows; this is ~5 days of them.
//           The 1,000-SLO case is run in both modes to show the two seedings time the same.
// Every evaluation is checked: each SLO's 30-day period holds exactly 1,000 events per seeded minute.
//
// Measured per case (wall clock, this process and the server on the same machine):
//   evaluation — the window sums of every SLO and the math (what a tick does besides counting
//                and writing): cold = every day partition unmerged (FINAL everywhere, e.g. after a
//                bulk backfill), warm = the steady state (settled days merged, today in several parts);
//   tick       — a full engine tick: re-count of every SLO's trailing 10 minutes (from raw span
//                tables, empty here: statement overhead only), summing any newly settled hour,
//                evaluation, evaluation rows and alert states written. cold = an engine's first
//                tick (registers the SLO definitions), warm = the median of the following ones;
//   sharded    — the same SLOs split over n engines (--shard i/n) in this process: each shard's
//                tick alone, one after the other (what each instance takes when it has its own
//                machine), and all n at once (sharing these cores, one ClickHouse and one Node thread);
//   baseline   — the minute-only path (rollups off, as before issue 15) on the same data.
// Prints a table and writes .bench/slo.json.
//
//   npm run bench:slo -- [--cases 1000:full,1000:edges,10000:edges] [--shards 2,4] [--spans 5000000]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../storage/client.ts';
import { startLocalClickhouse } from '../storage/local-server.ts';
import { migrate } from '../storage/migrate.ts';
import { raw, sql } from '../storage/sql.ts';
import { TABLES } from '../storage/tables.ts';
import { sloSchema } from '../slo-engine/spec/schema.ts';
import { toModel } from '../slo-engine/spec/to-model.ts';
import { sliHash } from '../slo-engine/sli/sql.ts';
import { createEngine, type Engine } from '../slo-engine/engine.ts';
import { evaluateCounted, type SloEvaluation } from '../slo-engine/evaluate-at.ts';
import { evaluationPlan } from '../slo-engine/math/windows.ts';
import { buildRouter } from '../slo-engine/notify/channels.ts';
import { refreshCounts } from '../slo-engine/sli/counts.ts';
import { settleDays } from '../slo-engine/sli/partitions.ts';
import { rollUpHours } from '../slo-engine/sli/rollups.ts';
import type { Slo } from '../slo-engine/model.ts';

const { values: flags } = parseArgs({
  options: { cases: { type: 'string', default: '1000:full,1000:edges,10000:edges' }, shards: { type: 'string', default: '2,4' }, spans: { type: 'string', default: '5000000' } },
});
const CASES = flags.cases.split(',').map((c) => {
  const [n, mode] = c.split(':');
  if (!/^\d+$/.test(n!) || (mode !== 'full' && mode !== 'edges')) throw new Error(`--cases: "${c}" is not N:full or N:edges`);
  return { n: Number(n), mode: mode as 'full' | 'edges' };
});
const SHARDS = flags.shards.split(',').filter(Boolean).map(Number);
const SPANS = Number(flags.spans);

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
const PERIOD = 30 * DAY;
const MARGIN = 600;
/** The first simulated instant: a minute in the past, so every tick's clock (30 s apart) stays behind the server's. */
const T0 = Math.floor(Date.now() / 1000 / MIN) * MIN - 30 * MIN;
/** Seeded data starts a day before the period so the lookback is covered wherever the clock is. */
const START = Math.floor((T0 - PERIOD) / DAY) * DAY - DAY;
/** Hours summed: those the engine's summing would have written by T0 (see sli/rollups.ts). */
const ROLLED_UNTIL = Math.floor((T0 - 2 * MARGIN) / HOUR) * HOUR;
const MINUTE0 = START / MIN;

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const slo = (i: number, sli: object = { kind: 'availability' }): Slo =>
  toModel(sloSchema.parse({ id: `slo-${100_000 + i}`, service: 'bench', objective: 99.9, period: '30d', sli, alerting: { ingestDelay: '0s' } }), 'bench');
const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${Math.round(x).toLocaleString('en')} ms`;

/** Minute m's bad events: a deterministic 0–6 that varies per SLO. */
const BAD = (sloIndex: string, minute: string) => `((${minute} + ${sloIndex}) % 7)`;

/** The days an evaluation in [T0, T0 + 15 min] reads minutes from: edge hours of window/period starts and the recent unsummed hours. */
function minuteDays(sample: Slo): number[] {
  const days = new Set<number>();
  for (let at = T0; at <= T0 + 15 * MIN; at += MIN) {
    const plan = evaluationPlan(sample, at);
    for (const s of [...plan.windows.map((w) => plan.end - w), plan.periodStart]) days.add(floorTo(s, DAY));
    for (let t = ROLLED_UNTIL - HOUR; t < plan.end; t += HOUR) days.add(floorTo(t, DAY));
  }
  return [...days].sort((a, b) => a - b);
}

async function seedMinutes(ch: Clickhouse, n: number, hash: string, from: number, until: number) {
  const minutes = (until - from) / MIN;
  // Chunks of ~10M rows: several parts per partition, as a real backfill leaves them.
  const per = Math.max(1, Math.floor(10_000_000 / minutes));
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
      SELECT concat('slo-', toString(${100_000 + first} + intDiv(number, ${minutes}))) AS id, ${hash},
             toDateTime(${from} + (number % ${minutes}) * 60) AS m,
             1000 - ${raw(BAD(`(${first} + intDiv(number, ${minutes}))`, `(intDiv(toUInt32(m), 60) - ${MINUTE0})`))}, 1000, 1
      FROM numbers(${count * minutes})`);
  }
}

/** Hourly rows equal to what rollUpHours writes from the seeded minutes' formula. */
async function seedHours(ch: Clickhouse, n: number, hash: string, from: number, until: number) {
  const hours = (until - from) / HOUR;
  const per = Math.max(1, Math.floor(2_000_000 / hours));
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    await ch.command(sql`INSERT INTO slo_sli_1h (slo_id, sli_hash, hour, good, total, first_minute, version)
      SELECT concat('slo-', toString(${100_000 + first} + intDiv(number, ${hours}))), ${hash}, toDateTime(h), g, 60000, toDateTime(h), 1
      FROM (
        SELECT number, ${from} + (number % ${hours}) * 3600 AS h,
               arraySum(arrayMap(k -> 1000 - ${raw(BAD(`(${first} + intDiv(number, ${hours}))`, `(intDiv(h, 60) - ${MINUTE0} + k)`))}, range(60))) AS g
        FROM numbers(${count * hours})
      )`);
  }
}

/** Every minute in [T0 - 30 d, T0) has 1,000 events, later ones none: a period ending at `end` holds exactly this many. */
const expectedTotal = (end: number) => 1000n * BigInt((PERIOD - Math.max(0, end - T0)) / MIN);

function checkPeriods(results: SloEvaluation[], what: string): void {
  const bad = results.filter((r) => !r.evaluation || r.evaluation.period.total !== expectedTotal(r.evaluation.end));
  if (bad.length) throw new Error(`${what}: ${bad.length} SLO(s) without exactly 1,000 events per seeded minute of their period, e.g. ${bad[0]!.slo.id}: ${bad[0]!.error ?? bad[0]!.evaluation?.period.total}`);
}

async function runCase(ch: Clickhouse, n: number, mode: 'full' | 'edges') {
  const out: Record<string, unknown> = { slos: n, mode };
  const slos = Array.from({ length: n }, (_, i) => slo(i));
  const hash = sliHash(slos[0]!);
  const keys = slos.map((s) => ({ slo_id: s.id, sli_hash: hash }));
  const log = (line: string) => console.log(`[${n} SLOs, ${mode}] ${line}`);

  // 1. Seed.
  const days = mode === 'full' ? [] : minuteDays(slos[0]!);
  const [, seedMs] = await time(async () => {
    if (mode === 'full') await seedMinutes(ch, n, hash, START, T0);
    else for (const d of days) if (Math.min(d + DAY, T0) > Math.max(d, START)) await seedMinutes(ch, n, hash, Math.max(d, START), Math.min(d + DAY, T0));
    await ch.insertJson(TABLES.sloCoverage, keys.map((k) => ({ ...k, range_from: START, range_until: T0 - MARGIN, counted_at: T0 })));
    if (mode === 'edges') {
      await seedHours(ch, n, hash, START, ROLLED_UNTIL);
      await ch.insertJson(TABLES.sloRollupCoverage, keys.map((k) => ({ ...k, range_from: START, range_until: ROLLED_UNTIL, counted_at: T0 })));
    }
  });
  const size = async (table: string) =>
    (await ch.query<{ rows: string; bytes: string }>(sql`SELECT toString(sum(rows)) AS rows, toString(sum(bytes)) AS bytes FROM system.parts WHERE database = ${ch.database} AND table = ${table} AND active`))[0]!;
  const minuteRows = await size(TABLES.sloSli1m);
  out.seed = { seconds: seedMs / 1000, minuteRows: Number(minuteRows.rows), minuteDays: mode === 'full' ? 31 : days.length };
  log(`seeded ${Number(minuteRows.rows).toLocaleString('en')} minute rows (${mode === 'full' ? 'all 30 days' : `${days.length} day partitions`}) in ${(seedMs / 1000).toFixed(1)} s`);

  // 2. Baseline before any hour is summed (full mode): the minute-only path, warm and as a tick.
  const off = { rolled: () => [] };
  if (mode === 'full') {
    const [, settleMs] = await time(async () => {
      while ((await settleDays(ch, T0, HOUR, 40)) > 0);
    });
    const evalMs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [r, t] = await time(() => evaluateCounted(ch, slos, T0 + i * 30, undefined, { ...off }));
      checkPeriods(r, 'baseline');
      evalMs.push(t);
    }
    const { router } = buildRouter(slos, {});
    let now = T0 * 1000;
    const engine = createEngine({ ch, slos, router, clock: () => now, rollups: false });
    const tickMs: number[] = [];
    for (let i = 0; i < 4; i++) {
      tickMs.push((await time(() => engine.tick()))[1]);
      now += 30_000;
    }
    out.baseline = { settleAllDaysMs: settleMs, evaluationWarmMs: evalMs, tickColdMs: tickMs[0], tickWarmMs: tickMs.slice(1), lastTickPhasesMs: engine.last()!.phasesMs };
    log(`baseline (minute-only): evaluation warm ${ms(median(evalMs))}, tick cold ${ms(tickMs[0]!)}, warm ${ms(median(tickMs.slice(1)))}`);
    // Back to "just backfilled" for the cold measurement below: today's minutes re-written as a new part.
    const [, catchUpMs] = await time(() => rollUpHours(ch, slos, { now: T0, marginSeconds: MARGIN, version: Date.now(), budget: Infinity }));
    out.catchUp = { sloHours: n * ((ROLLED_UNTIL - floorTo(START, HOUR)) / HOUR), ms: catchUpMs };
    log(`summing every settled hour of 31 days (the catch-up after an upgrade): ${ms(catchUpMs)}`);
  }

  // 3. Cold evaluation: every day partition unmerged (full mode: the summing's partitions and a
  // second part in every minute partition by re-writing one SLO-minute per day).
  if (mode === 'full') {
    await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
      SELECT 'slo-100000', ${hash}, toDateTime(${START} + number * 86400), 0, 0, 0 FROM numbers(31)`);
  }
  const [cold, coldMs] = await time(() => evaluateCounted(ch, slos, T0));
  checkPeriods(cold, 'cold');
  const [, settleMs] = await time(async () => {
    while ((await settleDays(ch, T0, HOUR, 40)) > 0);
  });
  // Today's partition as the engine keeps it: re-counted trailing minutes in further parts.
  for (let i = 0; i < 2; i++) {
    await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
      SELECT concat('slo-', toString(${100_000} + intDiv(number, 10))) AS id, ${hash}, toDateTime(${T0 - MARGIN} + (number % 10) * 60) AS m,
             1000 - ${raw(BAD('intDiv(number, 10)', `(intDiv(toUInt32(m), 60) - ${MINUTE0})`))}, 1000, ${2 + i} FROM numbers(${n * 10})`);
  }
  const evalMs: number[] = [];
  let warm: SloEvaluation[] = [];
  for (let i = 0; i < 3; i++) {
    const [r, t] = await time(() => evaluateCounted(ch, slos, T0 + i * 30));
    checkPeriods(r, 'warm');
    warm = r;
    evalMs.push(t);
  }
  out.evaluation = { coldMs, settleAllDaysMs: settleMs, warmMs: evalMs };
  log(`evaluation: cold ${ms(coldMs)} (then merging the days ${ms(settleMs)}), warm ${ms(median(evalMs))}`);
  if (mode === 'full') {
    // Exactness on the benchmark's own data: both paths give every SLO the same window counts.
    const minutesOnly = await evaluateCounted(ch, slos, T0 + 60, undefined, { ...off });
    const viaHours = await evaluateCounted(ch, slos, T0 + 60);
    const differ = viaHours.filter((r, i) => JSON.stringify(r.evaluation?.windows.map((w) => [w.good, w.total].join('/'))) !== JSON.stringify(minutesOnly[i]!.evaluation?.windows.map((w) => [w.good, w.total].join('/'))));
    out.identical = differ.length === 0;
    log(`hourly path and minute-only path: ${differ.length === 0 ? 'identical window counts for every SLO' : `${differ.length} SLO(s) DIFFER`}`);
    if (differ.length) throw new Error('the hourly path differs from the minute table');
  }
  void warm;

  // 4. Ticks: one instance, then n shards.
  const { router } = buildRouter(slos, {});
  let now = (T0 + 120) * 1000;
  const ticks = async (engines: Engine[], rounds: number, together: boolean) => {
    const perRound: number[][] = [];
    for (let r = 0; r < rounds; r++) {
      if (together) {
        const started = performance.now();
        const each = await Promise.all(engines.map(async (e) => (await time(() => e.tick()))[1]));
        perRound.push([...each, performance.now() - started]);
      } else {
        const each: number[] = [];
        for (const e of engines) each.push((await time(() => e.tick()))[1]);
        perRound.push(each);
      }
      now += 30_000;
    }
    return perRound;
  };
  const single = createEngine({ ch, slos, router, clock: () => now });
  const singleRuns = (await ticks([single], 4, false)).map((r) => r[0]!);
  for (const r of single.last()!.results) if (r.error) throw new Error(`${r.slo.id}: ${r.error}`);
  checkPeriods(single.last()!.results, 'tick');
  out.tick = { coldMs: singleRuns[0], warmMs: singleRuns.slice(1), lastTickPhasesMs: single.last()!.phasesMs };
  log(`tick, one instance: cold ${ms(singleRuns[0]!)}, warm ${ms(median(singleRuns.slice(1)))} (last tick: ${phases(single.last()!.phasesMs)})`);
  const sharded: Record<string, unknown> = {};
  for (const count of SHARDS) {
    const engines = Array.from({ length: count }, (_, index) => createEngine({ ch, slos, router, clock: () => now, shard: { index, count } }));
    const alone = await ticks(engines, 2, false);
    const together = await ticks(engines, 2, true);
    const entry = {
      slosPerShard: engines.map((e) => e.slos.length),
      aloneColdMs: alone[0],
      aloneWarmMs: alone[1],
      togetherWallMs: together.map((r) => r.at(-1)),
    };
    sharded[count] = entry;
    log(`tick, ${count} shards (${entry.slosPerShard.join('/')} SLOs): each alone warm max ${ms(Math.max(...alone[1]!))}, all ${count} at once ${ms(median(together.map((r) => r.at(-1)!)))} wall`);
  }
  out.sharded = sharded;
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-slo-'));
const server = await startLocalClickhouse({ dir });
const results: Record<string, unknown> = { cpus: cpus().length, loadAverageBefore: loadavg(), cases: [] as unknown[] };
try {
  const admin = connectClickhouse({ url: server.url, username: 'default', password: '', database: 'default' });
  results.clickhouse = await admin.serverVersion();
  await admin.close();
  console.log(`ClickHouse ${results.clickhouse}, ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const c of CASES) {
    const config = { url: server.url, username: 'default', password: '', database: `bench_${c.n}_${c.mode}` };
    await ensureDatabase(config);
    const ch = connectClickhouse(config, { requestTimeoutMs: 600_000 });
    try {
      await migrate(ch);
      (results.cases as unknown[]).push(await runCase(ch, c.n, c.mode));
    } finally {
      // Each case's data is dropped before the next: one case at a time on disk and in the page cache.
      await ch.command(`DROP DATABASE ${config.database}`).catch(() => {});
      await ch.close();
    }
  }

  if (SPANS > 0) {
    // Backfill of one new SLO over 30 days of raw spans (route filter → raw spans, not the rollup).
    const config = { url: server.url, username: 'default', password: '', database: 'bench_backfill' };
    await ensureDatabase(config);
    const ch = connectClickhouse(config, { requestTimeoutMs: 600_000 });
    await migrate(ch);
    const end = floorTo(T0, DAY);
    const start = end - PERIOD;
    await ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${start} + intDiv(number * ${PERIOD}, ${SPANS})), 't', toString(number), 'GET /checkout', 2,
             if(number % 97 = 0, 2, 1), 'bench', '/checkout', if(number % 101 = 0, 503, 200), 1000000 + number % 500000000
      FROM numbers(${SPANS})`);
    const fresh = slo(0, { kind: 'availability', routes: ['/checkout'] });
    const [, backfillMs] = await time(() => refreshCounts(ch, [{ slo: fresh, from: start, to: end }], { mode: 'engine', now: end, marginSeconds: MARGIN, version: Date.now() }));
    results.backfill = { spans: SPANS, ms: backfillMs };
    console.log(`backfill of 1 SLO over 30 d of ${SPANS.toLocaleString('en')} raw spans: ${ms(backfillMs)}`);
    await ch.close();
  }
  results.loadAverageAfter = loadavg();
  summary(results);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/slo.json', JSON.stringify(results, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
  console.log('\nwrote .bench/slo.json');
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

function phases(p: Record<string, number> | undefined): string {
  return p ? Object.entries(p).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ') + ' ms' : '-';
}

function summary(r: Record<string, unknown>) {
  const goal = (n: number) => (n <= 1000 ? 'goal: evaluation < 1 s' : 'goal: tick < 30 s');
  console.log(`\nSLO engine benchmark (ClickHouse ${r.clickhouse}, ${r.cpus} cores, load average before ${(r.loadAverageBefore as number[]).map((x) => x.toFixed(2)).join(' ')}, after ${(r.loadAverageAfter as number[]).map((x) => x.toFixed(2)).join(' ')})`);
  console.log('30-day rolling SLOs, 1,000 events per minute each; medians of the warm runs. Shards measured as separate engines in this process:');
  console.log('"alone" = each shard ticking by itself (slowest shown), "at once" = all shards ticking together on these 2 cores and one ClickHouse.\n');
  for (const c of r.cases as Record<string, any>[]) {
    const label = `${c.slos.toLocaleString('en')} SLOs (${c.mode === 'full' ? 'all minutes seeded' : `minutes of ${c.seed.minuteDays} days + hourly sums`})`;
    console.log(`${label}   [${goal(c.slos)}]`);
    if (c.baseline) console.log(`  baseline, minute-only path:  evaluation warm ${ms(median(c.baseline.evaluationWarmMs))}   tick cold ${ms(c.baseline.tickColdMs)}, warm ${ms(median(c.baseline.tickWarmMs))}   (last: ${phases(c.baseline.lastTickPhasesMs)})`);
    if (c.catchUp) console.log(`  summing 31 days of hours once (${c.catchUp.sloHours.toLocaleString('en')} SLO-hours): ${ms(c.catchUp.ms)}`);
    console.log(`  evaluation:                  cold ${ms(c.evaluation.coldMs)}   warm ${ms(median(c.evaluation.warmMs))}`);
    console.log(`  tick, one instance:          cold ${ms(c.tick.coldMs)}   warm ${ms(median(c.tick.warmMs))}   (last: ${phases(c.tick.lastTickPhasesMs)})`);
    for (const [count, s] of Object.entries(c.sharded as Record<string, any>)) {
      console.log(`  tick, ${count} shards:              cold ${ms(Math.max(...s.aloneColdMs))}   warm ${ms(Math.max(...s.aloneWarmMs))} (alone, slowest shard)   at once ${ms(median(s.togetherWallMs))}`);
    }
  }
  if (r.backfill) console.log(`backfill of 1 SLO over 30 d of ${(r.backfill as any).spans.toLocaleString('en')} raw spans: ${ms((r.backfill as any).ms)}`);
}
