import { UIDS, type DashboardSpec, type PanelSpec } from './grafana.ts';
import { OBJECTIVE_FRACTION, bucket, durationLabel } from './sql.ts';

const SLO = 'slo_id = ${slo:singlequote}';

/** This SLO's evaluations in range, with `time` renamed so the bucket may be called `time`. */
const evaluations = (columns: string) => `(
  SELECT time AS at, ${columns}
  FROM slo_evaluations
  WHERE $__timeFilter(time) AND ${SLO}
)`;

/** One number from the latest evaluation in range. */
const latest = (title: string, description: string, expression: string, unit: string): PanelSpec => ({
  title,
  description,
  type: 'stat',
  width: 5,
  height: 4,
  unit,
  options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'value' },
  sql: `SELECT argMax(${expression}, time) AS \`${title}\`
FROM slo_evaluations
WHERE $__timeFilter(time) AND ${SLO}`,
});

export const sloDetail: DashboardSpec = {
  uid: UIDS.sloDetail,
  title: 'burnrate / SLO detail',
  description: 'One SLO: its SLI over time, burn rate per window against each alert tier\'s threshold, the error budget over the period, the alert timeline and every notification sent.',
  time: { from: 'now-6h', to: 'now' },
  variables: [
    {
      kind: 'query',
      name: 'service',
      label: 'Service',
      sql: 'SELECT DISTINCT service FROM slo_evaluations WHERE $__timeFilter(time) ORDER BY service',
      multi: true,
      includeAll: true,
    },
    {
      kind: 'query',
      name: 'slo',
      label: 'SLO',
      sql: 'SELECT DISTINCT slo_id FROM slo_evaluations WHERE $__timeFilter(time) AND $__conditionalAll(service IN (${service:singlequote}), $service) ORDER BY slo_id',
    },
  ],
  panels: [
    latest('Objective', 'The SLO objective.', OBJECTIVE_FRACTION, 'percentunit'),
    latest('SLI', 'Good events / all events over the SLO period so far.', 'sli', 'percentunit'),
    latest('Budget remaining', 'Fraction of the period\'s error budget left (below 0: overspent).', 'budget_remaining', 'percentunit'),
    latest('Budget exhausted in', 'At the current burn rate, when the budget runs out (empty: not burning).', 'time_to_exhaustion_seconds', 's'),
    {
      title: 'Alert',
      description: 'Alerts firing now (page, ticket, no-data).',
      type: 'stat',
      width: 4,
      height: 4,
      options: { reduceOptions: { calcs: ['lastNotNull'], fields: '/.*/', values: false }, colorMode: 'background', graphMode: 'none', textMode: 'value' },
      mappings: [
        { type: 'value', options: { ok: { text: 'ok', color: 'green', index: 0 } } },
        { type: 'regex', options: { pattern: '.+', result: { color: 'red', index: 1 } } },
      ],
      sql: `SELECT if(countIf(status = 'firing') = 0, 'ok', arrayStringConcat(arraySort(groupArrayIf(kind, status = 'firing')), ', ')) AS \`Alert\`
FROM slo_alert_state FINAL
WHERE ${SLO}`,
    },
    {
      title: 'Alert tiers',
      description: 'Each tier of the latest evaluation: its windows, the burn-rate threshold both windows must exceed, the burn rates now and its state (burning, ok, no-data, low-traffic).',
      type: 'table',
      width: 24,
      height: 6,
      sql: `SELECT
  severity AS \`Severity\`,
  concat(${durationLabel('long_s')}, ' / ', ${durationLabel('short_s')}) AS \`Windows\`,
  factor AS \`Threshold\`,
  window_burn_rate[indexOf(window_seconds, long_s)] AS \`Burn rate (long)\`,
  window_burn_rate[indexOf(window_seconds, short_s)] AS \`Burn rate (short)\`,
  reason AS \`State\`
FROM (
  SELECT *
  FROM slo_evaluations
  WHERE $__timeFilter(time) AND ${SLO}
  ORDER BY time DESC
  LIMIT 1
)
ARRAY JOIN tier_severity AS severity, tier_long_seconds AS long_s, tier_short_seconds AS short_s, tier_factor AS factor, tier_condition AS reason`,
    },
    {
      title: 'SLI over time',
      description: 'Good / total events per interval, from the per-minute counts of the SLO\'s current definition, against the objective.',
      type: 'timeseries',
      width: 12,
      height: 9,
      unit: 'percentunit',
      minInterval: '1m',
      sql: `SELECT
  ${bucket('minute')},
  if(sum(total) = 0, NULL, sum(good) / sum(total)) AS \`SLI\`,
  (SELECT argMax(${OBJECTIVE_FRACTION}, time) FROM slo_evaluations WHERE ${SLO}) AS \`Objective\`
FROM slo_sli_1m FINAL
WHERE $__timeFilter(minute) AND ${SLO}
  AND sli_hash = (SELECT argMax(sli_hash, updated) FROM slo_definitions FINAL WHERE ${SLO})
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Burn rate per window',
      description: 'How fast the budget burns in each window (1 = exactly on budget), with each tier\'s threshold.',
      type: 'timeseries',
      width: 12,
      height: 9,
      displayName: '${__field.labels.series}',
      sql: `SELECT time, series, value FROM (
  SELECT ${bucket('at')}, concat('burn ', ${durationLabel('w')}) AS series, max(burn) AS value
  FROM ${evaluations('window_seconds, window_burn_rate')}
  ARRAY JOIN window_seconds AS w, window_burn_rate AS burn
  GROUP BY time, series
  UNION ALL
  SELECT ${bucket('at')}, concat('threshold ', severity, ' ', ${durationLabel('long_s')}, '/', ${durationLabel('short_s')}) AS series, max(factor) AS value
  FROM ${evaluations('tier_severity, tier_long_seconds, tier_short_seconds, tier_factor')}
  ARRAY JOIN tier_severity AS severity, tier_long_seconds AS long_s, tier_short_seconds AS short_s, tier_factor AS factor
  GROUP BY time, series
)
ORDER BY time, series`,
    },
    {
      title: 'Error budget remaining',
      description: 'The budget burn-down over the SLO period: fraction of the error budget left at each evaluation.',
      type: 'timeseries',
      width: 12,
      height: 8,
      unit: 'percentunit',
      sql: `SELECT ${bucket('at')}, argMax(budget_remaining, at) AS \`Budget remaining\`
FROM ${evaluations('budget_remaining')}
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Alert timeline',
      description: 'When each alert kind was firing (1) or not (0).',
      type: 'state-timeline',
      width: 12,
      height: 8,
      displayName: '${__field.labels.kind}',
      options: { mergeValues: true, showValue: 'never', alignValue: 'left' },
      thresholds: [[null, 'green'], [1, 'red']],
      mappings: [{ type: 'value', options: { '0': { text: 'ok', color: 'green', index: 0 }, '1': { text: 'firing', color: 'red', index: 1 } } }],
      sql: `SELECT ${bucket('at')}, kind, max(status = 'firing') AS value
FROM ${evaluations('alert_kind, alert_status')}
ARRAY JOIN alert_kind AS kind, alert_status AS status
GROUP BY time, kind
ORDER BY time, kind`,
    },
    {
      title: 'Notifications',
      description: 'Every notification attempt for this SLO: channel, outcome and error.',
      type: 'table',
      width: 24,
      height: 8,
      sql: `SELECT
  time AS \`Time\`,
  kind AS \`Alert\`,
  event AS \`Event\`,
  channel AS \`Channel\`,
  outcome AS \`Outcome\`,
  http_status AS \`HTTP status\`,
  attempts AS \`Attempts\`,
  error AS \`Error\`,
  replica AS \`Replica\`
FROM slo_notifications
WHERE $__timeFilter(time) AND ${SLO}
ORDER BY time DESC
LIMIT 200`,
    },
  ],
};
