// One conventions module owns every table name. Day-partitioned tables are listed for retention.

export const TABLES = {
  migrations: 'schema_migrations',
  spans: 'spans',
  traceIndex: 'trace_index',
  spanRed1m: 'span_red_1m',
  metricsGauge: 'metrics_gauge',
  metricsSum: 'metrics_sum',
  metricsHistogram: 'metrics_histogram',
  metricsExpHistogram: 'metrics_exp_histogram',
  metricsSummary: 'metrics_summary',
  httpServerRequests1m: 'http_server_requests_1m',
  logs: 'logs',
  logsTraceIndex: 'logs_trace_index',
  sloSli1m: 'slo_sli_1m',
  sloSli1h: 'slo_sli_1h',
  sloRollupCoverage: 'slo_rollup_coverage',
  sloDefinitions: 'slo_definitions',
  sloEvaluations: 'slo_evaluations',
  sloAlertState: 'slo_alert_state',
  sloNotifications: 'slo_notifications',
  sloCoverage: 'slo_coverage',
  sloOutbox: 'slo_outbox',
  sloDeliveryClaims: 'slo_delivery_claims',
  sloTransitions: 'slo_transitions',
} as const;

/**
 * Tables partitioned by toYYYYMMDD(...) whose old partitions the retention job drops.
 * Other modules append theirs here (metrics, logs, SLO history).
 */
export const DAY_PARTITIONED_TABLES: string[] = [TABLES.spans, TABLES.traceIndex, TABLES.spanRed1m, TABLES.sloSli1m, TABLES.sloSli1h, TABLES.sloEvaluations, TABLES.sloNotifications,
  TABLES.sloOutbox, TABLES.sloDeliveryClaims, TABLES.sloTransitions,
  TABLES.metricsGauge, TABLES.metricsSum, TABLES.metricsHistogram, TABLES.metricsExpHistogram, TABLES.metricsSummary, TABLES.httpServerRequests1m,
  TABLES.logs, TABLES.logsTraceIndex];
