// The questions the storage benchmark asks each layout, written as each side's users would:
// burnrate as its dashboards and docs query (trace_index for the trace window, the span_red_1m
// rollup for RED, attribute filters through the skip index on current servers), the exporter as its
// README and Grafana's ClickHouse plugin query otel_traces.
import { literal } from '../../storage/sql.ts';

export interface Questions {
  /** Every span of one trace, all columns, in start order. */
  traceById(traceId: string): string;
  /** One service since `since` (epoch seconds, a whole minute): requests, errors, mean and p50/p90/p95/p99 duration per span name. */
  redBySpanName(service: string, since: number): string;
  /** The 20 slowest spans (all columns) of one service since `since` whose span attribute `key` is `value`. */
  slowestWithAttribute(service: string, since: number, key: string, value: string): string;
}

const burnrateTrace = (traceId: string) => {
  const id = literal(traceId);
  return `SELECT * FROM spans
    WHERE trace_id = ${id}
      AND timestamp >= (SELECT min(start) FROM trace_index WHERE trace_id = ${id})
      AND timestamp <= (SELECT max(end) FROM trace_index WHERE trace_id = ${id})
    ORDER BY start_time_ns`;
};

const burnrateRed = (service: string, since: number) => `SELECT span_name,
    countMerge(requests) AS calls, sumMerge(errors) AS failures,
    sumMerge(duration_sum_ns) / calls AS mean_ns,
    quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(duration_quantiles) AS quantiles_ns
  FROM span_red_1m
  WHERE tenant = '' AND service_name = ${literal(service)} AND minute >= toDateTime(${since})
  GROUP BY span_name ORDER BY span_name`;

/** burnrate on 18.16's layout: no skip index, so the attribute is looked up by position. */
export const burnratePortable: Questions = {
  traceById: burnrateTrace,
  redBySpanName: burnrateRed,
  slowestWithAttribute: (service, since, key, value) => `SELECT * FROM spans
    WHERE tenant = '' AND service_name = ${literal(service)} AND timestamp >= toDateTime(${since})
      AND attributes.value[indexOf(attributes.key, ${literal(key)})] = ${literal(value)}
    ORDER BY duration_ns DESC, span_id LIMIT 20`,
};

/** burnrate on the current-server layout: the same, plus the value test its attribute index answers. */
export const burnrateCurrent: Questions = {
  traceById: burnrateTrace,
  redBySpanName: burnrateRed,
  slowestWithAttribute: (service, since, key, value) => `SELECT * FROM spans
    WHERE tenant = '' AND service_name = ${literal(service)} AND timestamp >= toDateTime(${since})
      AND has(attributes.value, ${literal(value)})
      AND attributes.value[indexOf(attributes.key, ${literal(key)})] = ${literal(value)}
    ORDER BY duration_ns DESC, span_id LIMIT 20`,
};

export const exporter: Questions = {
  // The exporter README's trace query: the time range from the trace-id table, then otel_traces.
  traceById: (traceId) => {
    const id = literal(traceId);
    return `WITH
      ${id} AS trace_id,
      (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS start,
      (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = trace_id) AS end
    SELECT * FROM otel_traces
    WHERE TraceId = trace_id AND Timestamp >= start AND Timestamp <= end
    ORDER BY Timestamp`;
  },
  redBySpanName: (service, since) => `SELECT SpanName AS span_name,
      count() AS calls, countIf(StatusCode = 'Error') AS failures, avg(Duration) AS mean_ns,
      quantiles(0.5, 0.9, 0.95, 0.99)(Duration) AS quantiles_ns
    FROM otel_traces
    WHERE ServiceName = ${literal(service)} AND Timestamp >= toDateTime(${since})
    GROUP BY SpanName ORDER BY SpanName`,
  slowestWithAttribute: (service, since, key, value) => `SELECT * FROM otel_traces
    WHERE ServiceName = ${literal(service)} AND Timestamp >= toDateTime(${since}) AND SpanAttributes[${literal(key)}] = ${literal(value)}
    ORDER BY Duration DESC, SpanId LIMIT 20`,
};
