import type { Migration } from './types.ts';
import { TABLES } from '../tables.ts';
import { ATTRIBUTES_NESTED } from './traces.ts';
import { table, view } from '../cluster/ddl.ts';

// Logs: one row per log record, day partitions, sorted by (tenant, service_name, timestamp) for
// "one service over a time range". `timestamp` is time_unix_nano in seconds, or observed_time_unix_nano
// when the record has no time; time_ns / observed_time_ns are as sent.
//
// body: a string body as is; other bodies in the attribute value text form (int/double decimal,
// bool true/false, bytes base64, array/kvlist as OTLP/JSON AnyValue text); body_type names the kind
// ('empty' when there is no body).
//
// "Logs of one trace": logs_trace_index maps (tenant, trace_id) to the services and time span holding
// its records, so the logs query stays on the primary key:
//   SELECT service_name, min(start) AS s, max(end) AS e FROM logs_trace_index
//     WHERE trace_id = X AND tenant = T GROUP BY service_name
//   then per service: SELECT ... FROM logs WHERE tenant = T AND service_name = S
//     AND timestamp BETWEEN s AND e AND trace_id = X ORDER BY time_ns
//
// In a cluster, logs are sharded by trace id like spans (a trace's logs and its lookup rows on one
// shard); records without a trace id spread by service and time.
const LOGS_SHARDING_KEY = "if(trace_id = '', cityHash64(service_name, time_ns, observed_time_ns), cityHash64(trace_id))";

export const logsMigrations: Migration[] = [
  {
    version: 301,
    name: 'logs table',
    up: () => [
      table({
        name: TABLES.logs,
        columns: `
        tenant String,
        timestamp DateTime,
        time_ns UInt64,
        observed_time_ns UInt64,
        trace_id String,
        span_id String,
        flags UInt32,
        severity_number UInt8,
        severity_text String,
        body String,
        body_type String,
        event_name String,
        service_name String,
        service_namespace String,
        deployment_environment String,
        attributes ${ATTRIBUTES_NESTED},
        dropped_attributes_count UInt32,
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
        shardingKey: LOGS_SHARDING_KEY,
      }),
    ],
  },
  {
    version: 302,
    name: 'trace id lookup for logs',
    up: () => [
      table({
        name: TABLES.logsTraceIndex,
        columns: `
        tenant String,
        trace_id String,
        service_name String,
        start DateTime,
        end DateTime
      `,
        engine: 'MergeTree',
        partitionBy: 'toYYYYMMDD(start)',
        orderBy: '(trace_id, tenant, service_name)',
        shardingKey: 'cityHash64(trace_id)',
      }),
      view({
        name: `${TABLES.logsTraceIndex}_mv`,
        to: TABLES.logsTraceIndex,
        from: TABLES.logs,
        select: (logs) => `SELECT tenant, trace_id, service_name, min(timestamp) AS start, max(timestamp) AS end
        FROM ${logs}
        WHERE trace_id != ''
        GROUP BY tenant, trace_id, service_name`,
      }),
    ],
  },
];
