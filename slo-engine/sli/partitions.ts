// The day partitions of `slo_sli_1m` (toYYYYMMDD(minute), in the *server's* time zone). A partition
// merged into one part holds each (slo, hash, minute) once (a merge of a ReplacingMergeTree keeps the
// newest version; one INSERT never repeats a minute), so it can be summed without FINAL, which on
// 18.16 is single-threaded and ~8x slower. Partitions are never mapped to times by parsing their ids
// (that assumes UTC days, and on a Europe/Berlin server a re-counted minute would then be summed
// twice): the time range of a partition is what its parts report (min_time / max_time of `minute`),
// and "settled" is decided by the server comparing ids it computed itself.
//
// In a cluster the parts are counted per shard (a partition with one part on each shard is clean)
// on the replica every read of that shard goes to (storage/cluster/parts.ts), and OPTIMIZE runs on
// every shard.
import type { Clickhouse } from '../../storage/client.ts';
import { sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { optimizeSettings, partsSource, partsTable, partsTarget, perShardGrouping } from '../../storage/cluster/parts.ts';
import type { Range } from './ranges.ts';

export interface PartitionState {
  /** Time ranges of partitions with several active parts: read them with FINAL. */
  dirty: Range[];
  dirtyIds: Set<string>;
}

export async function partitionState(ch: Clickhouse): Promise<PartitionState> {
  const rows = await ch.query<{ partition: string; lo: number; hi: number }>(
    sql`SELECT partition, toUInt32(min(min_time)) AS lo, toUInt32(max(max_time)) AS hi
      FROM ${partsSource(ch)} WHERE database = ${ch.database} AND table = ${partsTable(ch, TABLES.sloSli1m)} AND active GROUP BY partition HAVING count() > 1${perShardGrouping(ch)}`,
  );
  // One row per partition on one server; in a cluster one per shard where it is dirty.
  const byPartition = new Map<string, Range>();
  for (const r of rows) {
    const seen = byPartition.get(r.partition);
    const lo = Number(r.lo);
    const hi = Number(r.hi);
    byPartition.set(r.partition, seen ? [Math.min(seen[0], lo), Math.max(seen[1], hi)] : [lo, hi]);
  }
  return {
    // max_time is the start of the last minute in the partition; +60 covers that minute.
    dirty: [...byPartition.values()].map(([lo, hi]): Range => [lo, hi + 60]),
    dirtyIds: new Set(byPartition.keys()),
  };
}

/** A sum made with `before` is right if no partition became dirty meanwhile (merges only make them clean). */
export const stillValid = (before: PartitionState, after: PartitionState): boolean => [...after.dirtyIds].every((id) => before.dirtyIds.has(id));

/**
 * Merges day partitions with several parts that lie entirely before `now - settledSeconds` (so they
 * are no longer re-counted), at most `limit` per call, so later sums can skip FINAL for them.
 */
export async function settleDays(ch: Clickhouse, now: number, settledSeconds: number, limit = 1): Promise<number> {
  const found = await ch.query<{ partition: string }>(
    sql`SELECT partition FROM ${partsSource(ch)} WHERE database = ${ch.database} AND table = ${partsTable(ch, TABLES.sloSli1m)} AND active
      GROUP BY partition HAVING count() > 1 AND partition < toString(toYYYYMMDD(toDateTime(${Math.max(0, now - settledSeconds)})))
      ORDER BY partition LIMIT ${limit}${perShardGrouping(ch)}`,
  );
  const rows = [...new Set(found.map((r) => r.partition))].sort().slice(0, limit);
  for (const partition of rows) {
    // Partition ids of toYYYYMMDD are plain numbers; anything else is not ours to touch.
    if (!/^\d{8}$/.test(partition)) continue;
    await ch.command(`OPTIMIZE TABLE ${partsTarget(ch, TABLES.sloSli1m)} PARTITION ${partition} FINAL`, optimizeSettings(ch));
  }
  return rows.length;
}
