// Requests, errors and latency from the per-minute span rollup (span_red_1m): per service and span
// name for the Services page, and over time for one service on an SLO's page.
import type { Clickhouse } from '../../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../../storage/sql.ts';
import { TABLES } from '../../../storage/tables.ts';

/** OTLP span kinds that are requests served: SERVER (2) and CONSUMER (5), as on the dashboards. */
export const SERVED_KINDS = [2, 5];
export const KIND_NAMES = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export interface RedScope {
  /** Only this tenant's spans; undefined = every tenant. */
  tenant?: string;
  /** Only these span kinds; undefined = all. */
  kinds?: readonly number[];
  from: number;
  to: number;
}

export interface RedTotals {
  requests: number;
  errors: number;
  /** Milliseconds, null without requests. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface SpanRed extends RedTotals {
  tenant: string;
  service: string;
  spanName: string;
  kind: number;
}

export interface ServiceRed extends RedTotals {
  tenant: string;
  service: string;
  spans: SpanRed[];
}

/** The state's levels (storage/migrations/traces.ts); 0.95 is stored but not shown. */
const QUANTILES = sql`quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(duration_quantiles)`;
const MAX_SPAN_ROWS = 5000;

function where(scope: RedScope, extra: SqlFragment[] = []): SqlFragment {
  const parts = [sql`minute >= toDateTime(${scope.from})`, sql`minute < toDateTime(${scope.to})`, ...extra];
  if (scope.tenant !== undefined) parts.push(sql`tenant = ${scope.tenant}`);
  if (scope.kinds) parts.push(sql`kind IN (${joinSql(scope.kinds.map((k) => sql`${k}`), ', ')})`);
  return joinSql(parts, ' AND ');
}

// Aliases differ from the rollup's column names: an alias equal to the aggregated column trips both
// the old and the new analyzer.
interface RedRow {
  req: string;
  err: string;
  q: (number | null)[];
}

const ms = (ns: number | null | undefined, requests: number) => (requests === 0 || ns === null || ns === undefined || !Number.isFinite(ns) ? null : ns / 1e6);
const totals = (r: RedRow): RedTotals => {
  const requests = Number(r.req);
  return { requests, errors: Number(r.err), p50: ms(r.q[0], requests), p90: ms(r.q[1], requests), p99: ms(r.q[3], requests) };
};

/** Every service (and its span names) with traffic in the range, busiest first. */
export async function servicesRed(ch: Clickhouse, scope: RedScope): Promise<ServiceRed[]> {
  const select = (groupBy: SqlFragment, limit: number) => sql`
    SELECT ${groupBy}, countMerge(requests) AS req, sumMerge(errors) AS err, ${QUANTILES} AS q
    FROM ${ident(TABLES.spanRed1m)}
    WHERE ${where(scope)}
    GROUP BY ${groupBy}
    ORDER BY req DESC
    LIMIT ${limit}`;
  const [services, spans] = await Promise.all([
    ch.query<RedRow & { tenant: string; service_name: string }>(select(sql`tenant, service_name`, MAX_SPAN_ROWS)),
    ch.query<RedRow & { tenant: string; service_name: string; span_name: string; kind: number }>(select(sql`tenant, service_name, span_name, kind`, MAX_SPAN_ROWS)),
  ]);
  const key = (tenant: string, service: string) => `${tenant}\u0000${service}`;
  const out = new Map(services.map((s) => [key(s.tenant, s.service_name), { tenant: s.tenant, service: s.service_name, ...totals(s), spans: [] as SpanRed[] }]));
  for (const s of spans) out.get(key(s.tenant, s.service_name))?.spans.push({ tenant: s.tenant, service: s.service_name, spanName: s.span_name, kind: Number(s.kind), ...totals(s) });
  return [...out.values()];
}

export interface RedSeries {
  times: number[];
  /** Per minute (the rollup's grain), averaged over each bucket. */
  requestsPerMinute: number[];
  errorsPerMinute: number[];
  p50: (number | null)[];
  p90: (number | null)[];
  p99: (number | null)[];
}

/** One service over time, bucketed by `step` seconds (a multiple of 60). */
export async function serviceRedSeries(ch: Clickhouse, service: string, scope: RedScope & { step: number }): Promise<RedSeries> {
  const rows = await ch.query<RedRow & { t: number }>(sql`
    SELECT intDiv(toUInt32(minute), ${scope.step}) * ${scope.step} AS t, countMerge(requests) AS req, sumMerge(errors) AS err, ${QUANTILES} AS q
    FROM ${ident(TABLES.spanRed1m)}
    WHERE ${where(scope, [sql`service_name = ${service}`])}
    GROUP BY t ORDER BY t`);
  const minutes = scope.step / 60;
  const parsed = rows.map((r) => ({ t: Number(r.t), ...totals(r) }));
  return {
    times: parsed.map((r) => r.t),
    requestsPerMinute: parsed.map((r) => r.requests / minutes),
    errorsPerMinute: parsed.map((r) => r.errors / minutes),
    p50: parsed.map((r) => r.p50),
    p90: parsed.map((r) => r.p90),
    p99: parsed.map((r) => r.p99),
  };
}
