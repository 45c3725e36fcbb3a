// Keeps the per-minute counts table `slo_sli_1m` filled: counts what is missing (a new SLO or SLI
// definition, an older range for a backtest, a gap) and the engine's unsettled edge. The table is a
// ReplacingMergeTree(version) keyed by (slo_id, sli_hash, minute) and read with FINAL where needed,
// so a re-counted minute replaces the old row and replicas writing the same count are idempotent.
// Which minutes are counted is recorded in coverage.ts; what is read is decided in window-sums.ts.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Slo } from '../model.ts';
import { countsQuery, sliHash } from './sql.ts';
import { planCounting, readCoverage, recordCoverage, type CountingMode } from './coverage.ts';
import { interpretMetricCheck, metricCheckQuery, type MetricCheckRow } from './metric-checks.ts';
import type { Range } from './ranges.ts';
import { floorMinute } from '../math/windows.ts';

const DAY = 86_400;
/** SELECTs per INSERT: one round trip re-counts the trailing margin of 50 SLOs. */
const BATCH = 50;
/** INSERT statements in flight at once. */
const PARALLEL = 3;

export interface RefreshOptions {
  /** 'engine' counts the unsettled edge into the table every tick; 'read-only' never writes it. */
  mode: CountingMode;
  /** The caller's clock, epoch seconds. */
  now: number;
  /** Minutes younger than this are not settled (late spans still arrive): re-counted, not recorded. */
  marginSeconds: number;
  /** Row version (monotonic; the wall clock in ms). */
  version: number;
  log?: (line: string) => void;
}

export interface RefreshResult {
  /** SLOs whose counting failed, with the reason; the others are counted. */
  errors: Map<string, string>;
  /** Points a metric SLI had to skip, per SLO. */
  warnings: Map<string, string[]>;
  /** Read-only mode: per SLO, ranges not in the table, to compute in memory. */
  live: Map<string, Range[]>;
}

const message = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

/**
 * The first minute that is not settled: a margin before the earlier of the caller's clock and the
 * server's (a client clock running ahead must not record the future as counted).
 */
export async function settleLimit(ch: Clickhouse, now: number, marginSeconds: number): Promise<number> {
  const [row] = await ch.query<{ t: number }>('SELECT toUInt32(now()) AS t');
  return floorMinute(Math.min(now, Number(row!.t))) - marginSeconds;
}

/** Makes sure [from, to) of every item can be summed (see RefreshOptions.mode). */
export async function refreshCounts(ch: Clickhouse, items: readonly { slo: Slo; from: number; to: number }[], options: RefreshOptions): Promise<RefreshResult> {
  const result: RefreshResult = { errors: new Map(), warnings: new Map(), live: new Map() };
  if (items.length === 0) return result;
  const limit = await settleLimit(ch, options.now, options.marginSeconds);
  const keyed = items.map((i) => ({ ...i, key: { sloId: i.slo.id, sliHash: sliHash(i.slo) } }));
  const coverage = await readCoverage(ch, keyed.map((i) => i.key));
  const jobs: { slo: Slo; select: SqlFragment }[] = [];
  const checks: { slo: Slo; query: SqlFragment }[] = [];
  const records: Parameters<typeof recordCoverage>[1][number][] = [];
  for (const { slo, from, to, key } of keyed) {
    const have = coverage(key);
    const plan = planCounting(have, [from, to], limit, options.mode);
    try {
      for (const [a, b] of plan.write) {
        if (b - a > DAY) options.log?.(`slo ${JSON.stringify(slo.id)}: counting ${new Date(a * 1000).toISOString()} .. ${new Date(b * 1000).toISOString()}`);
        // Day-sized SELECTs keep each statement short on a big backfill.
        for (let start = a; start < b; start += DAY) {
          jobs.push({ slo, select: sql`SELECT ${slo.id} AS slo_id, ${key.sliHash} AS sli_hash, minute, good, total, toUInt64(${options.version}) AS version FROM (${countsQuery(slo, start, Math.min(b, start + DAY))})` });
        }
      }
      const spanned = [...plan.write, ...plan.live];
      if (spanned.length) {
        const query = metricCheckQuery(slo, Math.min(...spanned.map((r) => r[0])), Math.max(...spanned.map((r) => r[1])));
        if (query) checks.push({ slo, query });
      }
    } catch (err) {
      result.errors.set(slo.id, message(err));
      continue;
    }
    if (plan.live.length) result.live.set(slo.id, plan.live);
    records.push({ ...key, have, added: plan.record });
  }
  for (const { slo, query } of checks) {
    try {
      const [row] = await ch.query<MetricCheckRow>(query);
      const check = interpretMetricCheck(slo, row!);
      if (check.warnings.length) result.warnings.set(slo.id, check.warnings);
      if (check.error) result.errors.set(slo.id, check.error);
    } catch (err) {
      result.errors.set(slo.id, message(err));
    }
  }
  const insert = (batch: readonly { select: SqlFragment }[]) =>
    ch.command(sql`INSERT INTO ${ident(TABLES.sloSli1m)} (slo_id, sli_hash, minute, good, total, version) ${joinSql(batch.map((j) => j.select), ' UNION ALL ')}`);
  const todo = jobs.filter((j) => !result.errors.has(j.slo.id));
  const batches: (typeof todo)[] = [];
  for (let i = 0; i < todo.length; i += BATCH) batches.push(todo.slice(i, i + BATCH));
  // A few statements in flight: each spends most of its time being planned (50 subqueries), one core
  // each, so with thousands of SLOs a tick's re-count takes a fraction of the time. Batches hold
  // disjoint minutes, so their order does not matter.
  const worker = async () => {
    for (let batch = batches.shift(); batch; batch = batches.shift()) {
      try {
        await insert(batch);
      } catch {
        // Find the SLO(s) at fault; the others still get counted.
        for (const job of batch) {
          if (result.errors.has(job.slo.id)) continue;
          await insert([job]).catch((err: unknown) => result.errors.set(job.slo.id, message(err)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  // Recorded only after the rows are written, and only for SLOs that were counted completely.
  await recordCoverage(ch, records.filter((r) => !result.errors.has(r.sloId)), Math.floor(options.version / 1000));
  for (const id of result.errors.keys()) result.live.delete(id);
  return result;
}
