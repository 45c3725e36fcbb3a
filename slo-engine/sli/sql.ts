// SQL builders per SLI kind: each yields `SELECT minute, good, total` per minute over [from, to)
// from the collector's tables. Every value goes through storage/sql.ts.
import { createHash } from 'node:crypto';
import { ident, joinSql, raw, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { SPAN_KINDS, tenantOf, type SliSpec, type Slo, type SpanSelector } from '../model.ts';
import { CUSTOM_TABLES, renderCustomExpression } from './custom-sql.ts';
import { stableJson } from '../spec/json.ts';
import { metricLatencyQuery, metricRatioQuery } from './metric-sql.ts';

/**
 * What the counting queries mean. Raised whenever the same spec would count differently, so stored
 * minutes of the old meaning are never mixed with new ones. 2: one tenant per SLO, latency spans
 * that end before they start are bad, metric points with absurd values or without the threshold
 * bound are skipped.
 */
const COUNTING_SEMANTICS = 2;

/** Identifies an SLI definition: when it changes, counts are rebuilt under the new hash. */
export function sliHash(slo: Pick<Slo, 'service' | 'sli' | 'tenant'>): string {
  const definition = { semantics: COUNTING_SEMANTICS, service: slo.service, tenant: tenantOf(slo), sli: slo.sli };
  return createHash('sha256').update(stableJson(definition)).digest('hex').slice(0, 16);
}

const at = (epochSeconds: number) => sql`toDateTime(${epochSeconds})`;

function attributeFilters(column: 'attributes' | 'resource_attributes', attrs: Record<string, string>): SqlFragment[] {
  return Object.entries(attrs).map(([k, v]) => sql`${ident(`${column}.value`)}[indexOf(${ident(`${column}.key`)}, ${k})] = ${v}`);
}

function spanFilters(tenant: string, service: string, s: SpanSelector, nameColumn: string): SqlFragment[] {
  const where = [sql`tenant = ${tenant}`, sql`service_name = ${service}`];
  if (s.spanKind !== null) where.push(sql`kind = ${SPAN_KINDS[s.spanKind]}`);
  if (s.spanNames.length) where.push(sql`has(${s.spanNames}, ${ident(nameColumn)})`);
  if (s.routes.length) where.push(sql`has(${s.routes}, http_route)`);
  where.push(...attributeFilters('attributes', s.attributes), ...attributeFilters('resource_attributes', s.resourceAttributes));
  return where;
}

/** The per-minute rollup holds exactly these bad definitions (not their union) and no route/attribute columns. */
function rollupBad(sli: SliSpec): 'errors' | 'http_5xx' | undefined {
  if (sli.kind !== 'availability') return undefined;
  if (sli.routes.length || Object.keys(sli.attributes).length || Object.keys(sli.resourceAttributes).length) return undefined;
  if (sli.bad.statusError && sli.bad.httpStatusAtLeast === null) return 'errors';
  if (!sli.bad.statusError && sli.bad.httpStatusAtLeast === 500) return 'http_5xx';
  return undefined;
}

/** No SLI kind throws it any more (the metric kinds are counted); kept for callers that catch it. */
export class UnsupportedSliError extends Error {}

/**
 * A latency span is good only when its clock makes sense: it has a start and ends at or after it
 * (the collector stores duration 0 for a span that ends before it starts) within the threshold.
 * Spans with impossible times count as bad: their latency is unknown, so the SLO cannot vouch for them.
 */
const sensibleTimes = raw('start_time_ns > 0 AND end_time_ns >= start_time_ns');

/** `SELECT minute, good, total` per minute over [from, to) for this SLO's SLI (the id, when given, names it in errors). */
export function countsQuery(slo: Pick<Slo, 'service' | 'sli' | 'tenant'> & { id?: string }, from: number, to: number): SqlFragment {
  const sli = slo.sli;
  const tenant = tenantOf(slo);
  switch (sli.kind) {
    case 'availability':
    case 'latency': {
      const bad = rollupBad(sli);
      if (bad) {
        const where = joinSql([sql`minute >= ${at(from)}`, sql`minute < ${at(to)}`, ...spanFilters(tenant, slo.service, sli, 'span_name')], ' AND ');
        return sql`SELECT minute, toUInt64(countMerge(requests) - sumMerge(${ident(bad)})) AS good, toUInt64(countMerge(requests)) AS total
          FROM ${ident(TABLES.spanRed1m)} WHERE ${where} GROUP BY minute`;
      }
      const where = joinSql([sql`timestamp >= ${at(from)}`, sql`timestamp < ${at(to)}`, ...spanFilters(tenant, slo.service, sli, 'name')], ' AND ');
      let good: SqlFragment;
      if (sli.kind === 'latency') good = sql`${sensibleTimes} AND duration_ns <= ${sli.thresholdNs}`;
      else {
        const badParts: SqlFragment[] = [];
        if (sli.bad.statusError) badParts.push(raw('status_code = 2'));
        if (sli.bad.httpStatusAtLeast !== null) badParts.push(sql`http_status_code >= ${sli.bad.httpStatusAtLeast}`);
        good = sql`NOT (${joinSql(badParts, ' OR ')})`;
      }
      return sql`SELECT toStartOfMinute(timestamp) AS minute, toUInt64(countIf(${good})) AS good, toUInt64(count()) AS total
        FROM ${ident(TABLES.spans)} WHERE ${where} GROUP BY minute`;
    }
    case 'custom': {
      const table = CUSTOM_TABLES[sli.table]!;
      const time = ident(table.timeColumn);
      const expr = (e: string) => raw(renderCustomExpression(e, sli.table));
      return sql`SELECT toStartOfMinute(${time}) AS minute, toUInt64(${expr(sli.good)}) AS good, toUInt64(${expr(sli.total)}) AS total
        FROM ${ident(sli.table)} WHERE tenant = ${tenant} AND ${time} >= ${at(from)} AND ${time} < ${at(to)} AND (${expr(sli.where)}) GROUP BY minute`;
    }
    case 'metric-ratio':
      return metricRatioQuery({ ...(slo.id !== undefined ? { id: slo.id } : {}), tenant, service: slo.service, sli }, from, to);
    case 'metric-latency':
      return metricLatencyQuery({ ...(slo.id !== undefined ? { id: slo.id } : {}), tenant, service: slo.service, sli }, from, to);
  }
}
