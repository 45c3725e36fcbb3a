// Window and period sums for evaluations: from `slo_sli_1m`, plus (for read-only callers) minutes
// computed in memory for ranges that are not in the table (see coverage.ts).
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { MaintenanceWindow, Slo } from '../model.ts';
import type { Counts } from '../math/burn.ts';
import type { EvaluationPlan } from '../math/windows.ts';
import type { WindowCounts } from '../evaluate.ts';
import { countsQuery, sliHash } from './sql.ts';
import { inSet } from './sql-set.ts';
import { partitionState, stillValid, type PartitionState } from './partitions.ts';
import type { Range } from './ranges.ts';

const key = (id: string, hash: string) => `${id}\u0000${hash}`;

/** Maintenance windows exclude whole minutes: those starting in [floor_minute(start), end). */
const maintenanceRange = (m: MaintenanceWindow): Range => [Math.floor(m.start / 60) * 60, m.end];

export interface SumItem {
  slo: Slo;
  plan: EvaluationPlan;
  /** Minutes not to read from the table (computed in memory instead). */
  exclude?: readonly Range[];
}

const within = (ranges: readonly Range[]) =>
  ranges.length ? joinSql(ranges.map(([a, b]) => sql`(minute >= toDateTime(${a}) AND minute < toDateTime(${b}))`), ' OR ') : sql`0`;

/** The partition state seen after the last sum: a caller summing repeatedly (a backtest) passes it on. */
export interface PartitionCache {
  state?: PartitionState;
}

/**
 * Sums the windows of many SLOs: one query per group of SLOs sharing window bounds, maintenance and
 * exclusions. A write between reading the part list and summing could make a clean partition dirty,
 * so the list is read again after the sums (and they are redone if it changed that way).
 */
export async function fetchWindowCounts(ch: Clickhouse, items: readonly SumItem[], cache: PartitionCache = {}): Promise<Map<string, WindowCounts>> {
  const out = new Map<string, WindowCounts>();
  if (items.length === 0) return out;
  const groups = new Map<string, SumItem[]>();
  for (const item of items) {
    const k = JSON.stringify([item.plan.end, item.plan.periodStart, item.plan.windows, item.slo.maintenance, item.exclude ?? []]);
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  for (let round = 0; ; round++) {
    const state = cache.state ?? (await partitionState(ch));
    for (const group of groups.values()) {
      for (const [id, counts] of await sumGroup(ch, group, state.dirty)) out.set(id, counts);
    }
    const after = await partitionState(ch);
    cache.state = after;
    if (round >= 2 || stillValid(state, after)) return out;
  }
}

async function sumGroup(ch: Clickhouse, group: readonly SumItem[], dirty: readonly Range[]): Promise<Map<string, WindowCounts>> {
  const { plan, slo, exclude = [] } = group[0]!;
  const starts = [...plan.windows.map((w) => plan.end - w), plan.periodStart];
  const minStart = Math.min(...starts);
  const columns = starts.map((s, i) => sql`toString(sumIf(good, minute >= toDateTime(${s}))) AS ${ident(`g${i}`)}, toString(sumIf(total, minute >= toDateTime(${s}))) AS ${ident(`t${i}`)}`);
  const range = sql`slo_id IN ${inSet(group.map((g) => g.slo.id))} AND minute >= toDateTime(${minStart}) AND minute < toDateTime(${plan.end}) AND NOT (${within(exclude)})`;
  const inDirty = within(dirty.filter(([a, b]) => b > minStart && a < plan.end));
  const excluded: SqlFragment[] = slo.maintenance.map((m) => sql`NOT (${within([maintenanceRange(m)])})`);
  const rows = await ch.query<Record<string, string> & { first: number }>(
    sql`SELECT slo_id, sli_hash, ${joinSql(columns, ', ')}, toUInt32(minIf(minute, total > 0 AND minute >= toDateTime(${plan.periodStart}))) AS first FROM (
        SELECT slo_id, sli_hash, minute, good, total FROM ${ident(TABLES.sloSli1m)} WHERE ${range} AND NOT (${inDirty})
        UNION ALL
        SELECT slo_id, sli_hash, minute, good, total FROM ${ident(TABLES.sloSli1m)} FINAL WHERE ${range} AND (${inDirty})
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
