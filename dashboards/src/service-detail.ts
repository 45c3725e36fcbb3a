import { UIDS, dashboardUrl, type ColumnLink, type DashboardSpec, type PanelSpec } from './grafana.ts';
import { KIND_NAME, RANGE_SECONDS, RED, SERVED, bucket } from './sql.ts';

const SERVICE = 'service_name = ${service:singlequote}';
const OPERATIONS_ROLLUP = '$__conditionalAll(span_name IN (${operation:singlequote}), $operation)';
const OPERATIONS_SPANS = '$__conditionalAll(name IN (${operation:singlequote}), $operation)';

const TRACE_LINK: ColumnLink = {
  column: 'Trace',
  title: 'Open trace',
  url: dashboardUrl(UIDS.trace, ['var-trace_id=${__value.raw}']),
};

const perOperation = (title: string, description: string, value: string, unit: string): PanelSpec => ({
  title,
  description,
  type: 'timeseries',
  width: 8,
  height: 8,
  unit,
  minInterval: '1m',
  displayName: '${__field.labels.span_name}',
  sql: `SELECT ${bucket('minute')}, span_name, ${value} AS value
FROM span_red_1m
WHERE $__timeFilter(minute) AND ${SERVICE} AND ${SERVED} AND ${OPERATIONS_ROLLUP}
GROUP BY time, span_name
ORDER BY time, span_name`,
});

/** Spans of the service in range, newest or slowest first, each linking to its trace. */
const spanList = (title: string, description: string, where: string, orderBy: string): PanelSpec => ({
  title,
  description,
  type: 'table',
  width: 12,
  height: 10,
  sql: `SELECT
  timestamp AS \`Time\`,
  trace_id AS \`Trace\`,
  name AS \`Operation\`,
  http_route AS \`Route\`,
  http_status_code AS \`HTTP status\`,
  status_message AS \`Message\`,
  duration_ns / 1000000 AS \`Duration\`
FROM spans
WHERE $__timeFilter(timestamp) AND ${SERVICE} AND ${OPERATIONS_SPANS}${where}
ORDER BY ${orderBy}
LIMIT 50`,
  columnUnits: { Duration: 'ms' },
  links: [TRACE_LINK],
});

export const serviceDetail: DashboardSpec = {
  uid: UIDS.serviceDetail,
  title: 'burnrate / Service detail',
  description: 'One service: RED metrics per operation, its recent errors and its slowest spans, each linked to the trace view.',
  variables: [
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      sql: 'SELECT DISTINCT service_name FROM span_red_1m WHERE $__timeFilter(minute) ORDER BY service_name',
    },
    {
      kind: 'query',
      name: 'operation',
      label: 'Operation',
      sql: 'SELECT DISTINCT span_name FROM span_red_1m WHERE $__timeFilter(minute) AND service_name = ${service:singlequote} ORDER BY span_name',
      multi: true,
      includeAll: true,
    },
  ],
  panels: [
    {
      title: 'Operations',
      description: 'Every span name of the service over the selected range, all span kinds (client calls show the latency of dependencies).',
      type: 'table',
      width: 24,
      height: 8,
      sql: `SELECT
  span_name AS \`Operation\`,
  ${KIND_NAME} AS \`Kind\`,
  ${RED.requests} AS \`Spans\`,
  ${RED.requests} / ${RANGE_SECONDS} AS \`Per second\`,
  ${RED.errors} AS \`Errors\`,
  ${RED.errorRatio} AS \`Error ratio\`,
  ${RED.quantileMs(1)} AS \`p50\`,
  ${RED.quantileMs(3)} AS \`p95\`,
  ${RED.quantileMs(4)} AS \`p99\`
FROM span_red_1m
WHERE $__timeFilter(minute) AND ${SERVICE} AND ${OPERATIONS_ROLLUP}
GROUP BY span_name, kind
ORDER BY \`Spans\` DESC, span_name`,
      columnUnits: { 'Per second': 'reqps', 'Error ratio': 'percentunit', p50: 'ms', p95: 'ms', p99: 'ms' },
    },
    perOperation('Request rate', 'Requests per second per operation (server and consumer spans).', `${RED.requests} / $__interval_s`, 'reqps'),
    perOperation('Error ratio', 'Fraction of requests per operation whose span status is ERROR.', RED.errorRatio, 'percentunit'),
    perOperation('Latency p95', '95th percentile of request duration per operation.', RED.quantileMs(3), 'ms'),
    spanList('Recent errors', 'The latest spans with status ERROR. Click the trace id to open the trace.', ' AND status_code = 2', 'timestamp DESC, start_time_ns DESC'),
    spanList('Slowest spans', 'The longest spans in the selected range. Click the trace id to open the trace.', '', 'duration_ns DESC'),
  ],
};
