// The day partitions of `slo_sli_1m` (toYYYYMMDD(minute), in the *server's* time zone). A partition
// merged into one part holds each (slo, hash, minute) once (a merge of a ReplacingMergeTree keeps the
// newest version; one INSERT never repeats a minute), so it can be summed without FINAL, which on
// 18.16 is single-threaded and ~8x slower. Partitions are never mapped to times by parsing their ids
// (that assumes UTC days, and on a Europe/Berlin server a re-counted minute would then be summed
// twice): the time range of a partition is what its parts report (min_time / max_time of `minute`),
// and "settled" is decided by the server comparing ids it computed itself.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Range } from './ranges.ts';

export interface PartitionState {
  /** Time ranges of partitions with several active parts: read them with FINAL. */
  dirty: Range[];
  dirtyIds: Set<string>;
}

export async function partitionState(ch: Clickhouse): Promise<PartitionState> {
  const rows = await ch.query<{ partition: string; lo: number; hi: number }>(
    sql`SELECT partition, toUInt32(min(min_time)) AS lo, toUInt32(max(max_time)) AS hi
      FROM system.parts WHERE database = ${ch.database} AND table = ${TABLES.sloSli1m} AND active GROUP BY partition HAVING count() > 1`,
  );
  return {
    // max_time is the start of the last minute in the partition; +60 covers that minute.
    dirty: rows.map((r): Range => [Number(r.lo), Number(r.hi) + 60]),
    dirtyIds: new Set(rows.map((r) => r.partition)),
  };
}

/** A sum made with `before` is right if no partition became dirty meanwhile (merges only make them clean). */
export const stillValid = (before: PartitionState, after: PartitionState): boolean => [...after.dirtyIds].every((id) => before.dirtyIds.has(id));

/**
 * Merges day partitions with several parts that lie entirely before `now - settledSeconds` (so they
 * are no longer re-counted), at most `limit` per call, so later sums can skip FINAL for them.
 */
export async function settleDays(ch: Clickhouse, now: number, settledSeconds: number, limit = 1): Promise<number> {
  const rows = await ch.query<{ partition: string }>(
    sql`SELECT partition FROM system.parts WHERE database = ${ch.database} AND table = ${TABLES.sloSli1m} AND active
      GROUP BY partition HAVING count() > 1 AND partition < toString(toYYYYMMDD(toDateTime(${Math.max(0, now - settledSeconds)})))
      ORDER BY partition LIMIT ${limit}`,
  );
  for (const { partition } of rows) {
    // Partition ids of toYYYYMMDD are plain numbers; anything else is not ours to touch.
    if (!/^\d{8}$/.test(partition)) continue;
    await ch.command(`OPTIMIZE TABLE ${ident(TABLES.sloSli1m).text} PARTITION ${partition} FINAL`);
  }
  return rows.length;
}
