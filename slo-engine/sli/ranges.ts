// Sets of half-open time ranges [from, until) in epoch seconds: which minutes of an SLO are counted.
// Pure. A set is kept normalised: sorted, non-empty, non-overlapping, adjacent ranges merged.

export type Range = readonly [from: number, until: number];

/** Sorted, merged, without empty ranges. */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = ranges.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export const union = (a: readonly Range[], b: readonly Range[]): Range[] => normalize([...a, ...b]);

/** The parts of `ranges` not in `minus`. */
export function subtract(ranges: readonly Range[], minus: readonly Range[]): Range[] {
  const cut = normalize(minus);
  const out: Range[] = [];
  for (const [from, until] of normalize(ranges)) {
    let start = from;
    for (const [a, b] of cut) {
      if (b <= start || a >= until) continue;
      if (a > start) out.push([start, a]);
      start = Math.max(start, b);
      if (start >= until) break;
    }
    if (start < until) out.push([start, until]);
  }
  return out;
}

/** The parts of `ranges` inside [from, until). */
export const clip = (ranges: readonly Range[], from: number, until: number): Range[] =>
  normalize(ranges.map(([a, b]): Range => [Math.max(a, from), Math.min(b, until)]));

/** True when every second of [from, until) is in `ranges`. */
export const covers = (ranges: readonly Range[], from: number, until: number): boolean => subtract([[from, until]], ranges).length === 0;

/** Total length in seconds. */
export const length = (ranges: readonly Range[]): number => normalize(ranges).reduce((n, [a, b]) => n + (b - a), 0);

export const inRanges = (ranges: readonly Range[], t: number): boolean => ranges.some(([a, b]) => t >= a && t < b);
