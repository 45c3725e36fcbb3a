// Numbers and times as the pages print them. Pure; "–" stands for no data, never NaN.
import { formatHuman } from '../../math/duration.ts';

export const NONE = '–';

/** 0.99912 → "99.912%" (up to `digits` decimals, trailing zeros trimmed). */
export function pct(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return `${Number((x * 100).toFixed(digits))}%`;
}

/** Burn rate: "14.4×", two decimals below 10, one above, none above 1000. */
export function burnText(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  const digits = Math.abs(x) >= 1000 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return `${Number(x.toFixed(digits))}×`;
}

export function msText(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return NONE;
  return x >= 1000 ? `${Number((x / 1000).toFixed(2))} s` : `${Number(x.toFixed(x >= 100 ? 0 : 1))} ms`;
}

export const countText = (n: number): string => n.toLocaleString('en-US');

/** "2026-05-10 12:00:30 UTC" */
export const utcText = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/** "3m ago", "in 2h" (relative to now, both epoch seconds). */
export function agoText(epochSeconds: number, now: number): string {
  const d = now - epochSeconds;
  if (Math.abs(d) < 5) return 'just now';
  return d >= 0 ? `${formatHuman(d)} ago` : `in ${formatHuman(-d)}`;
}

/** A query string from parameters, leaving out empty ones ("" when none). */
export function queryString(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}
