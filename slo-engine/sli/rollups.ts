// The hourly sums `slo_sli_1h`: exact sums of an SLO's settled minutes, so a 30-day window reads ~720
// hourly rows and its minute edges instead of 43,200 minutes (window-sums.ts decides what to read).
//
// Not a materialized view: a view over the ReplacingMergeTree `slo_sli_1m` would add every re-count
// of a minute to the hour. Instead the engine sums an hour itself, once it no longer changes:
//   1. Only hours whose minutes are all counted and recorded (slo_coverage: settled minutes), and
//      that ended a further re-count margin before the settle limit: a replica whose clock lags by
//      less than that still re-counts only minutes no summed hour holds.
//   2. From `slo_sli_1m FINAL`, never a plain read of merged partitions: a partition that turns dirty
//      during the read would double count, and a plain read cannot tell.
//   3. Rows first, then the hours are recorded in slo_rollup_coverage: a recorded hour's row is there.
//      A row written but not recorded (a crash in between) is written again, and replaces itself.
// Replicas summing the same hour write the same numbers. Summing is an optimisation: an hour that
// is not summed is read per minute, so a failure here costs speed, never correctness.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Slo } from '../model.ts';
import { lookbackStart } from '../math/windows.ts';
import { sliHash } from './sql.ts';
import { readCoverage, recordCoverage, type CoverageKey } from './coverage.ts';
import { settleLimit } from './counts.ts';
import { dayChunks, hoursToRollUp, HOUR } from './rollup-plan.ts';
import type { Range } from './ranges.ts';

/** SLOs per summing statement (keeps the statement short; one statement per day chunk and batch). */
const BATCH = 1000;
/** Default work per call in SLO-hours: one settled hour of 50,000 SLOs, or 30 days of ~70 SLOs (~1.5 s on 18.16, 2 cores). */
export const DEFAULT_ROLLUP_BUDGET = 50_000;

export interface RollupOptions {
  /** The caller's clock, epoch seconds. */
  now: number;
  /** The re-count margin (see counts.ts); hours end at least twice this before `now`. */
  marginSeconds: number;
  /** Row version (the wall clock in ms). */
  version: number;
  /** At most this many SLO-hours per call (newest first); the rest waits for the next call. */
  budget?: number;
}

export interface RollupResult {
  /** SLO-hours summed and recorded. */
  summed: number;
  /** SLO-hours still to sum (over the budget, or a statement failed). */
  pending: number;
  /** The first failure, if any (the other statements still ran). */
  error?: string;
}

const key = (k: CoverageKey) => `${k.sloId}\u0000${k.sliHash}`;

/** Sums the settled hours each SLO's windows can need (its lookback from `now`) that are not summed yet. */
export async function rollUpHours(ch: Clickhouse, slos: readonly Slo[], options: RollupOptions): Promise<RollupResult> {
  const result: RollupResult = { summed: 0, pending: 0 };
  if (slos.length === 0) return result;
  const until = (await settleLimit(ch, options.now, options.marginSeconds)) - options.marginSeconds;
  const keys = slos.map((slo) => ({ slo, key: { sloId: slo.id, sliHash: sliHash(slo) } }));
  const counted = await readCoverage(ch, keys.map((k) => k.key));
  const rolled = await readCoverage(ch, keys.map((k) => k.key), TABLES.sloRollupCoverage);

  // The same day chunk of many SLOs is one statement.
  const chunks = new Map<string, { range: Range; keys: CoverageKey[] }>();
  for (const { slo, key: k } of keys) {
    const from = Math.floor(lookbackStart(slo, options.now) / HOUR) * HOUR;
    for (const range of dayChunks(hoursToRollUp(counted(k), rolled(k), from, until))) {
      const id = range.join('-');
      const chunk = chunks.get(id) ?? { range, keys: [] };
      chunk.keys.push(k);
      chunks.set(id, chunk);
    }
  }
  const done = new Map<string, { k: CoverageKey; added: Range[] }>();
  let budget = options.budget ?? DEFAULT_ROLLUP_BUDGET;
  // Newest first: recent hours are in every window.
  for (const { range, keys: all } of [...chunks.values()].sort((x, y) => y.range[0] - x.range[0])) {
    const hours = (range[1] - range[0]) / HOUR;
    for (let i = 0; i < all.length; i += BATCH) {
      const batch = all.slice(i, i + BATCH);
      if (budget <= 0 || result.error) {
        result.pending += hours * batch.length;
        continue;
      }
      try {
        await ch.command(sumStatement(batch, range, options.version));
      } catch (err) {
        result.error = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        result.pending += hours * batch.length;
        continue;
      }
      budget -= hours * batch.length;
      result.summed += hours * batch.length;
      for (const k of batch) {
        const entry = done.get(key(k)) ?? { k, added: [] };
        entry.added.push(range);
        done.set(key(k), entry);
      }
    }
  }
  await recordCoverage(
    ch,
    [...done.values()].map(({ k, added }) => ({ ...k, have: rolled(k), added })),
    Math.floor(options.version / 1000),
    TABLES.sloRollupCoverage,
  );
  return result;
}

function sumStatement(keys: readonly CoverageKey[], [from, until]: Range, version: number) {
  const pairs = joinSql(keys.map((k) => sql`(${k.sloId}, ${k.sliHash})`), ', ');
  return sql`INSERT INTO ${ident(TABLES.sloSli1h)} (slo_id, sli_hash, hour, good, total, first_minute, version)
    SELECT slo_id, sli_hash, toDateTime(intDiv(toUInt32(minute), ${HOUR}) * ${HOUR}) AS hour, sum(good), sum(total), minIf(minute, total > 0), toUInt64(${version})
    FROM ${ident(TABLES.sloSli1m)} FINAL
    WHERE (slo_id, sli_hash) IN (${pairs}) AND minute >= toDateTime(${from}) AND minute < toDateTime(${until})
    GROUP BY slo_id, sli_hash, hour`;
}
