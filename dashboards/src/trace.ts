import { UIDS, type DashboardSpec } from './grafana.ts';
import { KIND_NAME, STATUS_NAME, TRACE_ID, traceWindow } from './sql.ts';

/** OTLP SeverityNumber ranges (1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error, 21-24 fatal) as Grafana log levels. */
const SEVERITY_LEVEL =
  "multiIf(severity_number = 0, 'unknown', severity_number <= 4, 'trace', severity_number <= 8, 'debug', severity_number <= 12, 'info', severity_number <= 16, 'warn', severity_number <= 20, 'error', 'critical')";

const SPANS_OF_TRACE = `FROM spans
WHERE trace_id = ${TRACE_ID}
  AND ${traceWindow('timestamp')}`;

export const trace: DashboardSpec = {
  uid: UIDS.trace,
  title: 'burnrate / Trace',
  description: 'All spans of one trace id and its logs, found through trace_index and logs_trace_index whatever the time picker says.',
  // The trace's own time window comes from trace_index; a wide default keeps the picker out of the way.
  time: { from: 'now-7d', to: 'now' },
  variables: [
    {
      kind: 'textbox',
      name: 'trace_id',
      label: 'Trace ID',
      description: '32 hex digits; the service dashboards link here with the id filled in.',
    },
  ],
  panels: [
    {
      title: 'Summary',
      description: 'Start, duration, span count, services and errors of the trace.',
      type: 'table',
      width: 24,
      height: 4,
      sql: `SELECT
  min(timestamp) AS \`Start\`,
  (max(end_time_ns) - min(start_time_ns)) / 1000000 AS \`Duration\`,
  count() AS \`Spans\`,
  uniqExact(service_name) AS \`Services\`,
  countIf(status_code = 2) AS \`Errors\`,
  arrayStringConcat(arraySort(groupUniqArray(service_name)), ', ') AS \`Service names\`
${SPANS_OF_TRACE}
HAVING count() > 0`,
      columnUnits: { Duration: 'ms' },
    },
    {
      title: 'Waterfall',
      description: 'The trace as a timeline (Grafana trace view), with span and resource attributes.',
      type: 'traces',
      modernOnly:
        "Grafana's trace view reads attributes as arrays of {key, value} maps, the shape the plugin's own trace queries build; map() needs ClickHouse 21.1+, and the plugin itself cannot connect to servers older than 22.11.",
      width: 24,
      height: 14,
      sql: `SELECT
  trace_id AS traceID,
  span_id AS spanID,
  parent_span_id AS parentSpanID,
  service_name AS serviceName,
  name AS operationName,
  start_time_ns / 1000000 AS startTime,
  duration_ns / 1000000 AS duration,
  ${KIND_NAME} AS kind,
  status_code AS statusCode,
  status_message AS statusMessage,
  arrayMap((k, v) -> map('key', k, 'value', v), attributes.key, attributes.value) AS tags,
  arrayMap((k, v) -> map('key', k, 'value', v), resource_attributes.key, resource_attributes.value) AS serviceTags
${SPANS_OF_TRACE}
ORDER BY start_time_ns`,
    },
    {
      title: 'Spans',
      description: 'Every span in start order, with its offset from the start of the trace.',
      type: 'table',
      width: 24,
      height: 12,
      // The trace's start as a WITH scalar, not a subquery inside the expression: ClickHouse 18.16
      // cannot read the latter through a Distributed table (cluster mode).
      sql: `WITH (SELECT min(start_time_ns) ${SPANS_OF_TRACE}) AS trace_start
SELECT
  (start_time_ns - trace_start) / 1000000 AS \`Offset\`,
  duration_ns / 1000000 AS \`Duration\`,
  service_name AS \`Service\`,
  name AS \`Operation\`,
  ${KIND_NAME} AS \`Kind\`,
  ${STATUS_NAME} AS \`Status\`,
  status_message AS \`Message\`,
  http_route AS \`Route\`,
  http_status_code AS \`HTTP status\`,
  span_id AS \`Span\`,
  parent_span_id AS \`Parent\`
${SPANS_OF_TRACE}
ORDER BY start_time_ns, span_id`,
      columnUnits: { Offset: 'ms', Duration: 'ms' },
    },
    {
      title: 'Logs',
      description: 'Log records carrying this trace id, in time order (found through logs_trace_index).',
      type: 'logs',
      width: 24,
      height: 10,
      options: { showTime: true, wrapLogMessage: true, sortOrder: 'Ascending', enableLogDetails: true },
      sql: `SELECT
  timestamp,
  body,
  if(severity_text != '', lower(severity_text), ${SEVERITY_LEVEL}) AS level,
  service_name,
  span_id,
  trace_id
FROM logs
WHERE trace_id = ${TRACE_ID}
  AND service_name IN (SELECT service_name FROM logs_trace_index WHERE trace_id = ${TRACE_ID})
  AND timestamp >= (SELECT min(start) FROM logs_trace_index WHERE trace_id = ${TRACE_ID})
  AND timestamp <= (SELECT max(end) FROM logs_trace_index WHERE trace_id = ${TRACE_ID})
ORDER BY time_ns, observed_time_ns`,
    },
  ],
};
