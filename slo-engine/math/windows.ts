// Windows and tiers for one evaluation instant. Counts live per minute, so every window is a whole
// number of minutes ending at a minute boundary.
import type { Period, Slo, TierSpec } from '../model.ts';
import { calendarPeriod } from './calendar.ts';
import { burnFactor } from './burn.ts';
import { rational, type Rational } from './rational.ts';

/** Default multiwindow, multi-burn-rate tiers (SRE Workbook): budget fractions, factors per period. */
export const DEFAULT_TIERS: readonly TierSpec[] = [
  { severity: 'page', long: 3600, short: 300, budgetFraction: rational(2, 100) },
  { severity: 'page', long: 6 * 3600, short: 1800, budgetFraction: rational(5, 100) },
  { severity: 'ticket', long: 86_400, short: 7200, budgetFraction: rational(10, 100) },
  { severity: 'ticket', long: 3 * 86_400, short: 6 * 3600, budgetFraction: rational(10, 100) },
];

export const floorMinute = (epochSeconds: number): number => Math.floor(epochSeconds / 60) * 60;

/** The period in force at `end` (epoch seconds): [start, end) of what the budget covers so far, and its full length. */
export function periodRange(period: Period, end: number): { start: number; length: number } {
  if (period.type === 'rolling') return { start: end - period.seconds, length: period.seconds };
  // The period containing the last counted minute (end is exclusive).
  const range = calendarPeriod(period.unit, period.timeZone, (end - 1) * 1000);
  return { start: Math.floor(range.start / 1000), length: Math.floor((range.end - range.start) / 1000) };
}

export interface ResolvedTier {
  severity: TierSpec['severity'];
  long: number;
  short: number;
  factor: Rational;
}

export function resolveTiers(tiers: readonly TierSpec[], periodLength: number): ResolvedTier[] {
  return tiers.map((t) => ({
    severity: t.severity,
    long: t.long,
    short: t.short,
    factor: t.factor ?? burnFactor(t.budgetFraction!, periodLength, t.long),
  }));
}

export interface EvaluationPlan {
  /** Window end (exclusive), epoch seconds, minute-aligned: floor(at - ingest delay). */
  end: number;
  periodStart: number;
  periodLength: number;
  tiers: ResolvedTier[];
  /** Distinct window lengths (seconds) to sum, ascending. */
  windows: number[];
}

export function evaluationPlan(slo: Pick<Slo, 'period' | 'tiers' | 'ingestDelay'>, at: number): EvaluationPlan {
  const end = floorMinute(at - slo.ingestDelay);
  const { start, length } = periodRange(slo.period, end);
  const tiers = resolveTiers(slo.tiers, length);
  const windows = [...new Set(tiers.flatMap((t) => [t.long, t.short]))].sort((a, b) => a - b);
  return { end, periodStart: start, periodLength: length, tiers, windows };
}

/** How far back counts must exist to evaluate at `at`: the period or the longest window. */
export function lookbackStart(slo: Pick<Slo, 'period' | 'tiers' | 'ingestDelay'>, at: number): number {
  const plan = evaluationPlan(slo, at);
  return Math.min(plan.periodStart, plan.end - Math.max(...plan.windows));
}
