// SLO engine benchmark (`npm run bench:slo`): a private ClickHouse 18.16 seeded with 1,000 SLOs x
// 30 days of per-minute counts (43.2M rows of slo_sli_1m), then
//   - the evaluation of all SLOs (window sums + math) per tick, and the full engine tick
//     (trailing re-count of every SLO, evaluation, persisting evaluations and alert states);
//   - the backfill of one new SLO over 30 days of raw spans.
// Prints a table and writes .bench/slo.json.
//
//   npm run bench:slo -- [--slos 1000] [--days 30] [--spans 5000000]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClickhouse, ensureDatabase } from '../storage/client.ts';
import { startLocalClickhouse } from '../storage/local-server.ts';
import { migrate } from '../storage/migrate.ts';
import { sql } from '../storage/sql.ts';
import { TABLES } from '../storage/tables.ts';
import { sloSchema } from '../slo-engine/spec/schema.ts';
import { toModel } from '../slo-engine/spec/to-model.ts';
import { sliHash } from '../slo-engine/sli/sql.ts';
import { createEngine } from '../slo-engine/engine.ts';
import { evaluateAt } from '../slo-engine/evaluate-at.ts';
import { buildRouter } from '../slo-engine/notify/channels.ts';
import { refreshCounts } from '../slo-engine/sli/counts.ts';
import { settleDays } from '../slo-engine/sli/partitions.ts';
import type { Slo } from '../slo-engine/model.ts';

const { values: flags } = parseArgs({ options: { slos: { type: 'string', default: '1000' }, days: { type: 'string', default: '30' }, spans: { type: 'string', default: '5000000' } } });
const SLOS = Number(flags.slos);
const DAYS = Number(flags.days);
const SPANS = Number(flags.spans);
const MINUTES = DAYS * 1440;
const END = Math.floor(Date.now() / 86_400_000) * 86_400; // today 00:00 UTC: the seeded range is [END - DAYS, END)
const START = END - MINUTES * 60;

const slo = (i: number, sli: object = { kind: 'availability' }): Slo =>
  toModel(sloSchema.parse({ id: `slo-${10_000 + i}`, service: 'bench', objective: 99.9, period: `${DAYS}d`, sli, alerting: { ingestDelay: '0s' } }), 'bench');

const time = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-slo-'));
const server = await startLocalClickhouse({ dir });
const config = { url: server.url, username: 'default', password: '', database: 'bench' };
await ensureDatabase(config);
const ch = connectClickhouse(config, { requestTimeoutMs: 300_000 });
const results: Record<string, unknown> = { slos: SLOS, days: DAYS, cpus: cpus().length, clickhouse: await ch.serverVersion() };
try {
  await migrate(ch);
  const slos = Array.from({ length: SLOS }, (_, i) => slo(i));
  const hash = sliHash(slos[0]!);

  // Seed: per SLO, one row per minute (1,000 events, 0–6 bad), in chunks of 100 SLOs.
  const [, seedMs] = await time(async () => {
    for (let first = 0; first < SLOS; first += 100) {
      const n = Math.min(100, SLOS - first);
      await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
        SELECT concat('slo-', toString(${10_000 + first} + intDiv(number, ${MINUTES}))), ${hash},
               toDateTime(${START} + (number % ${MINUTES}) * 60), 1000 - number % 7, 1000, 1
        FROM numbers(${n * MINUTES})`);
    }
  });
  // Recorded as counted, so the engine's tick re-counts only its trailing margin.
  await ch.insertJson(TABLES.sloCoverage, slos.map((s) => ({ slo_id: s.id, sli_hash: hash, range_from: START, range_until: END + 86_400 - 600, counted_at: END })));
  const size = (await ch.query<{ rows: string; bytes: string; parts: string }>(sql`SELECT toString(sum(rows)) AS rows, toString(sum(bytes)) AS bytes, toString(count()) AS parts FROM system.parts WHERE database = 'bench' AND table = 'slo_sli_1m' AND active`))[0]!;
  results.seed = { rows: Number(size.rows), bytesOnDisk: Number(size.bytes), parts: Number(size.parts), seconds: seedMs / 1000 };
  console.log(`seeded ${size.rows} rows (${(Number(size.bytes) / 1e6).toFixed(1)} MB on disk, ${size.parts} parts) in ${(seedMs / 1000).toFixed(1)} s`);

  // Evaluation only: window sums for every SLO (one grouped query) and the math. First with every
  // day partition unmerged (FINAL over all 30 days), then in the steady state the engine keeps
  // (settled days merged into one part each, FINAL only for today).
  const [, coldMs] = await time(() => evaluateAt(ch, slos, END + 30));
  const [, settleMs] = await time(async () => {
    while ((await settleDays(ch, END + 30, 3600, 5)) > 0);
  });
  results.cold = { evaluationMs: coldMs, settleAllDaysMs: settleMs };
  console.log(`evaluation with all ${DAYS} days unmerged: ${coldMs.toFixed(0)} ms; merging them: ${(settleMs / 1000).toFixed(1)} s`);
  // Today's partition as the engine sees it: re-counted minutes in several parts.
  await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
    SELECT concat('slo-', toString(10000 + intDiv(number, 1440))), ${hash}, toDateTime(${END} + (number % 1440) * 60), 1000, 1000, 1 FROM numbers(${SLOS * 1440})`);
  await ch.command(sql`INSERT INTO slo_sli_1m (slo_id, sli_hash, minute, good, total, version)
    SELECT concat('slo-', toString(10000 + intDiv(number, 10))), ${hash}, toDateTime(${END} + 1430 * 60 + (number % 10) * 60), 999, 1000, 2 FROM numbers(${SLOS * 10})`);
  const evalMs: number[] = [];
  for (let i = 0; i < 3; i++) evalMs.push((await time(() => evaluateAt(ch, slos, END + 86_400)))[1]);
  const check = (await evaluateAt(ch, slos.slice(0, 1), END + 86_400))[0]!.evaluation!;
  results.evaluation = { runsMs: evalMs, medianMs: median(evalMs), periodTotalOfFirstSlo: check.period.total.toString() };

  // Full tick: trailing re-count of every SLO (raw spans, empty here: measures statement overhead),
  // evaluation, evaluation rows and alert states written; no channels configured.
  const { router } = buildRouter(slos, {});
  let now = (END + 86_400) * 1000;
  const engine = createEngine({ ch, slos, router, clock: () => now });
  const tickMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    tickMs.push((await time(() => engine.tick()))[1]);
    now += 30_000;
  }
  results.tick = { runsMs: tickMs, medianMs: median(tickMs) };

  // Backfill one new SLO over DAYS days of raw spans (route filter → raw spans, not the rollup).
  const [, spanSeedMs] = await time(() =>
    ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${START} + intDiv(number * ${MINUTES * 60}, ${SPANS})), 't', toString(number), 'GET /checkout', 2,
             if(number % 97 = 0, 2, 1), 'bench', '/checkout', if(number % 101 = 0, 503, 200), 1000000 + number % 500000000
      FROM numbers(${SPANS})`),
  );
  const fresh = slo(SLOS, { kind: 'availability', routes: ['/checkout'] });
  const [, backfillMs] = await time(() => refreshCounts(ch, [{ slo: fresh, from: START, to: END }], { mode: 'engine', now: END, marginSeconds: 600, version: Date.now() }));
  const counted = (await ch.query<{ n: string; t: string }>(sql`SELECT toString(count()) AS n, toString(sum(total)) AS t FROM slo_sli_1m FINAL WHERE slo_id = ${fresh.id}`))[0]!;
  results.backfill = { spans: SPANS, spanSeedSeconds: spanSeedMs / 1000, backfillMs, minuteRows: Number(counted.n), eventsCounted: Number(counted.t) };

  const rows: [string, string][] = [
    ['per-minute rows (slo_sli_1m)', `${Number(size.rows).toLocaleString('en')} (${SLOS} SLOs x ${DAYS} d), ${(Number(size.bytes) / 1e6).toFixed(1)} MB on disk`],
    ['evaluation, every day unmerged (cold)', `${coldMs.toFixed(0)} ms`],
    ['evaluation of all SLOs (steady state, median of 3)', `${median(evalMs).toFixed(0)} ms`],
    ['full engine tick (median of 3)', `${median(tickMs).toFixed(0)} ms  (re-count ${SLOS} SLOs + evaluate + persist)`],
    [`backfill 1 SLO over ${DAYS} d of raw spans`, `${backfillMs.toFixed(0)} ms for ${SPANS.toLocaleString('en')} spans → ${Number(counted.n).toLocaleString('en')} minute rows`],
  ];
  console.log('\nSLO engine benchmark (ClickHouse ' + results.clickhouse + `, ${cpus().length} cores)`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(52)} ${v}`);
  mkdirSync('.bench', { recursive: true });
  writeFileSync('.bench/slo.json', JSON.stringify(results, null, 2) + '\n');
  console.log('\nwrote .bench/slo.json');
} finally {
  await ch.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
