import { UIDS, dashboardUrl, type DashboardSpec, type PanelSpec } from './grafana.ts';
import { RANGE_SECONDS, RED, SERVED, bucket } from './sql.ts';

const SERVICES = '$__conditionalAll(service_name IN (${service:singlequote}), $service)';

const perService = (title: string, description: string, value: string, unit: string): PanelSpec => ({
  title,
  description,
  type: 'timeseries',
  width: 12,
  height: 8,
  unit,
  minInterval: '1m',
  displayName: '${__field.labels.service_name}',
  sql: `SELECT ${bucket('minute')}, service_name, ${value} AS value
FROM span_red_1m
WHERE $__timeFilter(minute) AND ${SERVED} AND ${SERVICES}
GROUP BY time, service_name
ORDER BY time, service_name`,
});

export const servicesOverview: DashboardSpec = {
  uid: UIDS.servicesOverview,
  title: 'burnrate / Services overview',
  description: 'Request rate, error ratio and latency percentiles of every service, from the per-minute span rollup (server and consumer spans).',
  variables: [
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      sql: 'SELECT DISTINCT service_name FROM span_red_1m WHERE $__timeFilter(minute) ORDER BY service_name',
      multi: true,
      includeAll: true,
    },
  ],
  panels: [
    {
      title: 'Services',
      description: 'Totals over the selected range. Click a service for its operations, errors and slowest spans.',
      type: 'table',
      width: 24,
      height: 8,
      sql: `SELECT
  service_name AS \`Service\`,
  ${RED.requests} AS \`Requests\`,
  ${RED.requests} / ${RANGE_SECONDS} AS \`Req/s\`,
  ${RED.errors} AS \`Errors\`,
  ${RED.errorRatio} AS \`Error ratio\`,
  ${RED.quantileMs(1)} AS \`p50\`,
  ${RED.quantileMs(3)} AS \`p95\`,
  ${RED.quantileMs(4)} AS \`p99\`
FROM span_red_1m
WHERE $__timeFilter(minute) AND ${SERVED} AND ${SERVICES}
GROUP BY service_name
ORDER BY \`Requests\` DESC, service_name`,
      columnUnits: { 'Req/s': 'reqps', 'Error ratio': 'percentunit', p50: 'ms', p95: 'ms', p99: 'ms' },
      links: [
        {
          column: 'Service',
          title: 'Service detail',
          url: dashboardUrl(UIDS.serviceDetail, ['var-service=${__value.raw}', '${__url_time_range}']),
        },
      ],
    },
    perService('Request rate', 'Requests per second served by each service.', `${RED.requests} / $__interval_s`, 'reqps'),
    perService('Error ratio', 'Fraction of requests whose span status is ERROR.', RED.errorRatio, 'percentunit'),
    perService('Latency p95', '95th percentile of request duration.', RED.quantileMs(3), 'ms'),
    perService('Latency p99', '99th percentile of request duration.', RED.quantileMs(4), 'ms'),
  ],
};
