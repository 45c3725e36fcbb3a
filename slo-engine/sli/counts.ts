// The per-minute counts table `slo_sli_1m`: kept current each tick by re-counting a trailing
// margin, backfilled when an SLO (or its SLI definition) is new, and summed per window.
// ReplacingMergeTree(version) keyed by (slo_id, sli_hash, minute) and read with FINAL, so a
// re-counted minute replaces the old row (no double counting), and replicas writing the same
// recount are idempotent.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Slo } from '../model.ts';
import type { Counts } from '../math/burn.ts';
import type { EvaluationPlan } from '../math/windows.ts';
import type { WindowCounts } from '../evaluate.ts';
import { countsQuery, sliHash } from './sql.ts';
import { toJson } from '../spec/json.ts';

export interface CountedRange {
  /** Epoch seconds, minute-aligned: [from, until) is counted. */
  from: number;
  until: number;
}

const key = (id: string, hash: string) => `${id}\u0000${hash}`;
const DAY = 86_400;

export async function readCountedRanges(ch: Clickhouse, slos: readonly Slo[]): Promise<Map<string, CountedRange>> {
  const out = new Map<string, CountedRange>();
  if (slos.length === 0) return out;
  const rows = await ch.query<{ slo_id: string; sli_hash: string; from: number; until: number }>(
    sql`SELECT slo_id, sli_hash, toUInt32(counted_from) AS from, toUInt32(counted_until) AS until
      FROM ${ident(TABLES.sloDefinitions)} FINAL WHERE has(${slos.map((s) => s.id)}, slo_id)`,
  );
  for (const r of rows) out.set(key(r.slo_id, r.sli_hash), { from: Number(r.from), until: Number(r.until) });
  return out;
}

/** The minute ranges to (re)count so that [from, to) is covered, given what is already counted. */
export function rangesToCount(have: CountedRange | undefined, from: number, to: number, marginSeconds: number): [number, number][] {
  if (from >= to) return [];
  if (!have) return [[from, to]];
  const ranges: [number, number][] = [];
  if (from < have.from) ranges.push([from, Math.min(have.from, to)]);
  const recountFrom = Math.max(have.from, have.until - marginSeconds, from);
  if (to > have.until - marginSeconds && recountFrom < to) ranges.push([recountFrom, to]);
  return ranges;
}

export interface RefreshOptions {
  /** Trailing minutes re-counted every tick so late spans are counted. */
  marginSeconds: number;
  /** Row version (monotonic; the wall clock in ms). */
  version: number;
  log?: (line: string) => void;
}

/**
 * Makes sure `slo_sli_1m` holds counts for [from, to) of every SLO: backfills what was never
 * counted (new SLO, changed SLI, older range for a backtest) and re-counts the trailing margin.
 */
export async function refreshCounts(ch: Clickhouse, items: readonly { slo: Slo; from: number; to: number }[], options: RefreshOptions): Promise<void> {
  const ranges = await readCountedRanges(ch, items.map((i) => i.slo));
  const definitions: object[] = [];
  for (const { slo, from, to } of items) {
    const hash = sliHash(slo);
    const have = ranges.get(key(slo.id, hash));
    const todo = rangesToCount(have, from, to, options.marginSeconds);
    for (const [a, b] of todo) {
      if (b - a > DAY) options.log?.(`slo ${JSON.stringify(slo.id)}: counting ${new Date(a * 1000).toISOString()} .. ${new Date(b * 1000).toISOString()}`);
      // One statement per day keeps each INSERT ... SELECT short on a big backfill.
      for (let start = a; start < b; start += DAY) {
        await ch.command(
          sql`INSERT INTO ${ident(TABLES.sloSli1m)} (slo_id, sli_hash, minute, good, total, version)
            SELECT ${slo.id}, ${hash}, minute, good, total, ${options.version} FROM (${countsQuery(slo, start, Math.min(b, start + DAY))})`,
        );
      }
    }
    const counted = have ? { from: Math.min(have.from, from), until: Math.max(have.until, to) } : { from, until: to };
    if (todo.length || !have) {
      definitions.push({
        slo_id: slo.id,
        sli_hash: hash,
        service: slo.service,
        name: slo.name,
        spec: toJson(slo),
        counted_from: counted.from,
        counted_until: counted.until,
        updated: Math.floor(options.version / 1000),
        version: options.version,
      });
    }
  }
  await ch.insertJson(TABLES.sloDefinitions, definitions);
}

/** Sums the windows of many SLOs: one query per group of SLOs sharing window bounds and maintenance. */
export async function fetchWindowCounts(ch: Clickhouse, items: readonly { slo: Slo; plan: EvaluationPlan }[]): Promise<Map<string, WindowCounts>> {
  const groups = new Map<string, { slo: Slo; plan: EvaluationPlan }[]>();
  for (const item of items) {
    const k = JSON.stringify([item.plan.end, item.plan.periodStart, item.plan.windows, item.slo.maintenance]);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  const out = new Map<string, WindowCounts>();
  for (const group of groups.values()) {
    const { plan } = group[0]!;
    const { maintenance } = group[0]!.slo;
    const starts = [...plan.windows.map((w) => plan.end - w), plan.periodStart];
    const minStart = Math.min(...starts);
    const columns = starts.map((s, i) =>
      sql`toString(sumIf(good, minute >= toDateTime(${s}))) AS ${ident(`g${i}`)}, toString(sumIf(total, minute >= toDateTime(${s}))) AS ${ident(`t${i}`)}`,
    );
    const tuples = group.map(({ slo }) => sql`tuple(${slo.id}, ${sliHash(slo)})`);
    const where: SqlFragment[] = [
      sql`has(${group.map((g) => g.slo.id)}, slo_id)`,
      sql`(slo_id, sli_hash) IN (${joinSql(tuples, ', ')})`,
      sql`minute >= toDateTime(${minStart})`,
      sql`minute < toDateTime(${plan.end})`,
      ...maintenance.map((m) => sql`NOT (minute >= toDateTime(${Math.floor(m.start / 60) * 60}) AND minute < toDateTime(${m.end}))`),
    ];
    const rows = await ch.query<Record<string, string>>(
      sql`SELECT slo_id, ${joinSql(columns, ', ')} FROM ${ident(TABLES.sloSli1m)} FINAL WHERE ${joinSql(where, ' AND ')} GROUP BY slo_id`,
    );
    const byId = new Map(rows.map((r) => [r.slo_id!, r]));
    for (const { slo } of group) {
      const row = byId.get(slo.id);
      const counts = (i: number): Counts => (row ? { good: BigInt(row[`g${i}`]!), total: BigInt(row[`t${i}`]!) } : { good: 0n, total: 0n });
      out.set(slo.id, { windows: new Map(plan.windows.map((w, i) => [w, counts(i)])), period: counts(plan.windows.length) });
    }
  }
  return out;
}
