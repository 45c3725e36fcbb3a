import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';
import { ident, sql, type SqlFragment } from '../sql.ts';
import { ATTRIBUTES_NESTED } from './traces.ts';
import { table, view, type TableStep } from '../cluster/ddl.ts';

// Metrics: one table per data point kind (metrics_gauge, metrics_sum, metrics_histogram,
// metrics_exp_histogram, metrics_summary), one row per data point, day partitions on `timestamp`
// (time_unix_nano in seconds; the exact values are start_time_ns / time_ns), sorted by
// (tenant, service_name, metric_name, timestamp) so "one metric of one service over a time range" reads
// one contiguous range.
//
// Reading rules:
// - Points with `bitAnd(flags, 1) = 1` are "no recorded value" staleness markers: their value/count
//   columns mean nothing (often NaN or 0). Every aggregate must filter `bitAnd(flags, 1) = 0`.
// - Number values: `value_type` 1 = double (value_double), 2 = int (value_int, exact Int64),
//   0 = none (staleness markers only). As one number: if(value_type = 2, toFloat64(value_int), value_double).
// - has_sum / has_min / has_max say whether the optional sum/min/max were sent (else the column is 0).
// - aggregation_temporality 1 = DELTA (each point counts its own interval), 2 = CUMULATIVE (running
//   totals since start_time_ns: never sum them across points; take differences within one series).
//
// Requests and 5xx per service per minute (issue 4 item 5): `http_server_requests_1m` is filled from
// histogram points of `http.server.request.duration` and the older `http.server.duration`:
// - DELTA points: `requests` sums their counts per (service, minute, route, method, status code).
// - CUMULATIVE points: `cumulative_count` keeps the highest running count per series (series_id = hash of
//   metric, resource, scope and point attributes; series_start_ns = its start time) and minute; the
//   requests of a minute are that value minus the series' value at its previous minute. The first
//   point of a series in the queried range counts in full only when the series started inside the
//   range (otherwise its baseline is unknown and it counts 0, like Prometheus' increase()).
// `httpRequestsPerMinuteSql` below is that query (both temporalities together); use it rather than
// summing the table by hand. Its `lookbackSeconds` must exceed the exporters' interval (SDK default 60 s).

export const metricsMigrations: Migration[] = [
  {
    version: 201,
    name: 'metric point tables',
    up: () => [
      pointTable(TABLES.metricsGauge, `
        value_type UInt8,
        value_double Float64,
        value_int Int64,
        ${EXEMPLARS},`),
      pointTable(TABLES.metricsSum, `
        aggregation_temporality UInt8,
        is_monotonic UInt8,
        value_type UInt8,
        value_double Float64,
        value_int Int64,
        ${EXEMPLARS},`),
      pointTable(TABLES.metricsHistogram, `
        aggregation_temporality UInt8,
        ${HISTOGRAM_STATS},
        bucket_counts Array(UInt64),
        explicit_bounds Array(Float64),
        http_route String,
        http_method String,
        http_status_code UInt16,
        ${EXEMPLARS},`),
      pointTable(TABLES.metricsExpHistogram, `
        aggregation_temporality UInt8,
        ${HISTOGRAM_STATS},
        scale Int32,
        zero_count UInt64,
        zero_threshold Float64,
        positive_offset Int32,
        positive_bucket_counts Array(UInt64),
        negative_offset Int32,
        negative_bucket_counts Array(UInt64),
        ${EXEMPLARS},`),
      pointTable(TABLES.metricsSummary, `
        count UInt64,
        sum Float64,
        quantile_values Nested(quantile Float64, value Float64),`),
    ],
  },
  {
    version: 202,
    name: 'per-minute HTTP server request counts from metrics',
    up: () => [
      table({
        name: TABLES.httpServerRequests1m,
        columns: `
        tenant String,
        minute DateTime,
        service_name String,
        http_route String,
        http_method String,
        http_status_code UInt16,
        temporality UInt8,
        series_id UInt64,
        series_start_ns UInt64,
        requests AggregateFunction(sum, UInt64),
        cumulative_count AggregateFunction(max, UInt64)
      `,
        engine: 'AggregatingMergeTree',
        partitionBy: 'toYYYYMMDD(minute)',
        orderBy: '(tenant, service_name, minute, http_route, http_method, http_status_code, temporality, series_id, series_start_ns)',
        // Filled on each shard from its own points, which are sharded by series (the key only places
        // direct inserts); reads merge the states of every shard.
        shardingKey: 'series_id',
      }),
      // Delta rows carry series_id = series_start_ns = 0, so they collapse per status code and minute.
      view({
        name: `${TABLES.httpServerRequests1m}_mv`,
        to: TABLES.httpServerRequests1m,
        from: TABLES.metricsHistogram,
        select: (histograms) => `SELECT
          tenant,
          toStartOfMinute(timestamp) AS minute,
          service_name,
          http_route,
          http_method,
          http_status_code,
          aggregation_temporality AS temporality,
          if(aggregation_temporality = 2, cityHash64(
            metric_name, scope_name, scope_version,
            arrayStringConcat(resource_attributes.key, '\\x01'), arrayStringConcat(resource_attributes.value, '\\x01'),
            arrayStringConcat(attributes.key, '\\x01'), arrayStringConcat(attributes.value, '\\x01')
          ), toUInt64(0)) AS series_id,
          if(aggregation_temporality = 2, start_time_ns, toUInt64(0)) AS series_start_ns,
          sumState(count) AS requests,
          maxState(count) AS cumulative_count
        FROM ${histograms}
        WHERE metric_name IN ('http.server.request.duration', 'http.server.duration')
          AND bitAnd(flags, 1) = 0
          AND aggregation_temporality IN (1, 2)
        GROUP BY tenant, minute, service_name, http_route, http_method, http_status_code, temporality, series_id, series_start_ns`,
      }),
    ],
  },
];

const HISTOGRAM_STATS = `count UInt64,
        sum Float64,
        has_sum UInt8,
        min Float64,
        has_min UInt8,
        max Float64,
        has_max UInt8`;

// value_type as for data points; filtered_attributes is the OTLP/JSON KeyValue list ('' when empty).
const EXEMPLARS = `exemplars Nested(
          time_ns UInt64, value_type UInt8, value_double Float64, value_int Int64,
          trace_id String, span_id String, filtered_attributes String
        )`;

// A series is the metric with its resource, scope and point attributes (as series_id above): all its
// points on one shard, so a cumulative series' differences are taken within one shard.
const SERIES_SHARDING_KEY = `cityHash64(
          metric_name, scope_name, scope_version,
          arrayStringConcat(resource_attributes.key, '\\x01'), arrayStringConcat(resource_attributes.value, '\\x01'),
          arrayStringConcat(attributes.key, '\\x01'), arrayStringConcat(attributes.value, '\\x01')
        )`;

function pointTable(name: string, kindColumns: string): TableStep {
  return table({
    name,
    columns: `
        tenant String,
        timestamp DateTime,
        start_time_ns UInt64,
        time_ns UInt64,
        service_name String,
        service_namespace String,
        deployment_environment String,
        metric_name String,
        metric_description String,
        metric_unit String,
        attributes ${ATTRIBUTES_NESTED},
        flags UInt32,
        ${kindColumns.trim()}
        resource_attributes ${ATTRIBUTES_NESTED},
        resource_dropped_attributes_count UInt32,
        resource_schema_url String,
        scope_name String,
        scope_version String,
        scope_attributes String,
        scope_dropped_attributes_count UInt32,
        scope_schema_url String
      `,
    engine: 'MergeTree',
    partitionBy: 'toYYYYMMDD(timestamp)',
    orderBy: '(tenant, service_name, metric_name, timestamp)',
    shardingKey: SERIES_SHARDING_KEY,
  });
}

export interface HttpRequestsQuery {
  tenant: string;
  /** Unix seconds; minutes in [from, to) are returned. */
  from: number;
  to: number;
  /** Only this service; all services when absent. */
  serviceName?: string;
  /** How far before `from` cumulative series are read to find each one's previous value (default 600). */
  lookbackSeconds?: number;
}

/**
 * Requests and 5xx responses per service and minute from `http_server_requests_1m`, correct for
 * DELTA and CUMULATIVE histograms. Columns: service_name, minute (DateTime), requests, server_errors.
 */
export function httpRequestsPerMinuteSql(q: HttpRequestsQuery): SqlFragment {
  const from = Math.floor(q.from / 60) * 60;
  const to = Math.floor(q.to);
  const fetchFrom = from - (q.lookbackSeconds ?? 600);
  const service = q.serviceName === undefined ? sql`1` : sql`service_name = ${q.serviceName}`;
  const t = ident(TABLES.httpServerRequests1m);
  return sql`SELECT service_name, minute, toUInt64(sum(n)) AS requests, toUInt64(sumIf(n, http_status_code >= 500)) AS server_errors
FROM (
  SELECT service_name, minute, http_status_code, toInt64(sumMerge(requests)) AS n
  FROM ${t}
  WHERE tenant = ${q.tenant} AND ${service} AND temporality = 1 AND minute >= toDateTime(${from}) AND minute < toDateTime(${to})
  GROUP BY service_name, minute, http_status_code
  UNION ALL
  SELECT service_name, minute, http_status_code,
    if(i = 1, if(series_start_ns >= ${BigInt(fetchFrom) * 1_000_000_000n}, toInt64(last), toInt64(0)), if(diff < 0, toInt64(last), diff)) AS n
  FROM (
    SELECT service_name, http_status_code, series_start_ns,
      arraySort(groupArray((minute, last))) AS points,
      arrayMap(p -> p.1, points) AS minutes,
      arrayMap(p -> p.2, points) AS lasts,
      arrayMap(x -> toInt64(x), arrayDifference(lasts)) AS diffs
    FROM (
      SELECT service_name, http_status_code, series_id, series_start_ns, minute, maxMerge(cumulative_count) AS last
      FROM ${t}
      WHERE tenant = ${q.tenant} AND ${service} AND temporality = 2 AND minute >= toDateTime(${fetchFrom}) AND minute < toDateTime(${to})
      GROUP BY service_name, http_status_code, series_id, series_start_ns, minute
    )
    GROUP BY service_name, http_status_code, series_id, series_start_ns
  )
  ARRAY JOIN minutes AS minute, lasts AS last, diffs AS diff, arrayEnumerate(lasts) AS i
  WHERE minute >= toDateTime(${from})
)
GROUP BY service_name, minute
ORDER BY service_name, minute`;
}
