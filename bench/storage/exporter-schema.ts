// The OpenTelemetry Collector's ClickHouse exporter (opentelemetry-collector-contrib,
// exporter/clickhouseexporter) stores traces in `otel_traces` plus a trace-id → time-range table fed
// by a materialized view. The statements below reproduce that layout as its
// internal/sqltemplates/traces_table.sql, traces_id_ts_lookup_table.sql and
// traces_id_ts_lookup_mv.sql define it (default settings: MergeTree engine, bloom-filter indexes,
// no full-text search), with the exporter's `ttl` option set to 30 days; nothing is tuned for the
// comparison.

export const EXPORTER_TABLES = ['otel_traces', 'otel_traces_trace_id_ts'] as const;

export const EXPORTER_DDL: string[] = [
  `CREATE TABLE IF NOT EXISTS otel_traces (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
  ) ENGINE = MergeTree()
  PARTITION BY toDate(Timestamp)
  PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
  ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
  TTL toDateTime(Timestamp) + toIntervalDay(30)
  SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
  `CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
  ) ENGINE = MergeTree()
  PARTITION BY toStartOfWeek(Start)
  ORDER BY (TraceId)
  TTL toDateTime(Start) + toIntervalDay(30)
  SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
  `CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv TO otel_traces_trace_id_ts AS
    SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
    FROM otel_traces
    WHERE TraceId != ''
    GROUP BY TraceId`,
];

// One OTLP/JSON KeyValue list (burnrate's text form of event and link attributes) as the exporter's
// Map: every value as its text (the exporter stores AnyValue.AsString()).
const kvListAsMap = (column: string) =>
  `CAST(mapFromArrays(
     arrayMap(kv -> JSONExtractString(kv, 'key'), JSONExtractArrayRaw(${column})),
     arrayMap(kv -> if(JSONType(JSONExtractRaw(kv, 'value'), 1) = 'String', JSONExtractString(JSONExtractRaw(kv, 'value'), 1), JSONExtractRaw(JSONExtractRaw(kv, 'value'), 1)), JSONExtractArrayRaw(${column}))
   ), 'Map(LowCardinality(String), String)')`;

/**
 * The same spans as the exporter would write them, from burnrate's `spans` table in database `from`:
 * same ids, times, names, attributes (values as text), events and links.
 */
export function exporterRowsFrom(from: string): string {
  return `INSERT INTO otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes,
      ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage, Events.Timestamp, Events.Name, Events.Attributes,
      Links.TraceId, Links.SpanId, Links.TraceState, Links.Attributes)
    SELECT
      fromUnixTimestamp64Nano(toInt64(start_time_ns)), trace_id, span_id, parent_span_id, trace_state, name,
      transform(kind, [0, 1, 2, 3, 4, 5], ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'], 'Unspecified'),
      service_name, mapFromArrays(resource_attributes.key, resource_attributes.value), scope_name, scope_version,
      mapFromArrays(attributes.key, attributes.value), duration_ns,
      transform(status_code, [0, 1, 2], ['Unset', 'Ok', 'Error'], 'Unset'), status_message,
      arrayMap(t -> fromUnixTimestamp64Nano(toInt64(t)), events.time_ns), events.name, arrayMap(a -> ${kvListAsMap('a')}, events.attributes),
      links.trace_id, links.span_id, links.trace_state, arrayMap(a -> ${kvListAsMap('a')}, links.attributes)
    FROM ${from}.spans`;
}
