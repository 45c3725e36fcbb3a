// Which hours a window sum may read from the hourly sums (`slo_sli_1h`) instead of the minutes, and
// which hours the engine sums next. Pure. Hours are epoch hours (multiples of 3600 s), whatever the
// server's or the SLO's time zone: a window or calendar period that starts at :30 or :45 (Asia/Kolkata,
// Asia/Kathmandu) simply reads that edge hour per minute.
import { clip, normalize, subtract, type Range } from './ranges.ts';

export const HOUR = 3600;
const DAY = 86_400;

const floorTo = (t: number, unit: number) => Math.floor(t / unit) * unit;
const ceilTo = (t: number, unit: number) => Math.ceil(t / unit) * unit;

/** The whole hours inside `ranges`. */
export const wholeHours = (ranges: readonly Range[]): Range[] => normalize(ranges.map(([a, b]): Range => [ceilTo(a, HOUR), floorTo(b, HOUR)]));

/**
 * The hours that sums over [s, end) for every s in `starts` read as hourly rows: hours already
 * summed (`rolled`) inside [min(starts), end) that hold no window start strictly inside them (so each
 * hourly row lies wholly inside or wholly outside every window: `t >= s` decides for rows of both
 * tables alike) and touch nothing in `avoid` (maintenance windows and minutes not read from the
 * table: those are excluded minute by minute). Everything else in the span is read per minute.
 */
export function hoursToRead(starts: readonly number[], end: number, rolled: readonly Range[], avoid: readonly Range[]): Range[] {
  if (starts.length === 0) return [];
  const edges = starts.filter((s) => s % HOUR !== 0).map((s): Range => [floorTo(s, HOUR), floorTo(s, HOUR) + HOUR]);
  const touched = avoid.filter(([a, b]) => b > a).map(([a, b]): Range => [floorTo(a, HOUR), ceilTo(b, HOUR)]);
  return subtract(wholeHours(clip(rolled, Math.min(...starts), end)), [...edges, ...touched]);
}

/** Hours to sum for one SLO: whole hours of its counted minutes within [from, until) that are not summed yet. */
export const hoursToRollUp = (counted: readonly Range[], rolled: readonly Range[], from: number, until: number): Range[] =>
  subtract(wholeHours(clip(counted, from, until)), rolled);

/** `ranges` cut at UTC day boundaries: the unit of work of one summing statement. */
export function dayChunks(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  for (const [a, b] of normalize(ranges)) {
    for (let start = a; start < b; start = floorTo(start, DAY) + DAY) out.push([start, Math.min(b, floorTo(start, DAY) + DAY)]);
  }
  return out;
}
