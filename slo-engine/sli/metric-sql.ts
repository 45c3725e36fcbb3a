// SQL builders for the metric SLI kinds: `metric-ratio` (counters in metrics_sum) and
// `metric-latency` (a histogram in metrics_histogram). Both yield `SELECT minute, good, total` per
// minute over [from, to), like the span kinds. Rules from storage/migrations/metrics.ts:
// staleness markers (bitAnd(flags, 1) = 1) are skipped; DELTA points (aggregation_temporality 1)
// count their own interval and are summed per minute; CUMULATIVE points (2) are running totals per
// series, so a minute counts the series' increase since its previous minute with data.
//
// Only the SLO's tenant is read. Points that cannot be counted are skipped, never allowed to break
// or zero the SLI: a value that is not finite, negative or at least 2^53 (no real counter gets there;
// in Float64 it is no longer exact, and at 2^64 ClickHouse's UInt64 conversion yields 0, which
// would hide every event of the minute), and a histogram point whose bounds do not contain the
// threshold (another series' bucket layout: it cannot be split at the threshold). Skipping a
// cumulative point means the next point is compared with the previous valid one. metric-checks.ts
// counts the skipped points, so they are reported instead of silently missing.
//
// Cumulative series = (tenant, service, metric, scope, resource attributes, point attributes) and
// start_time_ns: a new start time is a new series. Per series and minute the last point (highest
// time_ns) is kept; the increase of a minute is that value minus the value at the series' previous
// minute, or the value in full when it went down (a counter reset or wrap-around without a new start
// time). Points are read from LOOKBACK_SECONDS before `from`, so a series exporting more often than
// that has its baseline. A series' first point read counts in full only when the series started at
// most LOOKBACK_SECONDS before that point's minute (a new process, a restart); otherwise its baseline
// is unknown (a gap longer than the lookback) and it counts 0, like Prometheus' increase(). Unlike
// "started inside the queried range" (httpRequestsPerMinuteSql), this does not depend on where the
// range starts, so a day-chunked backfill and the per-tick re-count of the last minutes agree.
//
// Only ClickHouse 18.16 features: no window functions, no neighbor(); per-series differences come
// from groupArray + arraySort + arrayMap over arrayEnumerate, then ARRAY JOIN.
import { ident, joinSql, raw, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { MetricSelector, SliSpec, Slo } from '../model.ts';
import type { Rational } from '../math/rational.ts';

/** How far before `from` cumulative points are read to find each series' previous value. */
export const LOOKBACK_SECONDS = 600;

/** Values at or above this are not counts (see the top of this file). */
export const MAX_COUNTER_VALUE = 2 ** 53;

type MetricRatio = Extract<SliSpec, { kind: 'metric-ratio' }>;
type MetricLatency = Extract<SliSpec, { kind: 'metric-latency' }>;
/** The SLO id is only used in error messages. */
export type MetricSlo<S> = Pick<Slo, 'service'> & { id?: string; tenant: string; sli: S };

const at = (epochSeconds: number) => sql`toDateTime(${epochSeconds})`;
const NUMBER_VALUE = raw('if(value_type = 2, toFloat64(value_int), value_double)');
const MAX = raw(`toFloat64(${MAX_COUNTER_VALUE})`);
/** A counter point whose value can be counted. */
export const VALID_SUM_POINT = sql`isFinite(${NUMBER_VALUE}) AND ${NUMBER_VALUE} >= 0 AND ${NUMBER_VALUE} < ${MAX}`;
/** A histogram point whose count can be counted (bucket counts are UInt64 and sum to it). */
export const VALID_HISTOGRAM_POINT = sql`toFloat64(count) < ${MAX}`;

/** Sorted `key\x02value` pairs joined by `\x01`: the same attribute set hashes the same in any order. */
const pairs = (column: string) =>
  sql`arrayStringConcat(arraySort(arrayMap((k, v) -> concat(k, '\\x02', v), ${ident(`${column}.key`)}, ${ident(`${column}.value`)})), '\\x01')`;
const SERIES_ID = sql`cityHash64(tenant, service_name, metric_name, scope_name, scope_version, ${pairs('resource_attributes')}, ${pairs('attributes')})`;

/** A point attribute, or the resource attribute of that name when the point has none. */
function attributeFilter(key: string, value: string): SqlFragment {
  return sql`if(has(attributes.key, ${key}), attributes.value[indexOf(attributes.key, ${key})], resource_attributes.value[indexOf(resource_attributes.key, ${key})]) = ${value}`;
}

export function pointFilters(tenant: string, service: string, metric: string, attributes: Record<string, string>): SqlFragment[] {
  return [
    sql`tenant = ${tenant}`,
    sql`service_name = ${service}`,
    sql`metric_name = ${metric}`,
    raw('bitAnd(flags, 1) = 0'),
    ...Object.entries(attributes).map(([k, v]) => attributeFilter(k, v)),
  ];
}

interface ValueColumn {
  name: string;
  /** Per point, Float64. */
  expr: SqlFragment;
}

/**
 * `SELECT minute, <name>...` (Float64 sums per minute) over [from, to) of the points matching
 * `filters` in `table`: DELTA values summed, CUMULATIVE values as per-series increases. With
 * several values (histogram: good and count), a decrease of any of them is a reset of all.
 */
function increasesPerMinute(table: string, filters: SqlFragment[], values: ValueColumn[], from: number, to: number): SqlFragment {
  const fetchFrom = from - LOOKBACK_SECONDS;
  const where = joinSql(filters, ' AND ');
  const list = (f: (v: ValueColumn, i: number) => SqlFragment) => joinSql(values.map(f), ', ');
  const c = (i: number) => ident(`c${i}`);
  const reset = joinSql(values.map((_, i) => sql`${c(i)}[i] < ${c(i)}[i - 1]`), ' OR ');
  // The first point read counts in full when the series started at most LOOKBACK_SECONDS before its minute.
  const startedInRange = sql`series_start >= (toUInt64(minutes[1]) - ${LOOKBACK_SECONDS}) * 1000000000`;
  // Each level names its columns afresh (p → name): no alias shadows the column it aggregates.
  return sql`SELECT minute, ${list((v, i) => sql`sum(${ident(`p${i}`)}) AS ${ident(v.name)}`)} FROM (
    SELECT toStartOfMinute(timestamp) AS minute, ${list((v, i) => sql`toFloat64(${v.expr}) AS ${ident(`p${i}`)}`)}
    FROM ${ident(table)}
    WHERE ${where} AND aggregation_temporality = 1 AND timestamp >= ${at(from)} AND timestamp < ${at(to)}
    UNION ALL
    SELECT minute, ${list((_, i) => sql`${ident(`d${i}`)} AS ${ident(`p${i}`)}`)} FROM (
      SELECT series_start,
        arraySort(groupArray((minute, ${list((_, i) => ident(`a${i}`))}))) AS pts,
        arrayMap(p -> p.1, pts) AS minutes,
        ${list((_, i) => sql`arrayMap(p -> p.${raw(String(i + 2))}, pts) AS ${c(i)}`)},
        arrayMap(i -> i > 1 AND (${reset}), arrayEnumerate(pts)) AS resets,
        ${list((_, i) => sql`arrayMap(i -> if(i = 1, if(${startedInRange}, ${c(i)}[1], toFloat64(0)), if(resets[i], ${c(i)}[i], ${c(i)}[i] - ${c(i)}[i - 1])), arrayEnumerate(pts)) AS ${ident(`incs${i}`)}`)}
      FROM (
        SELECT ${SERIES_ID} AS series_id, start_time_ns AS series_start, toStartOfMinute(timestamp) AS minute,
          ${list((v, i) => sql`argMax(toFloat64(${v.expr}), time_ns) AS ${ident(`a${i}`)}`)}
        FROM ${ident(table)}
        WHERE ${where} AND aggregation_temporality = 2 AND timestamp >= ${at(fetchFrom)} AND timestamp < ${at(to)}
        GROUP BY series_id, series_start, minute
      )
      GROUP BY series_id, series_start
    )
    ARRAY JOIN minutes AS minute, ${list((_, i) => sql`${ident(`incs${i}`)} AS ${ident(`d${i}`)}`)}
    WHERE minute >= ${at(from)}
  ) GROUP BY minute`;
}

/** Float64 → UInt64 count: negative (float noise) is 0, fractions are rounded, never past 2^53 (so never wrapped to 0). */
const count = (e: SqlFragment) => sql`toUInt64(round(least(greatest(${e}, toFloat64(0)), ${MAX})))`;

/** The points of one counter that metric-ratio reads (before the validity check). */
export function counterFilters(tenant: string, service: string, selector: MetricSelector): SqlFragment[] {
  return [...pointFilters(tenant, service, selector.metric, selector.attributes), raw('is_monotonic = 1'), raw('value_type IN (1, 2)')];
}

function counterIncreases(tenant: string, service: string, selector: MetricSelector, name: string, from: number, to: number): SqlFragment {
  return increasesPerMinute(TABLES.metricsSum, [...counterFilters(tenant, service, selector), VALID_SUM_POINT], [{ name, expr: NUMBER_VALUE }], from, to);
}

/**
 * metric-ratio: good (or total − bad) and total from monotonic sums. Per minute each side is rounded
 * to a whole count; good is clamped to [0, total].
 */
export function metricRatioQuery(slo: MetricSlo<MetricRatio>, from: number, to: number): SqlFragment {
  const { sli } = slo;
  const numerator = sli.good ?? sli.bad;
  if (!numerator) throw new Error(`SLO ${JSON.stringify(slo.id ?? slo.service)}: metric-ratio needs good or bad`);
  const n = counterIncreases(slo.tenant, slo.service, numerator, 'n', from, to);
  const t = counterIncreases(slo.tenant, slo.service, sli.total, 't', from, to);
  const total = count(raw('sum_t'));
  const good = sli.good ? sql`least(${count(raw('sum_n'))}, ${total})` : sql`toUInt64(greatest(toInt64(${total}) - toInt64(${count(raw('sum_n'))}), 0))`;
  return sql`SELECT minute, ${good} AS good, ${total} AS total FROM (
    SELECT minute, sum(n) AS sum_n, sum(t) AS sum_t FROM (
      SELECT minute, n, toFloat64(0) AS t FROM (${n})
      UNION ALL
      SELECT minute, toFloat64(0) AS n, t FROM (${t})
    ) GROUP BY minute
  )`;
}

/** The threshold as an exact decimal ("0.3", "250"); rationals from the spec are decimals. */
export function decimalText(r: Rational): string {
  const neg = r.n < 0n;
  const n = neg ? -r.n : r.n;
  for (let k = 0; k <= 40; k++) {
    const scale = 10n ** BigInt(k);
    if ((n * scale) % r.d !== 0n) continue;
    const digits = ((n * scale) / r.d).toString().padStart(k + 1, '0');
    const text = k === 0 ? digits : `${digits.slice(0, -k)}.${digits.slice(-k)}`;
    return (neg ? '-' : '') + text;
  }
  return String(Number(r.n) / Number(r.d));
}

/** `indexOf(explicit_bounds, threshold)`: the bucket whose upper bound is the threshold, 0 when none is. */
export function thresholdBucket(sli: MetricLatency): SqlFragment {
  const value = Number(decimalText(sli.threshold));
  if (!Number.isFinite(value)) throw new Error(`threshold ${decimalText(sli.threshold)} is not a finite number`);
  return sql`indexOf(explicit_bounds, toFloat64(${value}))`;
}

/**
 * metric-latency: good = the sum of the buckets whose upper bound is <= threshold, total = count.
 * The threshold is a number in the histogram's own unit (`s` → seconds, `ms` → milliseconds) and must
 * equal one of the point's explicit_bounds exactly (as Float64). Points whose bounds do not contain
 * it are skipped (and reported by metric-checks.ts), so the SLI is never counted against the wrong
 * bucket and another series' bucket layout does not stop the SLO.
 */
export function metricLatencyQuery(slo: MetricSlo<MetricLatency>, from: number, to: number): SqlFragment {
  const { sli } = slo;
  const bucket = thresholdBucket(sli);
  const good = sql`arraySum(arraySlice(bucket_counts, 1, ${bucket}))`;
  const filters = [...pointFilters(slo.tenant, slo.service, sli.metric, sli.attributes), VALID_HISTOGRAM_POINT, sql`${bucket} > 0`];
  const inc = increasesPerMinute(TABLES.metricsHistogram, filters, [{ name: 'g', expr: good }, { name: 't', expr: raw('count') }], from, to);
  return sql`SELECT minute, least(${count(raw('g'))}, ${count(raw('t'))}) AS good, ${count(raw('t'))} AS total FROM (${inc})`;
}
