import { describe, expect, it } from 'vitest';
import { burnFactor, budgetRemaining, burnRate, detectionTime, exceeds, timeToExhaustion } from '../../slo-engine/math/burn.ts';
import { parseDecimal, rational, toDecimalString, toNumber, fromNumber } from '../../slo-engine/math/rational.ts';
import { calendarPeriod, localMidnight } from '../../slo-engine/math/calendar.ts';
import { DEFAULT_TIERS, evaluationPlan, periodRange, resolveTiers } from '../../slo-engine/math/windows.ts';
import { parseDuration, formatDuration } from '../../slo-engine/math/duration.ts';
import { evaluate } from '../../slo-engine/evaluate.ts';
import { loadFixture } from './slo-fixtures.ts';

const budgetOf = (objective: string) => rational(100n * parseDecimal(objective)!.d - parseDecimal(objective)!.n, 100n * parseDecimal(objective)!.d);
const DAY = 86_400;

describe('burn factors per period (budget fraction × P / W_long)', () => {
  it.each([
    ['30d', 30 * DAY, ['14.4', '6', '3', '1']],
    ['28d', 28 * DAY, ['13.44', '5.6', '2.8', '0.933333']],
    ['7d', 7 * DAY, ['3.36', '1.4', '0.7', '0.233333']],
  ])('%s: factors of the default tiers', (_name, period, expected) => {
    const factors = resolveTiers(DEFAULT_TIERS, period).map((t) => toDecimalString(t.factor, 6));
    expect(factors).toEqual(expected);
  });

  it('28d ticket factor is exactly 14/15, not a rounded float', () => {
    expect(burnFactor(rational(1, 10), 28 * DAY, 3 * DAY)).toEqual(rational(14, 15));
  });
});

describe('exact threshold comparison', () => {
  const b999 = budgetOf('99.9');
  it('budget of 99.9% is exactly 1/1000', () => expect(b999).toEqual(rational(1, 1000)));
  it('an error ratio of exactly 1.44% does not fire 14.4x at 99.9%', () => {
    expect(exceeds({ good: 9856n, total: 10_000n }, parseDecimal('14.4')!, b999)).toBe(false);
  });
  it('one more bad event in 10,000 fires', () => {
    expect(exceeds({ good: 9855n, total: 10_000n }, parseDecimal('14.4')!, b999)).toBe(true);
  });
  it('YAML float 99.9 reads as the decimal 99.9', () => expect(fromNumber(99.9)).toEqual(rational(999, 10)));
  it('zero traffic is no data: no burn rate, no budget, never fires', () => {
    expect(burnRate({ good: 0n, total: 0n }, b999)).toBeUndefined();
    expect(budgetRemaining({ good: 0n, total: 0n }, b999)).toBeUndefined();
    expect(exceeds({ good: 0n, total: 0n }, rational(0), b999)).toBe(false);
  });
});

describe('workbook formulas', () => {
  it.each([
    // error ratio, factor, objective, long window, expected seconds
    ['1', '14.4', '99.9', 3600, 51.84],
    ['1', '6', '99.9', 6 * 3600, 129.6],
    ['0.1', '14.4', '99.9', 3600, 518.4],
    ['0.2', '14.4', '99', 3600, 2592],
    ['0.5', '14.4', '99', 3600, 1036.8],
  ])('detection time for e=%s at %sx / %s%% / long %ss is %s s', (e, f, objective, long, seconds) => {
    expect(detectionTime(parseDecimal(e)!, parseDecimal(f)!, budgetOf(objective), long)).toBe(seconds);
  });
  it('never detects an error ratio at or below the threshold', () => {
    expect(detectionTime(parseDecimal('0.0144')!, parseDecimal('14.4')!, budgetOf('99.9'), 3600)).toBeUndefined();
  });
  it.each([
    [{ good: 999_000n, total: 1_000_000n }, '99.9', 0],
    [{ good: 999_500n, total: 1_000_000n }, '99.9', 0.5],
    [{ good: 998_000n, total: 1_000_000n }, '99.9', -1],
    [{ good: 995n, total: 1000n }, '99', 0.5],
  ])('budget remaining case %# is exact', (counts, objective, expected) => {
    expect(toNumber(budgetRemaining(counts, budgetOf(objective))!)).toBe(expected);
  });
  it('time to exhaustion: half the budget left burning at 2x over 30d takes 7.5 days', () => {
    expect(timeToExhaustion(rational(1, 2), rational(2), 30 * DAY)).toBe(7.5 * DAY);
  });
  it('time to exhaustion is 0 when exhausted and undefined when nothing burns', () => {
    expect(timeToExhaustion(rational(-1, 10), rational(2), 30 * DAY)).toBe(0);
    expect(timeToExhaustion(rational(1, 2), rational(0), 30 * DAY)).toBeUndefined();
  });
});

describe('calendar periods', () => {
  it('March 2026 in Europe/Berlin is 743 hours (DST starts on the 29th)', () => {
    const r = calendarPeriod('month', 'Europe/Berlin', Date.parse('2026-03-15T12:00:00Z'));
    expect(new Date(r.start).toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(new Date(r.end).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect((r.end - r.start) / 3_600_000).toBe(743);
  });
  it('October 2026 in Europe/Berlin is 745 hours (DST ends on the 25th)', () => {
    const r = calendarPeriod('month', 'Europe/Berlin', Date.parse('2026-10-31T22:30:00Z')); // 23:30 local
    expect((r.end - r.start) / 3_600_000).toBe(745);
  });
  it('an instant just after local midnight on the 1st belongs to the new month', () => {
    const r = calendarPeriod('month', 'Europe/Berlin', Date.parse('2026-03-31T22:00:00Z'));
    expect(new Date(r.start).toISOString()).toBe('2026-03-31T22:00:00.000Z');
  });
  it('ISO weeks start on Monday in the zone', () => {
    const r = calendarPeriod('week', 'America/New_York', Date.parse('2026-03-11T12:00:00Z')); // a Wednesday
    expect(new Date(r.start).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect((r.end - r.start) / 3_600_000).toBe(168);
  });
  it('the 14.4x page tier of a DST-shortened month is 0.02 × 743', () => {
    const end = Date.parse('2026-03-20T00:00:00Z') / 1000;
    const { length } = periodRange({ type: 'calendar', unit: 'month', timeZone: 'Europe/Berlin' }, end);
    expect(toDecimalString(resolveTiers(DEFAULT_TIERS, length)[0]!.factor)).toBe('14.86');
  });
  it('a midnight skipped by DST maps to the first instant of the day', () => {
    // America/Santiago: clocks jump from 2026-09-06 00:00 to 01:00.
    const t = localMidnight(2026, 9, 6, 'America/Santiago');
    expect(new Date(t).toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });
});

describe('durations', () => {
  it.each([['5m', 300], ['1h30m', 5400], ['30d', 2_592_000], ['2w', 1_209_600]])('%s is %i s', (t, s) => {
    expect(parseDuration(t)).toBe(s);
    expect(parseDuration(formatDuration(s))).toBe(s);
  });
  it.each(['', '5', 'm', '1.5h', '-1m', '0m'])('%j is not a duration', (t) => expect(parseDuration(t)).toBeUndefined());
});

describe('evaluate()', () => {
  const slo = loadFixture('availability-999-30d');
  const at = Date.parse('2026-05-10T12:00:30Z') / 1000;
  const plan = evaluationPlan(slo, at);
  const counts = (perWindow: Record<number, [number, number]>, period: [number, number]) => ({
    windows: new Map(plan.windows.map((w) => [w, { good: BigInt(perWindow[w]?.[0] ?? 0), total: BigInt(perWindow[w]?.[1] ?? 0) }])),
    period: { good: BigInt(period[0]), total: BigInt(period[1]) },
  });

  it('ends windows at the minute before now minus the ingest delay', () => {
    expect(new Date(plan.end * 1000).toISOString()).toBe('2026-05-10T11:59:00.000Z');
    expect(plan.windows).toEqual([300, 1800, 3600, 7200, 21_600, 86_400, 259_200]);
  });
  it('fires the page when both 1h and 5m exceed 14.4 × 0.1%', () => {
    const e = evaluate(slo, plan, counts({ 300: [900, 1000], 3600: [9800, 10_000] }, [9800, 10_000]), at);
    expect(e.tiers[0]!.condition).toBe('true');
    expect(e.conditions.page).toBe('true');
    expect(e.tiers[0]!.burnLong).toBe(20);
    expect(e.tiers[0]!.burnShort).toBe(100);
    expect(e.budgetRemaining).toBe(-19);
  });
  it('zero traffic gives no data everywhere and no NaN', () => {
    const e = evaluate(slo, plan, counts({}, [0, 0]), at);
    expect(e.noData).toBe(true);
    expect(e.sli).toBeNull();
    expect(e.budgetRemaining).toBeNull();
    expect(e.timeToExhaustion).toBeNull();
    expect(e.conditions).toEqual({ page: 'unknown', ticket: 'unknown' });
    expect(JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(/NaN|Infinity/);
  });
  it('fewer events than minEvents in the long window cannot fire', () => {
    const five = Object.fromEntries(plan.windows.map((w) => [w, [0, 5] as [number, number]]));
    const e = evaluate(slo, plan, counts(five, [0, 5]), at);
    expect(e.tiers[0]!.reason).toBe('low-traffic');
    expect(e.conditions.page).toBe('false');
  });
});
