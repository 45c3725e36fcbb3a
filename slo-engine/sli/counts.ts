// The per-minute counts table `slo_sli_1m`: kept current each tick by re-counting a trailing
// margin, backfilled when an SLO (or its SLI definition) is new, and summed per window.
// ReplacingMergeTree(version) keyed by (slo_id, sli_hash, minute) and read with FINAL, so a
// re-counted minute replaces the old row (no double counting), and replicas writing the same
// recount are idempotent.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { optimizeSettings, partsSource, partsTable, partsTarget, perShardGrouping } from '../../storage/cluster/parts.ts';
import type { Slo } from '../model.ts';
import type { Counts } from '../math/burn.ts';
import type { EvaluationPlan } from '../math/windows.ts';
import type { WindowCounts } from '../evaluate.ts';
import { countsQuery, sliHash } from './sql.ts';
import { inSet } from './sql-set.ts';
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
      FROM ${ident(TABLES.sloDefinitions)} FINAL WHERE slo_id IN ${inSet(slos.map((s) => s.id))}`,
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

/** SELECTs per INSERT: one round trip re-counts the trailing margin of 50 SLOs. */
const BATCH = 50;

/**
 * Makes sure `slo_sli_1m` holds counts for [from, to) of every SLO: backfills what was never
 * counted (new SLO, changed SLI, older range for a backtest) and re-counts the trailing margin.
 * Returns the SLOs whose counting failed, with the reason; the others are counted.
 */
export async function refreshCounts(ch: Clickhouse, items: readonly { slo: Slo; from: number; to: number }[], options: RefreshOptions): Promise<Map<string, string>> {
  const errors = new Map<string, string>();
  if (items.length === 0) return errors;
  const ranges = await readCountedRanges(ch, items.map((i) => i.slo));
  const jobs: { slo: Slo; select: SqlFragment }[] = [];
  const definitions: { slo: Slo; row: object }[] = [];
  for (const { slo, from, to } of items) {
    const hash = sliHash(slo);
    const have = ranges.get(key(slo.id, hash));
    const todo = rangesToCount(have, from, to, options.marginSeconds);
    try {
      for (const [a, b] of todo) {
        if (b - a > DAY) options.log?.(`slo ${JSON.stringify(slo.id)}: counting ${new Date(a * 1000).toISOString()} .. ${new Date(b * 1000).toISOString()}`);
        // Day-sized SELECTs keep each statement short on a big backfill.
        for (let start = a; start < b; start += DAY) {
          jobs.push({ slo, select: sql`SELECT ${slo.id} AS slo_id, ${hash} AS sli_hash, minute, good, total, toUInt64(${options.version}) AS version FROM (${countsQuery(slo, start, Math.min(b, start + DAY))})` });
        }
      }
    } catch (err) {
      errors.set(slo.id, err instanceof Error ? err.message : String(err));
      continue;
    }
    if (todo.length || !have) {
      const counted = have ? { from: Math.min(have.from, from), until: Math.max(have.until, to) } : { from, until: to };
      definitions.push({
        slo,
        row: {
          slo_id: slo.id,
          sli_hash: hash,
          service: slo.service,
          name: slo.name,
          spec: toJson(slo),
          counted_from: counted.from,
          counted_until: counted.until,
          updated: Math.floor(options.version / 1000),
          version: options.version,
        },
      });
    }
  }
  const insert = (batch: readonly { select: SqlFragment }[]) =>
    ch.command(sql`INSERT INTO ${ident(TABLES.sloSli1m)} (slo_id, sli_hash, minute, good, total, version) ${joinSql(batch.map((j) => j.select), ' UNION ALL ')}`);
  for (let i = 0; i < jobs.length; i += BATCH) {
    const batch = jobs.slice(i, i + BATCH);
    try {
      await insert(batch);
    } catch {
      // Find the SLO(s) at fault; the others still get counted.
      for (const job of batch) {
        if (errors.has(job.slo.id)) continue;
        await insert([job]).catch((err: unknown) => errors.set(job.slo.id, err instanceof Error ? err.message.split('\n')[0]! : String(err)));
      }
    }
  }
  await ch.insertJson(TABLES.sloDefinitions, definitions.filter((d) => !errors.has(d.slo.id)).map((d) => d.row));
  return errors;
}

/**
 * Day partitions of `slo_sli_1m` that may hold several versions of a minute: those with more than
 * one active part. A partition merged into one part holds each (slo, hash, minute) once (a merge
 * of a ReplacingMergeTree keeps the newest version; one INSERT never repeats a minute), so it can
 * be summed without FINAL, which on 18.16 is single-threaded and ~8x slower.
 * In a cluster: partitions with several parts on any shard, as listed on the replica each shard's
 * sums are read from (storage/cluster/parts.ts).
 */
export async function dirtyDays(ch: Clickhouse): Promise<number[]> {
  const rows = await ch.query<{ partition: string }>(
    sql`SELECT partition FROM ${partsSource(ch)} WHERE database = ${ch.database} AND table = ${partsTable(ch, TABLES.sloSli1m)} AND active GROUP BY partition HAVING count() > 1${perShardGrouping(ch)}`,
  );
  const partitions = [...new Set(rows.map((r) => r.partition))];
  return partitions.filter((p) => /^\d{8}$/.test(p)).map((p) => Date.UTC(Number(p.slice(0, 4)), Number(p.slice(4, 6)) - 1, Number(p.slice(6, 8))) / 1000);
}

/**
 * Merges day partitions that are no longer re-counted (ended more than `settledSeconds` ago) and
 * have several parts, at most `limit` per call, so later sums can skip FINAL for them.
 */
export async function settleDays(ch: Clickhouse, now: number, settledSeconds: number, limit = 1): Promise<number> {
  const days = (await dirtyDays(ch)).filter((d) => d + 86_400 <= now - settledSeconds).slice(0, limit);
  for (const d of days) {
    const id = new Date(d * 1000).toISOString().slice(0, 10).replace(/-/g, '');
    await ch.command(`OPTIMIZE TABLE ${partsTarget(ch, TABLES.sloSli1m)} PARTITION ${id} FINAL`, optimizeSettings(ch));
  }
  return days.length;
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
  if (items.length === 0) return out;
  const dirty = await dirtyDays(ch);
  for (const group of groups.values()) {
    const { plan } = group[0]!;
    const { maintenance } = group[0]!.slo;
    const starts = [...plan.windows.map((w) => plan.end - w), plan.periodStart];
    const minStart = Math.min(...starts);
    const columns = starts.map((s, i) =>
      sql`toString(sumIf(good, minute >= toDateTime(${s}))) AS ${ident(`g${i}`)}, toString(sumIf(total, minute >= toDateTime(${s}))) AS ${ident(`t${i}`)}`,
    );
    const range = sql`slo_id IN ${inSet(group.map((g) => g.slo.id))} AND minute >= toDateTime(${minStart}) AND minute < toDateTime(${plan.end})`;
    const days = dirty.filter((d) => d + 86_400 > minStart && d < plan.end);
    const inDirty = days.length ? joinSql(days.map((d) => sql`(minute >= toDateTime(${d}) AND minute < toDateTime(${d + 86_400}))`), ' OR ') : sql`0`;
    const excluded: SqlFragment[] = maintenance.map((m) => sql`NOT (minute >= toDateTime(${Math.floor(m.start / 60) * 60}) AND minute < toDateTime(${m.end}))`);
    const rows = await ch.query<Record<string, string>>(
      sql`SELECT slo_id, sli_hash, ${joinSql(columns, ', ')} FROM (
          SELECT slo_id, sli_hash, minute, good, total FROM ${ident(TABLES.sloSli1m)} WHERE ${range} AND NOT (${inDirty})
          UNION ALL
          SELECT slo_id, sli_hash, minute, good, total FROM ${ident(TABLES.sloSli1m)} FINAL WHERE ${range} AND (${inDirty})
        ) ${excluded.length ? sql`WHERE ${joinSql(excluded, ' AND ')}` : sql``} GROUP BY slo_id, sli_hash`,
    );
    const byKey = new Map(rows.map((r) => [key(r.slo_id!, r.sli_hash!), r]));
    for (const { slo } of group) {
      const row = byKey.get(key(slo.id, sliHash(slo)));
      const counts = (i: number): Counts => (row ? { good: BigInt(row[`g${i}`]!), total: BigInt(row[`t${i}`]!) } : { good: 0n, total: 0n });
      out.set(slo.id, { windows: new Map(plan.windows.map((w, i) => [w, counts(i)])), period: counts(plan.windows.length) });
    }
  }
  return out;
}
