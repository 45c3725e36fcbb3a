import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';
import { table, view } from '../cluster/ddl.ts';

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
];
