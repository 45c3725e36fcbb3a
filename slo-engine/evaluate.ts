// One evaluation of one SLO from its window counts: pure, so the engine, `status` and `backtest`
// share it and tests drive it with plain numbers.
import type { Severity, Slo } from './model.ts';
import { SEVERITIES } from './model.ts';
import { bad, budgetRemaining, burnRate, exceeds, errorRatio, rounded, timeToExhaustion, type Counts, NO_COUNTS } from './math/burn.ts';
import { mul, rational, sub, toNumber, ONE, type Rational } from './math/rational.ts';
import type { EvaluationPlan } from './math/windows.ts';

/** A tier's condition: true/false, or unknown when a window has no events (silence neither fires nor resolves). */
export type Condition = 'true' | 'false' | 'unknown';

export interface WindowResult {
  seconds: number;
  good: bigint;
  total: bigint;
  /** Good/total; null without events. */
  sli: number | null;
  burnRate: number | null;
}

export interface TierResult {
  severity: Severity;
  long: number;
  short: number;
  factor: Rational;
  /** Error-ratio threshold f·b. */
  threshold: Rational;
  burnLong: number | null;
  burnShort: number | null;
  condition: Condition;
  /** Why: 'burning', 'ok', 'no-data' or 'low-traffic' (fewer than minEvents in the long window). */
  reason: 'burning' | 'ok' | 'no-data' | 'low-traffic';
}

export interface Evaluation {
  sloId: string;
  /** Evaluation instant and window end (exclusive), epoch seconds. */
  at: number;
  end: number;
  periodStart: number;
  periodLength: number;
  period: Counts;
  /** SLI over the period so far; null without events. */
  sli: number | null;
  budgetRemaining: number | null;
  /** At the burn rate of the shortest long window; null when nothing burns or without data. */
  timeToExhaustion: number | null;
  windows: WindowResult[];
  tiers: TierResult[];
  conditions: Record<Severity, Condition>;
  /** No events in the shortest window. */
  noData: boolean;
  /**
   * How much of the period has data, for reading the budget early in a period (a fresh install, a
   * new calendar month): the budget remaining is relative to the events so far, so one bad hour
   * shows as -996%. `budgetConsumedOfPeriod` puts the same bad events against the budget of the
   * whole period at the traffic seen so far: e(P)/b x (seconds with data / period length).
   */
  periodData: { seconds: number; fraction: number; budgetConsumedOfPeriod: number | null };
}

export interface WindowCounts {
  windows: Map<number, Counts>;
  period: Counts;
  /** First minute of the period with events (epoch s), if any. */
  firstData?: number;
}

function condition(long: Counts, short: Counts, factor: Rational, budget: Rational, minEvents: number): Pick<TierResult, 'condition' | 'reason'> {
  if (long.total === 0n || short.total === 0n) return { condition: 'unknown', reason: 'no-data' };
  if (long.total < BigInt(minEvents)) return { condition: 'false', reason: 'low-traffic' };
  const burning = exceeds(long, factor, budget) && exceeds(short, factor, budget);
  return burning ? { condition: 'true', reason: 'burning' } : { condition: 'false', reason: 'ok' };
}

const sliOf = (c: Counts): number | null => {
  const e = errorRatio(c);
  return e === undefined ? null : rounded(sub(ONE, e));
};

export function evaluate(slo: Slo, plan: EvaluationPlan, counts: WindowCounts, at: number): Evaluation {
  const get = (seconds: number) => counts.windows.get(seconds) ?? NO_COUNTS;
  const windows: WindowResult[] = plan.windows.map((seconds) => {
    const c = get(seconds);
    return { seconds, good: c.good, total: c.total, sli: sliOf(c), burnRate: rounded(burnRate(c, slo.budget)) };
  });
  const tiers: TierResult[] = plan.tiers.map((t) => ({
    severity: t.severity,
    long: t.long,
    short: t.short,
    factor: t.factor,
    threshold: mul(t.factor, slo.budget),
    burnLong: rounded(burnRate(get(t.long), slo.budget)),
    burnShort: rounded(burnRate(get(t.short), slo.budget)),
    ...condition(get(t.long), get(t.short), t.factor, slo.budget, slo.minEvents),
  }));
  const conditions = {} as Record<Severity, Condition>;
  for (const severity of SEVERITIES) {
    const own = tiers.filter((t) => t.severity === severity).map((t) => t.condition);
    conditions[severity] = own.includes('true') ? 'true' : own.includes('unknown') ? 'unknown' : 'false';
  }
  const remaining = budgetRemaining(counts.period, slo.budget);
  const shortestLong = plan.tiers.length ? Math.min(...plan.tiers.map((t) => t.long)) : plan.windows[0];
  const currentBurn = shortestLong === undefined ? undefined : burnRate(get(shortestLong), slo.budget);
  const tte = timeToExhaustion(remaining, currentBurn, plan.periodLength);
  const dataSeconds = counts.firstData === undefined ? 0 : Math.max(0, plan.end - Math.max(plan.periodStart, counts.firstData));
  const fraction = rational(Math.min(dataSeconds, plan.periodLength), plan.periodLength);
  const periodBurn = burnRate(counts.period, slo.budget);
  return {
    sloId: slo.id,
    at,
    end: plan.end,
    periodStart: plan.periodStart,
    periodLength: plan.periodLength,
    period: counts.period,
    sli: sliOf(counts.period),
    budgetRemaining: rounded(remaining),
    timeToExhaustion: tte === undefined ? null : Math.round(tte),
    windows,
    tiers,
    conditions,
    noData: plan.windows.length === 0 || get(plan.windows[0]!).total === 0n,
    periodData: { seconds: dataSeconds, fraction: rounded(fraction)!, budgetConsumedOfPeriod: periodBurn === undefined ? null : rounded(mul(periodBurn, fraction)) },
  };
}

/** Bad events in a window, for display. */
export const badEvents = (w: Pick<WindowResult, 'good' | 'total'>): bigint => bad(w);
export const ratioNumber = (r: Rational): number => toNumber(r);
