// The day partitions of the summed tables `slo_sli_1m` and `slo_sli_1h` (toYYYYMMDD of their time, in
// the *server's* time zone). A partition merged into one part holds each (slo, hash, time) once (a
// merge of a ReplacingMergeTree keeps the newest version; one INSERT never repeats a key), so it can
// be summed without FINAL, which on 18.16 is single-threaded and ~8x slower. Partitions are never
// mapped to times by parsing their ids (that assumes UTC days, and on a Europe/Berlin server a
// re-counted minute would then be summed twice): the time range of a partition is what its parts
// report (min_time / max_time), and "settled" is decided by the server comparing ids it computed itself.
//
// In a cluster the parts are counted per shard (a partition with one part on each shard is clean)
// on the replica every read of that shard goes to (storage/cluster/parts.ts), and OPTIMIZE runs on
// every shard.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { optimizeSettings, partsSource, partsTable, partsTarget, perShardGrouping } from '../../storage/cluster/parts.ts';
import { inSet } from './sql-set.ts';
import type { Range } from './ranges.ts';

/** The ReplacingMergeTree tables window sums read: their time column and the length of one row's time. */
export const SUMMED_TABLES = {
  [TABLES.sloSli1m]: { time: 'minute', seconds: 60 },
  [TABLES.sloSli1h]: { time: 'hour', seconds: 3600 },
} as const;
export type SummedTable = keyof typeof SUMMED_TABLES;
const SUMMED = Object.keys(SUMMED_TABLES) as SummedTable[];

export interface PartitionState {
  /** Per table, time ranges of partitions with several active parts (on one shard): read them with FINAL. */
  dirty: Record<SummedTable, Range[]>;
  /** `table/partition` of every dirty partition. */
  dirtyIds: Set<string>;
}

export async function partitionState(ch: Clickhouse): Promise<PartitionState> {
  // system.parts names the local tables in a cluster: map them back.
  const logical = new Map(SUMMED.map((t) => [partsTable(ch, t), t]));
  const rows = await ch.query<{ table: string; partition: string; lo: number; hi: number }>(
    sql`SELECT table, partition, toUInt32(min(min_time)) AS lo, toUInt32(max(max_time)) AS hi
      FROM ${partsSource(ch)} WHERE database = ${ch.database} AND table IN ${inSet([...logical.keys()])} AND active
      GROUP BY table, partition HAVING count() > 1${perShardGrouping(ch)}`,
  );
  // One row per partition on one server; in a cluster one per shard where it is dirty.
  const byPartition = new Map<string, { table: SummedTable; lo: number; hi: number }>();
  for (const r of rows) {
    const table = logical.get(r.table)!;
    const id = `${table}/${r.partition}`;
    const seen = byPartition.get(id);
    const lo = Number(r.lo);
    const hi = Number(r.hi);
    byPartition.set(id, seen ? { table, lo: Math.min(seen.lo, lo), hi: Math.max(seen.hi, hi) } : { table, lo, hi });
  }
  const dirty = Object.fromEntries(SUMMED.map((t) => [t, [] as Range[]])) as Record<SummedTable, Range[]>;
  // max_time is the start of the last row's minute or hour: one row's length more covers it.
  for (const { table, lo, hi } of byPartition.values()) dirty[table].push([lo, hi + SUMMED_TABLES[table].seconds]);
  return { dirty, dirtyIds: new Set(byPartition.keys()) };
}

/** A sum made with `before` is right if no partition became dirty meanwhile (merges only make them clean). */
export const stillValid = (before: PartitionState, after: PartitionState): boolean => [...after.dirtyIds].every((id) => before.dirtyIds.has(id));

/** `(t >= a AND t < b) OR ...` over a time column; `0` for no ranges. */
export const timeWithin = (column: string, ranges: readonly Range[]): SqlFragment =>
  ranges.length ? joinSql(ranges.map(([a, b]) => sql`(${ident(column)} >= toDateTime(${a}) AND ${ident(column)} < toDateTime(${b}))`), ' OR ') : sql`0`;

/**
 * `SELECT columns` of the rows of `table` matching `where`, each key once at its newest version:
 * partitions merged into one part read plainly, the others with FINAL. `dirty` must come from a
 * partition state checked again after the read (stillValid).
 */
export function exactRows(table: SummedTable, columns: SqlFragment, where: SqlFragment, dirty: readonly Range[]): SqlFragment {
  const inDirty = timeWithin(SUMMED_TABLES[table].time, dirty);
  return sql`SELECT ${columns} FROM ${ident(table)} WHERE (${where}) AND NOT (${inDirty})
    UNION ALL
    SELECT ${columns} FROM ${ident(table)} FINAL WHERE (${where}) AND (${inDirty})`;
}

/**
 * Merges day partitions with several parts that lie entirely before `now - settledSeconds` (so they
 * are no longer re-counted), at most `limit` per table and call, so later sums can skip FINAL for them.
 */
export async function settleDays(ch: Clickhouse, now: number, settledSeconds: number, limit = 1): Promise<number> {
  let merged = 0;
  for (const table of SUMMED) {
    const found = await ch.query<{ partition: string }>(
      sql`SELECT partition FROM ${partsSource(ch)} WHERE database = ${ch.database} AND table = ${partsTable(ch, table)} AND active
        GROUP BY partition HAVING count() > 1 AND partition < toString(toYYYYMMDD(toDateTime(${Math.max(0, now - settledSeconds)})))
        ORDER BY partition LIMIT ${limit}${perShardGrouping(ch)}`,
    );
    const partitions = [...new Set(found.map((r) => r.partition))].sort().slice(0, limit);
    for (const partition of partitions) {
      // Partition ids of toYYYYMMDD are plain numbers; anything else is not ours to touch.
      if (!/^\d{8}$/.test(partition)) continue;
      await ch.command(`OPTIMIZE TABLE ${partsTarget(ch, table)} PARTITION ${partition} FINAL`, optimizeSettings(ch));
      merged++;
    }
  }
  return merged;
}
