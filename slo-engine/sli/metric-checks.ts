// What the metric SLI queries skipped (metric-sql.ts), so it is reported instead of silently
// missing: points with absurd values, and histogram points whose bounds lack the threshold. When a
// metric-latency SLO has points in the range but none with the threshold as a bound, nothing can be
// measured (typically a threshold in the wrong unit): that is an error naming the bounds found.
import { joinSql, raw, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Slo } from '../model.ts';
import { tenantOf } from '../model.ts';
import { counterFilters, decimalText, pointFilters, thresholdBucket, VALID_HISTOGRAM_POINT, VALID_SUM_POINT } from './metric-sql.ts';

export interface MetricCheck {
  error?: string;
  warnings: string[];
}

const at = (epochSeconds: number) => sql`toDateTime(${epochSeconds})`;

/** One row of counts over [from, to) for a metric SLO; undefined for the other kinds. */
export function metricCheckQuery(slo: Pick<Slo, 'service' | 'sli' | 'tenant'>, from: number, to: number): SqlFragment | undefined {
  const sli = slo.sli;
  const tenant = tenantOf(slo);
  const range = sql`timestamp >= ${at(from)} AND timestamp < ${at(to)}`;
  if (sli.kind === 'metric-ratio') {
    const selectors = [sli.good ?? sli.bad, sli.total].filter((s) => s !== undefined);
    const either = joinSql(selectors.map((s) => sql`(${joinSql(counterFilters(tenant, slo.service, s), ' AND ')})`), ' OR ');
    return sql`SELECT toString(countIf(NOT (${VALID_SUM_POINT}))) AS absurd, '0' AS other_bounds, '0' AS usable, emptyArrayString() AS samples
      FROM ${raw(TABLES.metricsSum)} WHERE ${range} AND (${either})`;
  }
  if (sli.kind === 'metric-latency') {
    const bucket = thresholdBucket(sli);
    const where = joinSql(pointFilters(tenant, slo.service, sli.metric, sli.attributes), ' AND ');
    const sample = sql`concat(toString(explicit_bounds), ' (unit "', metric_unit, '")')`;
    return sql`SELECT toString(countIf(NOT (${VALID_HISTOGRAM_POINT}))) AS absurd,
        toString(countIf(${VALID_HISTOGRAM_POINT} AND ${bucket} = 0)) AS other_bounds,
        toString(countIf(${VALID_HISTOGRAM_POINT} AND ${bucket} > 0)) AS usable,
        arraySlice(groupUniqArrayIf(${sample}, ${VALID_HISTOGRAM_POINT} AND ${bucket} = 0), 1, 5) AS samples
      FROM ${raw(TABLES.metricsHistogram)} WHERE ${range} AND ${where}`;
  }
  return undefined;
}

export interface MetricCheckRow {
  absurd: string;
  other_bounds: string;
  usable: string;
  samples: string[];
}

/** Turns the counts into an error (nothing measurable) or warnings (some points skipped). */
export function interpretMetricCheck(slo: Pick<Slo, 'id' | 'service' | 'sli'>, row: MetricCheckRow): MetricCheck {
  const warnings: string[] = [];
  const absurd = Number(row.absurd);
  const other = Number(row.other_bounds);
  const usable = Number(row.usable);
  if (absurd > 0) warnings.push(`skipped ${absurd} metric point(s) with values that are not counts (not finite, negative or at least 2^53)`);
  if (slo.sli.kind !== 'metric-latency' || other === 0) return { warnings };
  const threshold = decimalText(slo.sli.threshold);
  const found = [...row.samples].sort().join(', ');
  const what = `metric-latency threshold ${threshold} is not a bucket bound of histogram ${JSON.stringify(slo.sli.metric)} (service ${slo.service})`;
  if (usable === 0) {
    return { error: `SLO ${JSON.stringify(slo.id)}: ${what}; bounds found: ${found} (the threshold is in the metric unit and must equal one of them)`, warnings };
  }
  warnings.push(`skipped ${other} histogram point(s) whose bounds do not include the threshold ${threshold}: ${found}`);
  return { warnings };
}
