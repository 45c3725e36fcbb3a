// The SLO list's filters and sort order, from and back to the query string. Pure.
import { SLO_STATES, type SloState } from './data/derived.ts';
import type { SloRow } from './data/slo-list.ts';
import { BadRequest } from './time-range.ts';

export const SORTS = { budget: 'budget remaining', burn: 'burn vs threshold', state: 'state', name: 'name', service: 'service' } as const;
export type SortKey = keyof typeof SORTS;

export interface ListQuery {
  /** Case-insensitive text in id, name, service, tenant, description or a label. */
  q: string;
  service: string;
  state: SloState | '';
  sort: SortKey;
}

export function parseListQuery(query: Record<string, string | undefined>): ListQuery {
  const state = query.state ?? '';
  if (state !== '' && !SLO_STATES.includes(state as SloState)) throw new BadRequest(`state: "${state}" is not one of ${SLO_STATES.join(', ')}`);
  const sort = query.sort || 'budget';
  if (!(sort in SORTS)) throw new BadRequest(`sort: "${sort}" is not one of ${Object.keys(SORTS).join(', ')}`);
  return { q: (query.q ?? '').trim(), service: query.service ?? '', state: state as SloState | '', sort: sort as SortKey };
}

/** The query-string form, leaving out defaults so URLs stay short. */
export function listParams(q: ListQuery): Record<string, string> {
  const out: Record<string, string> = {};
  if (q.q) out.q = q.q;
  if (q.service) out.service = q.service;
  if (q.state) out.state = q.state;
  if (q.sort !== 'budget') out.sort = q.sort;
  return out;
}

/**
 * How close a tier is to firing: it fires when both windows burn faster than its factor, so the
 * smaller of the two burn rates over the factor (above 1: firing territory). Null without data.
 */
export function tierPressure(t: { factor: number; burnLong: number | null; burnShort: number | null }): number | null {
  if (t.burnLong === null || t.burnShort === null || t.factor <= 0) return null;
  return Math.min(t.burnLong, t.burnShort) / t.factor;
}

const maxPressure = (row: SloRow): number => Math.max(-1, ...row.tiers.map((t) => tierPressure(t) ?? -1));

/** Nulls (no data yet) sort after every number. */
const byNumber = (a: number | null, b: number | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : a - b);

const COMPARE: Record<SortKey, (a: SloRow, b: SloRow) => number> = {
  budget: (a, b) => byNumber(a.budgetRemaining, b.budgetRemaining),
  burn: (a, b) => maxPressure(b) - maxPressure(a),
  state: (a, b) => SLO_STATES.indexOf(a.status.state) - SLO_STATES.indexOf(b.status.state) || byNumber(a.budgetRemaining, b.budgetRemaining),
  name: (a, b) => a.name.localeCompare(b.name),
  service: (a, b) => a.service.localeCompare(b.service) || byNumber(a.budgetRemaining, b.budgetRemaining),
};

function matchesText(row: SloRow, text: string): boolean {
  const needle = text.toLowerCase();
  const haystack = [row.id, row.name, row.service, row.tenant, row.description, ...Object.entries(row.labels).map(([k, v]) => `${k}=${v}`)];
  return haystack.some((h) => h.toLowerCase().includes(needle));
}

export function applyListQuery(rows: readonly SloRow[], q: ListQuery): SloRow[] {
  return rows
    .filter((r) => (q.service === '' || r.service === q.service) && (q.state === '' || r.status.states.includes(q.state)) && (q.q === '' || matchesText(r, q.q)))
    .sort((a, b) => COMPARE[q.sort](a, b) || a.id.localeCompare(b.id));
}
