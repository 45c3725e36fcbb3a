import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';
import { onCurrentServer } from './current-server.ts';
import { alter, table, view } from '../cluster/ddl.ts';

// Attribute lists are Nested(key, type, value): `type` names the AnyValue kind and `value` is its
// text form (see README "Attribute values"). Event, link and scope attribute lists are stored as
// their OTLP/JSON KeyValue encoding, which is lossless.
export const ATTRIBUTES_NESTED = 'Nested(key String, type String, value String)';

export const tracesMigrations: Migration[] = [
  {
    version: 101,
    name: 'spans table',
    up: () => [
      table({
        name: TABLES.spans,
        columns: `
        tenant String,
        timestamp DateTime,
        start_time_ns UInt64,
        end_time_ns UInt64,
        duration_ns UInt64,
        trace_id String,
        span_id String,
        parent_span_id String,
        trace_state String,
        flags UInt32,
        name String,
        kind UInt8,
        status_code UInt8,
        status_message String,
        service_name String,
        service_namespace String,
        deployment_environment String,
        http_route String,
        http_status_code UInt16,
        attributes ${ATTRIBUTES_NESTED},
        dropped_attributes_count UInt32,
        events Nested(time_ns UInt64, name String, attributes String, dropped_attributes_count UInt32),
        dropped_events_count UInt32,
        links Nested(trace_id String, span_id String, trace_state String, flags UInt32, attributes String, dropped_attributes_count UInt32),
        dropped_links_count UInt32,
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
        orderBy: '(tenant, service_name, timestamp)',
        // A trace's spans on one shard: the trace view and the trace id lookup read one shard.
        shardingKey: 'cityHash64(trace_id)',
      }),
    ],
  },
  {
    version: 102,
    name: 'trace id lookup',
    up: () => [
      table({
        name: TABLES.traceIndex,
        columns: `
        tenant String,
        trace_id String,
        start DateTime,
        end DateTime
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(start)',
        orderBy: '(trace_id, tenant)',
        // Filled on each shard from its own spans, which are sharded by trace id too.
        shardingKey: 'cityHash64(trace_id)',
      }),
      view({
        name: `${TABLES.traceIndex}_mv`,
        to: TABLES.traceIndex,
        from: TABLES.spans,
        select: (spans) => `SELECT tenant, trace_id, min(timestamp) AS start, max(toDateTime(intDiv(end_time_ns, 1000000000))) AS end
        FROM ${spans}
        GROUP BY tenant, trace_id`,
      }),
    ],
  },
  {
    version: 103,
    name: 'per-minute RED rollup of spans',
    up: () => [
      table({
        name: TABLES.spanRed1m,
        columns: `
        tenant String,
        minute DateTime,
        service_name String,
        span_name String,
        kind UInt8,
        requests AggregateFunction(count),
        errors AggregateFunction(sum, UInt64),
        http_5xx AggregateFunction(sum, UInt64),
        duration_sum_ns AggregateFunction(sum, UInt64),
        duration_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt64)
      `,
        engine: 'AggregatingMergeTree',
        partitionBy: 'toYYYYMMDD(minute)',
        orderBy: '(tenant, service_name, minute, span_name, kind)',
        // Filled on each shard from its own spans (the key only places direct inserts, which burnrate
        // does not make); reads merge the states of every shard.
        shardingKey: 'cityHash64(tenant, service_name)',
      }),
      view({
        name: `${TABLES.spanRed1m}_mv`,
        to: TABLES.spanRed1m,
        from: TABLES.spans,
        select: (spans) => `SELECT
          tenant,
          toStartOfMinute(timestamp) AS minute,
          service_name,
          name AS span_name,
          kind,
          countState() AS requests,
          sumState(toUInt64(status_code = 2)) AS errors,
          sumState(toUInt64(http_status_code >= 500)) AS http_5xx,
          sumState(duration_ns) AS duration_sum_ns,
          quantilesTDigestState(0.5, 0.9, 0.95, 0.99)(duration_ns) AS duration_quantiles
        FROM ${spans}
        GROUP BY tenant, minute, service_name, span_name, kind`,
      }),
    ],
  },
  // ---- The current-server layout (ClickHouse 23.8+; 18.16 keeps the tables above as they are).
  // One insert encoding for both: RowBinary writes LowCardinality(String) as String, and codecs and
  // indexes are not on the wire. What each step costs on a large existing table is in docs/performance.md.
  {
    version: 111,
    name: 'spans: LowCardinality for low-cardinality strings (current servers)',
    // A type change is a mutation: every existing part's changed columns are rewritten once, in the
    // background (system.mutations); new parts are written in the new type at once.
    up: (ctx) =>
      onCurrentServer(ctx, [
        alter(TABLES.spans, `MODIFY COLUMN tenant LowCardinality(String),
          MODIFY COLUMN name LowCardinality(String),
          MODIFY COLUMN service_name LowCardinality(String),
          MODIFY COLUMN service_namespace LowCardinality(String),
          MODIFY COLUMN deployment_environment LowCardinality(String),
          MODIFY COLUMN http_route LowCardinality(String),
          MODIFY COLUMN attributes.key Array(LowCardinality(String)),
          MODIFY COLUMN attributes.type Array(LowCardinality(String)),
          MODIFY COLUMN events.name Array(LowCardinality(String)),
          MODIFY COLUMN resource_attributes.key Array(LowCardinality(String)),
          MODIFY COLUMN resource_attributes.type Array(LowCardinality(String)),
          MODIFY COLUMN resource_attributes.value Array(LowCardinality(String)),
          MODIFY COLUMN resource_schema_url LowCardinality(String),
          MODIFY COLUMN scope_name LowCardinality(String),
          MODIFY COLUMN scope_version LowCardinality(String),
          MODIFY COLUMN scope_attributes LowCardinality(String),
          MODIFY COLUMN scope_schema_url LowCardinality(String)`),
      ]),
  },
  {
    version: 112,
    name: 'spans: compression codecs (current servers)',
    // Codecs change no type: metadata only, applied to parts written or merged from now on.
    // Times are near-sorted within a service (Delta), durations small integers (T64), the rest ZSTD.
    up: (ctx) =>
      onCurrentServer(ctx, [
        alter(TABLES.spans, `MODIFY COLUMN tenant LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN timestamp DateTime CODEC(Delta, ZSTD(1)),
          MODIFY COLUMN start_time_ns UInt64 CODEC(Delta, ZSTD(1)),
          MODIFY COLUMN end_time_ns UInt64 CODEC(Delta, ZSTD(1)),
          MODIFY COLUMN duration_ns UInt64 CODEC(T64, ZSTD(1)),
          MODIFY COLUMN trace_id String CODEC(ZSTD(1)),
          MODIFY COLUMN span_id String CODEC(ZSTD(1)),
          MODIFY COLUMN parent_span_id String CODEC(ZSTD(1)),
          MODIFY COLUMN trace_state String CODEC(ZSTD(1)),
          MODIFY COLUMN flags UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN name LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN kind UInt8 CODEC(ZSTD(1)),
          MODIFY COLUMN status_code UInt8 CODEC(ZSTD(1)),
          MODIFY COLUMN status_message String CODEC(ZSTD(1)),
          MODIFY COLUMN service_name LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN service_namespace LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN deployment_environment LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN http_route LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN http_status_code UInt16 CODEC(ZSTD(1)),
          MODIFY COLUMN attributes.key Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN attributes.type Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN attributes.value Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN dropped_attributes_count UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN events.time_ns Array(UInt64) CODEC(ZSTD(1)),
          MODIFY COLUMN events.name Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN events.attributes Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN events.dropped_attributes_count Array(UInt32) CODEC(ZSTD(1)),
          MODIFY COLUMN dropped_events_count UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN links.trace_id Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN links.span_id Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN links.trace_state Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN links.flags Array(UInt32) CODEC(ZSTD(1)),
          MODIFY COLUMN links.attributes Array(String) CODEC(ZSTD(1)),
          MODIFY COLUMN links.dropped_attributes_count Array(UInt32) CODEC(ZSTD(1)),
          MODIFY COLUMN dropped_links_count UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN resource_attributes.key Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN resource_attributes.type Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN resource_attributes.value Array(LowCardinality(String)) CODEC(ZSTD(1)),
          MODIFY COLUMN resource_dropped_attributes_count UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN resource_schema_url LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN scope_name LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN scope_version LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN scope_attributes LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN scope_dropped_attributes_count UInt32 CODEC(ZSTD(1)),
          MODIFY COLUMN scope_schema_url LowCardinality(String) CODEC(ZSTD(1))`),
      ]),
  },
  {
    version: 113,
    name: 'spans: trace id skip index (current servers)',
    // A bloom filter per granule: "spans of trace X" reads only the granules that may hold X inside
    // the window trace_index gives. New parts (and merges) get it; MATERIALIZE INDEX builds it for
    // old parts (a mutation), which this migration does not start.
    up: (ctx) => onCurrentServer(ctx, [alter(TABLES.spans, `ADD INDEX IF NOT EXISTS trace_id_bloom trace_id TYPE bloom_filter(0.001) GRANULARITY 1`)]),
  },
  {
    version: 114,
    name: 'spans: span attribute value skip index (current servers)',
    // A filter on one attribute value skips granules where no span has that value. Queries name the
    // value for the index and the key for the exact match:
    //   WHERE has(attributes.value, 'v') AND attributes.value[indexOf(attributes.key, 'k')] = 'v'
    up: (ctx) => onCurrentServer(ctx, [alter(TABLES.spans, `ADD INDEX IF NOT EXISTS attribute_values_bloom attributes.value TYPE bloom_filter(0.01) GRANULARITY 1`)]),
  },
  {
    version: 115,
    name: 'span_red_1m: LowCardinality names and codecs (current servers)',
    // Names: a mutation rewriting those columns of existing parts once; codecs: new parts and merges.
    up: (ctx) =>
      onCurrentServer(ctx, [
        alter(TABLES.spanRed1m, `MODIFY COLUMN tenant LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN minute DateTime CODEC(Delta, ZSTD(1)),
          MODIFY COLUMN service_name LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN span_name LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN kind UInt8 CODEC(ZSTD(1)),
          MODIFY COLUMN requests AggregateFunction(count) CODEC(ZSTD(1)),
          MODIFY COLUMN errors AggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
          MODIFY COLUMN http_5xx AggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
          MODIFY COLUMN duration_sum_ns AggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
          MODIFY COLUMN duration_quantiles AggregateFunction(quantilesTDigest(0.5, 0.9, 0.95, 0.99), UInt64) CODEC(ZSTD(1))`),
      ]),
  },
  {
    version: 116,
    name: 'trace_index: codecs (current servers)',
    up: (ctx) =>
      onCurrentServer(ctx, [
        alter(TABLES.traceIndex, `MODIFY COLUMN tenant LowCardinality(String) CODEC(ZSTD(1)),
          MODIFY COLUMN trace_id String CODEC(ZSTD(1)),
          MODIFY COLUMN start DateTime CODEC(ZSTD(1)),
          MODIFY COLUMN end DateTime CODEC(ZSTD(1))`),
      ]),
  },
];
