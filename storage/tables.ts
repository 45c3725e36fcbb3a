// One conventions module owns every table name. Day-partitioned tables are listed for retention.

export const TABLES = {
  migrations: 'schema_migrations',
  spans: 'spans',
  traceIndex: 'trace_index',
  spanRed1m: 'span_red_1m',
} as const;

/**
 * Tables partitioned by toYYYYMMDD(...) whose old partitions the retention job drops.
 * Other modules append theirs here (metrics, logs, SLO history).
 */
export const DAY_PARTITIONED_TABLES: string[] = [TABLES.spans, TABLES.traceIndex, TABLES.spanRed1m];
