// Everything the SLO page shows, read in parallel: the list row (current numbers and status), the
// burndown over the period, the per-window series and the service's RED over the chosen range,
// the alert timeline with notifications, and the maintenance windows in view.
import type { Clickhouse } from '../../../storage/client.ts';
import { SPAN_KINDS, tenantOf, type MaintenanceWindow, type Slo } from '../../model.ts';
import { evaluationPlan } from '../../math/windows.ts';
import { stepFor, type TimeRange } from '../time-range.ts';
import { listSlos, type ListOptions, type SloRow } from './slo-list.ts';
import { budgetSeries, firstEvaluation, windowSeries, type BudgetSeries, type WindowSeries } from './slo-series.ts';
import { SERVED_KINDS, serviceRedSeries, type RedSeries } from './service-red.ts';
import { alertTimeline, type AlertTimeline } from './alert-timeline.ts';

export interface SloDetail {
  row: SloRow;
  range: TimeRange;
  /** The burndown covers the current period, from its start or the first evaluation in it. */
  burndown: BudgetSeries & { from: number; to: number; step: number; periodStart: number };
  windows: WindowSeries;
  red: RedSeries & { kinds: number[] };
  timeline: AlertTimeline;
  /** Maintenance windows overlapping the range or the burndown. */
  maintenance: MaintenanceWindow[];
}

/** The spans the SLO is about: its span kind when it has one, else the requests a service serves. */
function redKinds(slo: Slo): number[] {
  const sli = slo.sli;
  if ((sli.kind === 'availability' || sli.kind === 'latency') && sli.spanKind !== null) return [SPAN_KINDS[sli.spanKind]];
  if (sli.kind === 'availability' || sli.kind === 'latency') return [0, 1, 2, 3, 4, 5];
  return SERVED_KINDS;
}

export async function sloDetail(ch: Clickhouse, slo: Slo, range: TimeRange, options: Omit<ListOptions, 'recentSince'>): Promise<SloDetail> {
  const { now } = options;
  // The period as the engine's evaluation at `now` sees it (its window end, not now itself).
  const periodStart = evaluationPlan(slo, now).periodStart;
  const [[row], first] = await Promise.all([listSlos(ch, [slo], { ...options, recentSince: range.from }), firstEvaluation(ch, slo.id, periodStart)]);
  // A history shorter than the period would be a sliver at the right edge: start at its first evaluation.
  const burnFrom = first ?? periodStart;
  // Ranges end before `to`; one that ends now still shows an evaluation stamped this very second.
  const throughNow = (to: number) => (to === now ? now + 1 : to);
  const burnTo = Math.max(now, burnFrom + 60);
  const burnStep = stepFor(burnTo - burnFrom);
  const kinds = redKinds(slo);
  const tenant = tenantOf(slo);
  const [burndown, windows, red, timeline] = await Promise.all([
    budgetSeries(ch, slo.id, { from: burnFrom, to: throughNow(burnTo), step: burnStep }),
    windowSeries(ch, slo.id, { ...range, to: throughNow(range.to) }),
    serviceRedSeries(ch, slo.service, { from: range.from, to: range.to, step: range.step, kinds, ...(tenant ? { tenant } : {}) }),
    alertTimeline(ch, slo.id, range),
  ]);
  const lo = Math.min(burnFrom, range.from);
  const hi = Math.max(burnTo, range.to);
  return {
    row: row!,
    range,
    burndown: { ...burndown, from: burnFrom, to: burnTo, step: burnStep, periodStart },
    windows,
    red: { ...red, kinds },
    timeline,
    maintenance: slo.maintenance.filter((m) => m.end > lo && m.start < hi),
  };
}
