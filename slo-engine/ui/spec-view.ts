// An SLO as the YAML a person would write, for its page: durations as "5m", thresholds and factors
// as decimals, times as ISO. Built from the loaded model, so it shows what the engine runs
// (defaults filled in, tier factors resolved for the period). Pure.
import { basename } from 'node:path';
import { stringify } from 'yaml';
import type { Slo } from '../model.ts';
import { formatDuration } from '../math/duration.ts';
import { toDecimalString, type Rational } from '../math/rational.ts';
import { resolveTiers, periodRange } from '../math/windows.ts';
import { isoSeconds } from './time-range.ts';

const isRational = (v: unknown): v is Rational => typeof v === 'object' && v !== null && typeof (v as Rational).n === 'bigint' && typeof (v as Rational).d === 'bigint';

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (isRational(value)) return toDecimalString(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

function sliView(slo: Slo): unknown {
  const sli = slo.sli;
  if (sli.kind === 'latency') {
    const { thresholdNs, ...rest } = sli;
    const ms = Number(thresholdNs) / 1e6;
    return { ...rest, threshold: ms >= 1 ? `${ms}ms` : `${Number(thresholdNs) / 1e3}us` };
  }
  return plain(sli);
}

export function specYaml(slo: Slo, now: number): string {
  const { length } = periodRange(slo.period, now);
  const view = {
    id: slo.id,
    service: slo.service,
    name: slo.name,
    ...(slo.description ? { description: slo.description } : {}),
    ...(Object.keys(slo.labels).length ? { labels: slo.labels } : {}),
    objective: slo.objective,
    period: slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : { calendar: slo.period.unit, timeZone: slo.period.timeZone },
    sli: sliView(slo),
    alerting: {
      tiers: resolveTiers(slo.tiers, length).map((t) => ({ severity: t.severity, long: formatDuration(t.long), short: formatDuration(t.short), factor: toDecimalString(t.factor, 4) })),
      minEvents: slo.minEvents,
      ingestDelay: formatDuration(slo.ingestDelay),
      noData: { ...slo.noData, after: formatDuration(slo.noData.after) },
      ...(Object.keys(slo.notify).length ? { notify: plain(slo.notify) } : {}),
    },
    ...(slo.maintenance.length ? { maintenance: slo.maintenance.map((m) => ({ start: isoSeconds(m.start), end: isoSeconds(m.end), reason: m.reason })) } : {}),
  };
  // The file's name only: its path on the engine's machine is none of a viewer's business.
  return `# ${basename(slo.source.file)} (${slo.source.format})\n${stringify(view, { lineWidth: 0 })}`;
}
