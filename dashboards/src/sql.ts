// SQL fragments shared by the dashboards. Everything here must run on ClickHouse 18.16 and on a
// current server, so only the portable macros appear (see shared docs "clickhouse.md").

/** Time bucket of the panel's interval, named `time` as Grafana's time series panels need. */
export const bucket = (column: string) => `toDateTime(intDiv(toUInt32(${column}), $__interval_s) * $__interval_s) AS time`;

/** Seconds in the dashboard's time range (for rates over the whole range). */
export const RANGE_SECONDS = '(toUInt32($__toTime) - toUInt32($__fromTime))';

/** Spans that are requests served: OTLP SpanKind SERVER (2) and CONSUMER (5). */
export const SERVED = 'kind IN (2, 5)';

/** OTLP SpanKind numbers as words. */
export const KIND_NAME = "transform(kind, [0, 1, 2, 3, 4, 5], ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'], 'unknown')";

/** OTLP status codes as words. */
export const STATUS_NAME = "transform(status_code, [0, 1, 2], ['unset', 'ok', 'error'], 'unknown')";

/** Reads of the span_red_1m rollup. */
export const RED = {
  requests: 'countMerge(requests)',
  errors: 'sumMerge(errors)',
  /** Fraction of requests with status ERROR (0 when there are none). */
  errorRatio: 'sumMerge(errors) / greatest(countMerge(requests), 1)',
  /** Latency quantile in milliseconds; index 1..4 = p50, p90, p95, p99. */
  quantileMs: (index: 1 | 2 | 3 | 4) => `quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(duration_quantiles)[${index}] / 1000000`,
};

/** The trace id typed into the trace dashboard (lowercase hex, as stored). */
export const TRACE_ID = 'lower(${trace_id:singlequote})';

/**
 * Restricts a scan of spans (or logs) to the one trace's time window, found in trace_index, so the
 * query reads a few partitions instead of the whole table.
 */
export const traceWindow = (column: string) =>
  `${column} >= (SELECT min(start) FROM trace_index WHERE trace_id = ${TRACE_ID})
  AND ${column} <= (SELECT max(end) FROM trace_index WHERE trace_id = ${TRACE_ID})`;

/** A number of seconds as a short duration label: 300 -> '5m', 3600 -> '1h', 2592000 -> '30d'. */
export const durationLabel = (seconds: string) =>
  `multiIf(${seconds} % 86400 = 0, concat(toString(intDiv(${seconds}, 86400)), 'd'), ${seconds} % 3600 = 0, concat(toString(intDiv(${seconds}, 3600)), 'h'), concat(toString(intDiv(${seconds}, 60)), 'm'))`;

/** A nullable number as text with two decimals, '–' for NULL (no data). */
export const numberText = (value: string, suffix = '') => `if(isNull(${value}), '–', concat(toString(round(assumeNotNull(${value}), 2)), '${suffix}'))`;

/**
 * The SLO objective as a fraction (0.999). The engine stores the objective as written; taking
 * values above 1 as percent keeps the dashboards right either way.
 */
export const OBJECTIVE_FRACTION = 'if(objective > 1, objective / 100, objective)';
