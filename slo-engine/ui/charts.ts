// What each chart of the SLO page draws, as plain data for assets/charts.js (uPlot): series with
// their colors, thresholds as dashed lines, maintenance windows as shaded bands. Pure.
import type { MaintenanceWindow } from '../model.ts';
import { formatDuration } from '../math/duration.ts';
import type { SloDetail } from './data/slo-detail.ts';
import type { TierNow } from './data/slo-list.ts';

export type ChartUnit = 'percent' | 'burn' | 'ms' | 'perMinute';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Thresholds and objectives: dashed, no points. */
  dash?: boolean;
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: ChartUnit;
  /** The x range drawn (epoch seconds), whether or not there are points at its ends. */
  from: number;
  to: number;
  /** Bucket starts, epoch seconds. */
  times: number[];
  series: ChartSeries[];
  bands: { from: number; to: number; label: string }[];
  /** Say what a point is (e.g. "highest per 5m"). */
  note: string;
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#0891b2', '#db2777', '#65a30d', '#475569'];
const THRESHOLD = '#dc2626';
const OBJECTIVE = '#64748b';

/** Six significant digits: enough for a chart, a third of the bytes of a full double. */
const compact = (values: readonly (number | null)[]) => values.map((v) => (v === null || !Number.isFinite(v) ? null : Number(v.toPrecision(6))));
const constant = (times: readonly number[], value: number) => times.map(() => value);
const bandsOf = (maintenance: readonly MaintenanceWindow[]) => maintenance.map((m) => ({ from: m.start, to: m.end, label: m.reason || 'maintenance' }));
const per = (step: number) => formatDuration(step);

export function burndownChart(d: SloDetail): ChartSpec {
  const b = d.burndown;
  return {
    id: 'burndown',
    title: 'Error budget remaining over the period',
    unit: 'percent',
    from: b.from,
    to: b.to,
    times: b.times,
    series: [
      { label: 'budget remaining', values: compact(b.budgetRemaining), color: PALETTE[0]! },
      { label: 'exhausted', values: constant(b.times, 0), color: THRESHOLD, dash: true },
    ],
    bands: bandsOf(d.maintenance),
    note: `latest evaluation per ${per(b.step)}; the period started ${new Date(b.periodStart * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  };
}

export function sliChart(d: SloDetail, objectivePercent: string): ChartSpec {
  const w = d.windows;
  return {
    id: 'sli',
    title: 'SLI per window',
    unit: 'percent',
    from: d.range.from,
    to: d.range.to,
    times: w.times,
    series: [
      ...w.windows.map((x, i) => ({ label: formatDuration(x.seconds), values: compact(x.sli), color: PALETTE[i % PALETTE.length]! })),
      { label: `objective ${objectivePercent}%`, values: constant(w.times, Number(objectivePercent) / 100), color: OBJECTIVE, dash: true },
    ],
    bands: bandsOf(d.maintenance),
    note: `lowest per ${per(d.range.step)}`,
  };
}

/** One chart per tier: its long and short window against the factor both must exceed to fire. */
export function tierCharts(d: SloDetail, tiers: readonly TierNow[]): ChartSpec[] {
  const w = d.windows;
  const seriesOf = (windowText: string) => w.windows.find((x) => formatDuration(x.seconds) === windowText);
  return tiers.map((t, i) => {
    const [long, short] = t.windows.split('/') as [string, string];
    return {
      id: `burn-${i}`,
      title: `${t.severity} ${t.windows}: burn rate vs ${Number(t.factor.toFixed(4))}×`,
      unit: 'burn' as const,
      from: d.range.from,
      to: d.range.to,
      times: w.times,
      series: [
        { label: `${long} (long)`, values: compact(seriesOf(long)?.burnRate ?? w.times.map(() => null)), color: PALETTE[0]! },
        { label: `${short} (short)`, values: compact(seriesOf(short)?.burnRate ?? w.times.map(() => null)), color: PALETTE[2]! },
        { label: `threshold ${Number(t.factor.toFixed(4))}×`, values: constant(w.times, t.factor), color: THRESHOLD, dash: true },
      ],
      bands: bandsOf(d.maintenance),
      note: `highest per ${per(d.range.step)}`,
    };
  });
}

export function requestsChart(d: SloDetail): ChartSpec {
  return {
    id: 'requests',
    title: 'Requests and errors per minute',
    unit: 'perMinute',
    from: d.range.from,
    to: d.range.to,
    times: d.red.times,
    series: [
      { label: 'requests', values: compact(d.red.requestsPerMinute), color: PALETTE[0]! },
      { label: 'errors', values: compact(d.red.errorsPerMinute), color: THRESHOLD },
    ],
    bands: bandsOf(d.maintenance),
    note: `average per ${per(d.range.step)}, from span_red_1m`,
  };
}

export function latencyChart(d: SloDetail): ChartSpec {
  return {
    id: 'latency',
    title: 'Latency',
    unit: 'ms',
    from: d.range.from,
    to: d.range.to,
    times: d.red.times,
    series: [
      { label: 'p50', values: compact(d.red.p50), color: PALETTE[1]! },
      { label: 'p90', values: compact(d.red.p90), color: PALETTE[2]! },
      { label: 'p99', values: compact(d.red.p99), color: PALETTE[5]! },
    ],
    bands: bandsOf(d.maintenance),
    note: `per ${per(d.range.step)}, from span_red_1m`,
  };
}
