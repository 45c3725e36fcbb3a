// Calendar periods (ISO week, month) in an IANA time zone, through Intl: a calendar month is not
// 30 days, and across a DST change it is an hour shorter or longer.

export type CalendarUnit = 'week' | 'month';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(ms: number, timeZone: string): Wall {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** UTC offset of `timeZone` at instant `ms`, in milliseconds (Berlin summer: +7,200,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const w = wallTime(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` shows the given local date at 00:00.
 * Month/day overflow is normalised (month 13 → January next year). A midnight skipped by DST
 * maps to the first valid instant after it.
 */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day);
  const target = new Date(guess);
  const first = guess - zoneOffsetMs(guess, timeZone);
  for (const candidate of [guess - zoneOffsetMs(first, timeZone), first]) {
    const w = wallTime(candidate, timeZone);
    if (w.year === target.getUTCFullYear() && w.month === target.getUTCMonth() + 1 && w.day === target.getUTCDate() && w.hour === 0 && w.minute === 0) {
      return candidate;
    }
  }
  // Midnight does not exist that day (a DST jump at 00:00): the day starts when the jump lands.
  return guess - zoneOffsetMs(guess - 86_400_000, timeZone);
}

export interface PeriodRange {
  /** Epoch milliseconds, inclusive. */
  start: number;
  /** Epoch milliseconds, exclusive. */
  end: number;
}

/** The calendar period containing instant `at` (epoch ms): ISO weeks start on Monday 00:00 local time. */
export function calendarPeriod(unit: CalendarUnit, timeZone: string, at: number): PeriodRange {
  const w = wallTime(at, timeZone);
  if (unit === 'month') {
    return { start: localMidnight(w.year, w.month, 1, timeZone), end: localMidnight(w.year, w.month + 1, 1, timeZone) };
  }
  const dayOfWeek = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay(); // 0 = Sunday
  const sinceMonday = (dayOfWeek + 6) % 7;
  return {
    start: localMidnight(w.year, w.month, w.day - sinceMonday, timeZone),
    end: localMidnight(w.year, w.month, w.day - sinceMonday + 7, timeZone),
  };
}
