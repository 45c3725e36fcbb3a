// Validated YAML document → the engine's model (durations in seconds, decimals as rationals).
import type { Slo, SliSpec, SpanKindName, TargetSpec, TierSpec } from '../model.ts';
import { parseDuration } from '../math/duration.ts';
import { parseDecimal, rational, div, sub } from '../math/rational.ts';
import { DEFAULT_TIERS } from '../math/windows.ts';
import { parseDelay, parseLatencyNs, type SloDocument, type TargetDocument } from './schema.ts';
import { DEFAULT_ENV, DEFAULT_WEBHOOK_SECRET_ENV } from './notify-env.ts';

const seconds = (d: string) => parseDuration(d)!;
const HUNDRED = rational(100);

function target(t: TargetDocument): TargetSpec {
  const spec = typeof t === 'string' ? { type: t } : t;
  return {
    type: spec.type,
    env: spec.env ?? DEFAULT_ENV[spec.type],
    ...(spec.type === 'webhook' ? { secretEnv: spec.secretEnv ?? DEFAULT_WEBHOOK_SECRET_ENV } : {}),
  };
}

function sli(doc: SloDocument): SliSpec {
  const s = doc.sli;
  switch (s.kind) {
    case 'availability':
    case 'latency': {
      const selector = {
        spanKind: s.spanKind === 'any' ? null : (s.spanKind as SpanKindName),
        spanNames: s.spanNames,
        routes: s.routes,
        attributes: s.attributes,
        resourceAttributes: s.resourceAttributes,
      };
      return s.kind === 'availability'
        ? { kind: 'availability', ...selector, bad: s.bad }
        : { kind: 'latency', ...selector, thresholdNs: parseLatencyNs(s.threshold)! };
    }
    case 'metric-ratio':
      return { kind: 'metric-ratio', service: doc.service, ...(s.good ? { good: s.good } : {}), ...(s.bad ? { bad: s.bad } : {}), total: s.total };
    case 'metric-latency':
      return { kind: 'metric-latency', service: doc.service, metric: s.metric, attributes: s.attributes, threshold: parseDecimal(s.threshold)! };
    case 'custom':
      return { kind: 'custom', table: s.table, good: s.good, total: s.total, where: s.where };
  }
}

export function toModel(doc: SloDocument, file: string, format: Slo['source']['format'] = 'burnrate'): Slo {
  const objective = parseDecimal(doc.objective)!;
  const tiers: TierSpec[] = doc.alerting.tiers
    ? doc.alerting.tiers.map((t) => ({
        severity: t.severity,
        long: seconds(t.long),
        short: seconds(t.short),
        ...(t.budgetConsumed !== undefined ? { budgetFraction: div(parseDecimal(t.budgetConsumed)!, HUNDRED) } : { factor: parseDecimal(t.factor!)! }),
      }))
    : [...DEFAULT_TIERS];
  const notify: Slo['notify'] = {};
  if (doc.alerting.notify?.page) notify.page = doc.alerting.notify.page.map(target);
  if (doc.alerting.notify?.ticket) notify.ticket = doc.alerting.notify.ticket.map(target);
  return {
    id: doc.id,
    service: doc.service,
    ...(doc.tenant !== undefined ? { tenant: doc.tenant } : {}),
    name: doc.name ?? doc.id,
    description: doc.description,
    labels: doc.labels,
    objective: doc.objective,
    budget: div(sub(HUNDRED, objective), HUNDRED),
    period: typeof doc.period === 'string' ? { type: 'rolling', seconds: seconds(doc.period) } : { type: 'calendar', unit: doc.period.calendar, timeZone: doc.period.timeZone },
    sli: sli(doc),
    tiers,
    minEvents: doc.alerting.minEvents,
    ingestDelay: parseDelay(doc.alerting.ingestDelay)!,
    noData: { alert: doc.alerting.noData.alert, after: seconds(doc.alerting.noData.after), severity: doc.alerting.noData.severity },
    repeatInterval: doc.alerting.repeatInterval.trim() === 'off' ? 0 : seconds(doc.alerting.repeatInterval),
    inhibitTicketAfterPage: doc.alerting.inhibitTicketAfterPage,
    notify,
    maintenance: doc.maintenance.map((m) => ({ start: Math.floor(Date.parse(m.start) / 1000), end: Math.ceil(Date.parse(m.end) / 1000), reason: m.reason })),
    source: { file, format },
  };
}
