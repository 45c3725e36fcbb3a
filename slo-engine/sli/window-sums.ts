// Window and period sums for evaluations: from `slo_sli_1h` (hours summed by rollups.ts) and
// `slo_sli_1m` (every other minute of the windows), plus (for read-only callers) minutes computed in
// memory for ranges that are not in the table (see coverage.ts). Both paths give the same numbers:
// an hourly row is the exact sum of the minutes it replaces, read only where it lies wholly inside
// or outside every window and away from maintenance windows (rollup-plan.ts).
import type { Clickhouse } from '../../storage/client.ts';
import { joinSql, raw, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { MaintenanceWindow, Slo } from '../model.ts';
import type { Counts } from '../math/burn.ts';
import type { EvaluationPlan } from '../math/windows.ts';
import type { WindowCounts } from '../evaluate.ts';
import { countsQuery, sliHash } from './sql.ts';
import { inSet } from './sql-set.ts';
import { readCoverage, type CoverageKey } from './coverage.ts';
import { exactRows, partitionState, stillValid, timeWithin, type PartitionState } from './partitions.ts';
import { hoursToRead } from './rollup-plan.ts';
import { subtract, type Range } from './ranges.ts';

const key = (id: string, hash: string) => `${id}\u0000${hash}`;
/** SLOs per summing query. */
const GROUP = 1000;

/** Maintenance windows exclude whole minutes: those starting in [floor_minute(start), end). */
const maintenanceRange = (m: MaintenanceWindow): Range => [Math.floor(m.start / 60) * 60, m.end];

export interface SumItem {
  slo: Slo;
  plan: EvaluationPlan;
  /** Minutes not to read from the table (computed in memory instead). */
  exclude?: readonly Range[];
}

/**
 * What a caller summing repeatedly (a backtest) passes on from one sum to the next: the partition
 * state seen after the last sum, and which hours are summed (a stale answer only means fewer hourly
 * rows are read: a recorded hour stays summed).
 */
export interface SumCache {
  state?: PartitionState;
  rolled?: (k: CoverageKey) => Range[];
}

/** The window starts of a plan: every window's and the period's. */
const startsOf = (plan: EvaluationPlan) => [...plan.windows.map((w) => plan.end - w), plan.periodStart];

/**
 * Sums the windows of many SLOs: one query per group of SLOs sharing window bounds, maintenance,
 * exclusions and the hours read as hourly rows. A write between reading the part list and summing
 * could make a clean partition dirty, so the list is read again after the sums (and they are redone
 * if it changed that way).
 */
export async function fetchWindowCounts(ch: Clickhouse, items: readonly SumItem[], cache: SumCache = {}): Promise<Map<string, WindowCounts>> {
  const out = new Map<string, WindowCounts>();
  if (items.length === 0) return out;
  const rolled = (cache.rolled ??= await readCoverage(ch, items.map(({ slo }) => ({ sloId: slo.id, sliHash: sliHash(slo) })), TABLES.sloRollupCoverage));
  const groups = new Map<string, { hours: Range[]; items: SumItem[] }>();
  for (const item of items) {
    const { plan, slo, exclude = [] } = item;
    const hours = hoursToRead(startsOf(plan), plan.end, rolled({ sloId: slo.id, sliHash: sliHash(slo) }), [...slo.maintenance.map(maintenanceRange), ...exclude]);
    const shared = JSON.stringify([plan.end, plan.periodStart, plan.windows, slo.maintenance, exclude, hours]);
    // At most GROUP SLOs per query: the id list is repeated in the statement (max_query_size is 256 KiB).
    let k = shared;
    for (let part = 0; (groups.get(k)?.items.length ?? 0) >= GROUP; part++) k = `${shared}#${part}`;
    const group = groups.get(k) ?? { hours, items: [] };
    group.items.push(item);
    groups.set(k, group);
  }
  for (let round = 0; ; round++) {
    const state = cache.state ?? (await partitionState(ch));
    for (const group of groups.values()) {
      for (const [id, counts] of await sumGroup(ch, group.items, group.hours, state)) out.set(id, counts);
    }
    const after = await partitionState(ch);
    cache.state = after;
    if (round >= 2 || stillValid(state, after)) return out;
  }
}

const overlapping = (ranges: readonly Range[], from: number, until: number) => ranges.filter(([a, b]) => b > from && a < until);

async function sumGroup(ch: Clickhouse, group: readonly SumItem[], hours: readonly Range[], state: PartitionState): Promise<Map<string, WindowCounts>> {
  const { plan, slo, exclude = [] } = group[0]!;
  const starts = startsOf(plan);
  const minStart = Math.min(...starts);
  const ids = inSet(group.map((g) => g.slo.id));
  // Rows of both tables as (t, good, total, first): t is the minute or the hour, first the first minute with events.
  const minutes = exactRows(
    TABLES.sloSli1m,
    raw('slo_id, sli_hash, minute AS t, good, total, minute AS first'),
    // The minutes to read as ranges (not "the span minus the hours"): the primary key and the day
    // partitions' minute ranges then skip every part and granule of the summed hours.
    sql`slo_id IN ${ids} AND (${timeWithin('minute', subtract([[minStart, plan.end]], [...exclude, ...hours]))})`,
    overlapping(state.dirty[TABLES.sloSli1m], minStart, plan.end),
  );
  const hourly = hours.length
    ? exactRows(TABLES.sloSli1h, raw('slo_id, sli_hash, hour AS t, good, total, first_minute AS first'), sql`slo_id IN ${ids} AND (${timeWithin('hour', hours)})`, overlapping(state.dirty[TABLES.sloSli1h], minStart, plan.end))
    : undefined;
  const columns = starts.map((s, i) => sql`toString(sumIf(good, t >= toDateTime(${s}))) AS ${raw(`g${i}`)}, toString(sumIf(total, t >= toDateTime(${s}))) AS ${raw(`t${i}`)}`);
  // An hourly row never overlaps a maintenance window (rollup-plan.ts), so this drops minutes only.
  const excluded: SqlFragment[] = slo.maintenance.map((m) => sql`NOT (${timeWithin('t', [maintenanceRange(m)])})`);
  const rows = await ch.query<Record<string, string> & { first: number }>(
    sql`SELECT slo_id, sli_hash, ${joinSql(columns, ', ')}, toUInt32(minIf(first, total > 0 AND t >= toDateTime(${plan.periodStart}))) AS first FROM (
        ${minutes}${hourly ? sql`
        UNION ALL
        ${hourly}` : sql``}
      ) ${excluded.length ? sql`WHERE ${joinSql(excluded, ' AND ')}` : sql``} GROUP BY slo_id, sli_hash`,
  );
  const byKey = new Map(rows.map((r) => [key(r.slo_id!, r.sli_hash!), r]));
  const out = new Map<string, WindowCounts>();
  for (const { slo: s } of group) {
    const row = byKey.get(key(s.id, sliHash(s)));
    const counts = (i: number): Counts => (row ? { good: BigInt(row[`g${i}`]!), total: BigInt(row[`t${i}`]!) } : { good: 0n, total: 0n });
    const first = row && Number(row.first) > 0 ? Number(row.first) : undefined;
    out.set(s.id, { windows: new Map(plan.windows.map((w, i) => [w, counts(i)])), period: counts(plan.windows.length), ...(first !== undefined ? { firstData: first } : {}) });
  }
  return out;
}

export interface MinuteCount {
  minute: number;
  good: bigint;
  total: bigint;
}

/**
 * Per-minute counts of ranges that are not in the table, straight from the collector's tables,
 * written nowhere. Returns the minutes per SLO and the SLOs whose counting failed.
 */
export async function fetchLiveMinutes(ch: Clickhouse, items: readonly { slo: Slo; ranges: readonly Range[] }[]): Promise<{ minutes: Map<string, MinuteCount[]>; errors: Map<string, string> }> {
  const minutes = new Map<string, MinuteCount[]>();
  const errors = new Map<string, string>();
  for (const { slo, ranges } of items) {
    if (ranges.length === 0) continue;
    try {
      const selects = ranges.map(([a, b]) => sql`SELECT toUInt32(minute) AS m, toString(good) AS good, toString(total) AS total FROM (${countsQuery(slo, a, b)})`);
      const rows = await ch.query<{ m: number; good: string; total: string }>(joinSql(selects, ' UNION ALL '));
      minutes.set(slo.id, rows.map((r) => ({ minute: Number(r.m), good: BigInt(r.good), total: BigInt(r.total) })).sort((x, y) => x.minute - y.minute));
    } catch (err) {
      errors.set(slo.id, err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  return { minutes, errors };
}

/** Adds in-memory minutes to table sums, with the same window, period and maintenance rules. Pure. */
export function addMinutes(counts: WindowCounts, plan: EvaluationPlan, maintenance: readonly MaintenanceWindow[], minutes: readonly MinuteCount[]): WindowCounts {
  const skip = maintenance.map(maintenanceRange);
  const windows = new Map(counts.windows);
  let period = counts.period;
  let firstData = counts.firstData;
  for (const m of minutes) {
    if (m.minute >= plan.end || skip.some(([a, b]) => m.minute >= a && m.minute < b)) continue;
    for (const w of plan.windows) {
      if (m.minute < plan.end - w) continue;
      const c = windows.get(w) ?? { good: 0n, total: 0n };
      windows.set(w, { good: c.good + m.good, total: c.total + m.total });
    }
    if (m.minute >= plan.periodStart) {
      period = { good: period.good + m.good, total: period.total + m.total };
      if (m.total > 0n && (firstData === undefined || m.minute < firstData)) firstData = m.minute;
    }
  }
  return { windows, period, ...(firstData !== undefined ? { firstData } : {}) };
}
