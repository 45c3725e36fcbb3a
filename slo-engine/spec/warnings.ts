// Things that are valid but almost certainly not what the author meant. `burnrate validate` prints
// them, the engine logs them at start; neither refuses to run.
import type { Slo, TierSpec } from '../model.ts';
import { burnFactor } from '../math/burn.ts';
import { compare, mul, rational, toDecimalString, ONE, type Rational } from '../math/rational.ts';
import { formatDuration } from '../math/duration.ts';

const HOUR = 3600;
const DAY = 86_400;

/** The shortest and longest length the period can have (calendar: February / 31 days, a DST hour either way). */
function periodBounds(slo: Pick<Slo, 'period'>): [number, number] {
  if (slo.period.type === 'rolling') return [slo.period.seconds, slo.period.seconds];
  return slo.period.unit === 'month' ? [28 * DAY - HOUR, 31 * DAY + HOUR] : [7 * DAY - HOUR, 7 * DAY + HOUR];
}

const factorAt = (t: TierSpec, periodSeconds: number): Rational => t.factor ?? burnFactor(t.budgetFraction!, periodSeconds, t.long);

/**
 * A tier can never fire when its threshold f x b is at least 100% errors: the comparison is strict
 * and a window cannot have more bad events than events (a 90% objective with a 14.4x tier needs
 * more than 144% errors). Budget-fraction tiers of calendar periods have a factor per period
 * length: checked at the shortest (never fires) and the longest (does not fire in long months).
 */
export function tierWarnings(slo: Slo): string[] {
  const [shortest, longest] = periodBounds(slo);
  const percent = (r: Rational) => toDecimalString(mul(r, rational(100)), 2);
  return slo.tiers.flatMap((t, i) => {
    const what = `${t.severity} ${formatDuration(t.long)}/${formatDuration(t.short)}`;
    const low = mul(factorAt(t, shortest), slo.budget);
    if (compare(low, ONE) >= 0) {
      return [`alerting.tiers[${i}] (${what}, ${toDecimalString(factorAt(t, shortest), 4)}x) can never fire: with a ${slo.objective}% objective it needs more than ${percent(low)}% of events to fail in both windows`];
    }
    const high = mul(factorAt(t, longest), slo.budget);
    if (compare(high, ONE) >= 0) {
      return [`alerting.tiers[${i}] (${what}, up to ${toDecimalString(factorAt(t, longest), 4)}x) cannot fire in the longest periods: with a ${slo.objective}% objective it needs more than ${percent(high)}% of events to fail in both windows`];
    }
    return [];
  });
}
