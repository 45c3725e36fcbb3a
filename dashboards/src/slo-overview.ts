import { UIDS, dashboardUrl, type DashboardSpec } from './grafana.ts';
import { OBJECTIVE_FRACTION, bucket, durationLabel, numberText } from './sql.ts';

const SERVICES = '$__conditionalAll(service IN (${service:singlequote}), $service)';

/** Time series of one slo_evaluations column: each SLO's latest value per time bucket. */
function latestPerSlo(column: string): string {
  return `SELECT ${bucket('at')}, slo_id, argMax(${column}, at) AS value
FROM (
  SELECT time AS at, slo_id, ${column}
  FROM slo_evaluations
  WHERE $__timeFilter(time) AND ${SERVICES}
)
GROUP BY time, slo_id
ORDER BY time, slo_id`;
}

// Every joined subquery has an alias: ClickHouse requires it since 20.3 (joined_subquery_requires_alias).
// Aliases never reuse a column name: ClickHouse substitutes aliases everywhere in a query, and an
// alias named like the column it aggregates makes a cyclic (or nested-aggregate) expression.
export const sloOverview: DashboardSpec = {
  uid: UIDS.sloOverview,
  title: 'burnrate / SLO overview',
  description: 'Every SLO as of its latest evaluation in the selected range, the least budget left first.',
  variables: [
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      sql: 'SELECT DISTINCT service FROM slo_evaluations WHERE $__timeFilter(time) ORDER BY service',
      multi: true,
      includeAll: true,
    },
  ],
  panels: [
    {
      title: 'SLOs',
      description: 'Objective, SLI and error budget over the SLO period, burn rate per window, and the alerts firing now. Click an SLO for its detail.',
      type: 'table',
      width: 24,
      height: 10,
      sql: `SELECT
  slo_id AS \`SLO\`,
  svc AS \`Service\`,
  title AS \`Name\`,
  objective_now AS \`Objective\`,
  sli_now AS \`SLI\`,
  budget_now AS \`Budget remaining\`,
  exhaustion_now AS \`Budget exhausted in\`,
  burns_now AS \`Burn rates\`,
  if(firing = '', 'ok', firing) AS \`Alert\`
FROM (
  SELECT
    slo_id,
    argMax(service, time) AS svc,
    argMax(slo_name, time) AS title,
    argMax(${OBJECTIVE_FRACTION}, time) AS objective_now,
    argMax(sli, time) AS sli_now,
    argMax(budget_remaining, time) AS budget_now,
    argMax(time_to_exhaustion_seconds, time) AS exhaustion_now,
    argMax(arrayStringConcat(arrayMap((w, b) -> concat(${durationLabel('w')}, ' ', ${numberText('b', 'x')}), window_seconds, window_burn_rate), '  '), time) AS burns_now
  FROM slo_evaluations
  WHERE $__timeFilter(time) AND ${SERVICES}
  GROUP BY slo_id
) AS latest
ANY LEFT JOIN (
  SELECT slo_id, arrayStringConcat(arraySort(groupArray(kind)), ', ') AS firing
  FROM slo_alert_state FINAL
  WHERE status = 'firing'
  GROUP BY slo_id
) AS alerts USING slo_id
ORDER BY budget_now, slo_id`,
      columnUnits: { Objective: 'percentunit', SLI: 'percentunit', 'Budget remaining': 'percentunit', 'Budget exhausted in': 's' },
      links: [
        {
          column: 'SLO',
          title: 'SLO detail',
          url: dashboardUrl(UIDS.sloDetail, ['var-slo=${__value.raw}', '${__url_time_range}']),
        },
      ],
    },
    {
      title: 'Error budget remaining',
      description: 'Fraction of each SLO\'s error budget left in its period (below 0: overspent).',
      type: 'timeseries',
      width: 12,
      height: 8,
      unit: 'percentunit',
      displayName: '${__field.labels.slo_id}',
      sql: latestPerSlo('budget_remaining'),
    },
    {
      title: 'SLI',
      description: 'Each SLO\'s SLI over its period so far, as evaluated.',
      type: 'timeseries',
      width: 12,
      height: 8,
      unit: 'percentunit',
      displayName: '${__field.labels.slo_id}',
      sql: latestPerSlo('sli'),
    },
  ],
};
