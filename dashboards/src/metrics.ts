import { UIDS, type DashboardSpec, type PanelSpec } from './grafana.ts';
import { bucket } from './sql.ts';

// Reading rules from storage/migrations/metrics.ts: skip staleness markers (flags bit 0), take the
// number from value_int or value_double by value_type, and never add up CUMULATIVE points.
const TABLES = ['metrics_gauge', 'metrics_sum', 'metrics_histogram', 'metrics_exp_histogram', 'metrics_summary'];
const THIS_METRIC = 'service_name = ${service:singlequote} AND metric_name = ${metric:singlequote} AND bitAnd(flags, 1) = 0';
const NUMBER = 'if(value_type = 2, toFloat64(value_int), value_double)';
const DELTA = 'aggregation_temporality = 1';

/** A point's attributes as one label ("route=/checkout, method=GET"), the metric name when it has none. */
const SERIES = `if(empty(attributes.key), metric_name, arrayStringConcat(arrayMap((k, v) -> concat(k, '=', v), attributes.key, attributes.value), ', '))`;

const union = (select: (table: string) => string) => TABLES.map(select).join('\n  UNION ALL\n  ');

const metricPanel = (title: string, description: string, table: string, value: string, label = SERIES): PanelSpec => ({
  title,
  description,
  type: 'timeseries',
  width: 12,
  height: 9,
  displayName: '${__field.labels.series}',
  sql: `SELECT ${bucket('timestamp')}, ${label} AS series, ${value} AS value
FROM ${table}
WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
GROUP BY time, series
ORDER BY time, series`,
});

export const metrics: DashboardSpec = {
  uid: UIDS.metrics,
  title: 'burnrate / Metrics',
  description: 'Browse one OTLP metric of one service over time, one series per attribute set.',
  variables: [
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      sql: `SELECT DISTINCT service_name FROM (
  ${union((t) => `SELECT service_name FROM ${t} WHERE $__timeFilter(timestamp)`)}
) ORDER BY service_name`,
    },
    {
      kind: 'query',
      name: 'metric',
      label: 'Metric',
      sql: `SELECT DISTINCT metric_name FROM (
  ${union((t) => `SELECT metric_name FROM ${t} WHERE $__timeFilter(timestamp) AND service_name = \${service:singlequote}`)}
) ORDER BY metric_name`,
    },
  ],
  panels: [
    metricPanel('Gauge', 'Gauge points: the mean value per interval.', 'metrics_gauge', `avg(${NUMBER})`),
    metricPanel(
      'Sum',
      'Sum points: DELTA sums as a rate per second, CUMULATIVE sums as their latest running total.',
      'metrics_sum',
      `if(any(${DELTA}), sum(${NUMBER}) / $__interval_s, argMax(${NUMBER}, time_ns))`,
      `concat(${SERIES}, if(${DELTA}, ' (per second)', ' (total)'))`,
    ),
    metricPanel(
      'Histogram mean',
      'Histogram points: the mean observed value (sum / count) per interval; for CUMULATIVE histograms since the series started.',
      'metrics_histogram',
      `if(any(${DELTA}), sum(sum) / greatest(sum(count), 1), argMax(sum, time_ns) / greatest(argMax(count, time_ns), 1))`,
    ),
    metricPanel(
      'Histogram count',
      'Histogram points: observations per second for DELTA histograms, the running count for CUMULATIVE ones.',
      'metrics_histogram',
      `if(any(${DELTA}), sum(count) / $__interval_s, toFloat64(argMax(count, time_ns)))`,
      `concat(${SERIES}, if(${DELTA}, ' (per second)', ' (total)'))`,
    ),
    {
      title: 'Latest points',
      description: 'The newest data points of the metric, whatever its type, with their attributes.',
      type: 'table',
      width: 24,
      height: 9,
      sql: `SELECT at AS \`Time\`, kind AS \`Type\`, series AS \`Attributes\`, shown AS \`Value\`, unit AS \`Unit\`
FROM (
  SELECT timestamp AS at, time_ns AS ns, 'gauge' AS kind, ${SERIES} AS series, toString(${NUMBER}) AS shown, metric_unit AS unit
  FROM metrics_gauge WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
  UNION ALL
  SELECT timestamp, time_ns, if(${DELTA}, 'sum (delta)', 'sum (cumulative)'), ${SERIES}, toString(${NUMBER}), metric_unit
  FROM metrics_sum WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
  UNION ALL
  SELECT timestamp, time_ns, if(${DELTA}, 'histogram (delta)', 'histogram (cumulative)'), ${SERIES}, concat('count ', toString(count), ', sum ', toString(sum)), metric_unit
  FROM metrics_histogram WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
  UNION ALL
  SELECT timestamp, time_ns, 'exponential histogram', ${SERIES}, concat('count ', toString(count), ', sum ', toString(sum)), metric_unit
  FROM metrics_exp_histogram WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
  UNION ALL
  SELECT timestamp, time_ns, 'summary', ${SERIES}, concat('count ', toString(count), ', sum ', toString(sum)), metric_unit
  FROM metrics_summary WHERE $__timeFilter(timestamp) AND ${THIS_METRIC}
)
ORDER BY ns DESC
LIMIT 100`,
    },
  ],
};
