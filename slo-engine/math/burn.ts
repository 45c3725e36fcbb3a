// The burn-rate math of the SRE Workbook, chapter 5, in exact arithmetic. Pure: counts in, numbers out.
import { compare, div, mul, rational, sub, toNumber, ONE, type Rational } from './rational.ts';

/** Good and total events over a window. Counts are integers; bad = total - good. */
export interface Counts {
  good: bigint;
  total: bigint;
}

export const NO_COUNTS: Counts = { good: 0n, total: 0n };

export const bad = (c: Counts): bigint => (c.total > c.good ? c.total - c.good : 0n);

/** `f = fraction × P / W_long`: the burn factor that consumes `fraction` of the budget in one long window. */
export function burnFactor(budgetFraction: Rational, periodSeconds: number, longWindowSeconds: number): Rational {
  return mul(budgetFraction, rational(periodSeconds, longWindowSeconds));
}

/** Error ratio bad/total; undefined without events (no data, never NaN). */
export function errorRatio(c: Counts): Rational | undefined {
  return c.total > 0n ? rational(bad(c), c.total) : undefined;
}

/** burn = e / b; undefined without events. */
export function burnRate(c: Counts, budget: Rational): Rational | undefined {
  const e = errorRatio(c);
  return e && div(e, budget);
}

/**
 * The strict tier comparison `e(W) > f·b`, in integers: bad·f.d·b.d > total·f.n·b.n.
 * False without events: silence never fires.
 */
export function exceeds(c: Counts, factor: Rational, budget: Rational): boolean {
  if (c.total === 0n) return false;
  return bad(c) * factor.d * budget.d > c.total * factor.n * budget.n;
}

/** Budget remaining over the period: `1 - e(P)/b` (negative when overspent); undefined without events. */
export function budgetRemaining(c: Counts, budget: Rational): Rational | undefined {
  const burn = burnRate(c, budget);
  return burn && sub(ONE, burn);
}

/**
 * Seconds until the budget is gone if the current burn rate holds: `remaining × P / burn`.
 * 0 when already exhausted; undefined when nothing burns (never Infinity) or without data.
 */
export function timeToExhaustion(remaining: Rational | undefined, currentBurn: Rational | undefined, periodSeconds: number): number | undefined {
  if (remaining === undefined || currentBurn === undefined) return undefined;
  if (compare(remaining, rational(0)) <= 0) return 0;
  if (currentBurn.n === 0n) return undefined;
  return toNumber(div(mul(remaining, rational(periodSeconds)), currentBurn));
}

/** Workbook detection time for a sustained error ratio: `(f·b / e) · W_long`, undefined when `e <= f·b`. */
export function detectionTime(errorRatioValue: Rational, factor: Rational, budget: Rational, longWindowSeconds: number): number | undefined {
  const threshold = mul(factor, budget);
  if (compare(errorRatioValue, threshold) <= 0) return undefined;
  return toNumber(mul(div(threshold, errorRatioValue), rational(longWindowSeconds)));
}

/** Rounds for storage and display (never NaN/Inf: inputs are finite rationals). */
export function rounded(r: Rational | undefined, digits = 9): number | null {
  if (r === undefined) return null;
  const x = toNumber(r);
  const p = 10 ** digits;
  return Math.round(x * p) / p;
}
