// The time range of a page, from its query string: a preset relative to now (`range=6h`) or an
// absolute `from`/`to` (ISO 8601 or epoch seconds), so a copied URL shows the same thing. Pure.
import { formatDuration, parseDuration } from '../math/duration.ts';

export const RANGE_PRESETS = ['15m', '1h', '6h', '1d', '7d', '30d'] as const;
const MAX_RANGE_SECONDS = 400 * 86_400;
/** At most this many points per series: more than a chart's width in pixels gains nothing. */
const MAX_POINTS = 720;
/** Bucket sizes a chart may use (seconds), all multiples of the rollups' minute. */
const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

export interface TimeRange {
  /** Epoch seconds, `from` inclusive, `to` exclusive. */
  from: number;
  to: number;
  /** The preset ("6h") or undefined for an absolute range. */
  preset?: string;
  /** Chosen in the URL (not the page's default): links to other pages carry it along. */
  explicit?: true;
  /** Bucket of the charts' series, seconds. */
  step: number;
}

export class BadRequest extends Error {}

/** Bucket size so that a range has at most MAX_POINTS points. */
export function stepFor(seconds: number): number {
  return STEPS.find((s) => seconds / s <= MAX_POINTS) ?? Math.ceil(seconds / MAX_POINTS / 86_400) * 86_400;
}

function parseInstant(text: string, name: string): number {
  const t = text.trim();
  if (/^\d{9,11}$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t) && Number.isFinite(ms)) return Math.floor(ms / 1000);
  throw new BadRequest(`${name}: "${text}" is not a time (ISO 8601 such as 2026-05-10T12:00:00Z, or epoch seconds)`);
}

/**
 * `range` (a duration such as 6h or 90m), or `from` (+ optional `to`, default now); without either
 * the default preset. Every problem is a BadRequest naming the parameter.
 */
export function parseTimeRange(query: { range?: string; from?: string; to?: string }, now: number, defaultPreset = '6h'): TimeRange {
  const explicit = Boolean(query.range || query.from);
  const build = (from: number, to: number, preset?: string): TimeRange => {
    if (to <= from) throw new BadRequest('from: must be before to');
    if (to - from > MAX_RANGE_SECONDS) throw new BadRequest(`the time range is longer than ${MAX_RANGE_SECONDS / 86_400} days`);
    return { from, to, step: stepFor(to - from), ...(preset ? { preset } : {}), ...(explicit ? { explicit: true as const } : {}) };
  };
  if (query.from) {
    if (query.range) throw new BadRequest('give either range or from/to, not both');
    return build(parseInstant(query.from, 'from'), query.to ? parseInstant(query.to, 'to') : now);
  }
  if (query.to) throw new BadRequest('to: needs from');
  const preset = query.range || defaultPreset;
  const seconds = parseDuration(preset);
  if (seconds === undefined || seconds < 60) throw new BadRequest(`range: "${preset}" is not a duration of at least a minute (e.g. ${RANGE_PRESETS.join(', ')})`);
  return build(now - seconds, now, formatDuration(seconds));
}

/** The query-string form of a range, for links that keep it. */
export function rangeParams(range: TimeRange): Record<string, string> {
  if (range.preset) return { range: range.preset };
  return { from: isoSeconds(range.from), to: isoSeconds(range.to) };
}

/** What links to other pages carry: the range when the URL chose one, nothing for a page's default. */
export const linkParams = (range: TimeRange): Record<string, string> => (range.explicit ? rangeParams(range) : {});

export const isoSeconds = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
