import type { Clickhouse } from './client.ts';
import { DAY_PARTITIONED_TABLES } from './tables.ts';
import { identifier, sql } from './sql.ts';

/** YYYYMMDD (UTC) of the first day to keep when keeping `days` days up to `now`. */
export function firstKeptDay(now: Date, days: number): number {
  if (!Number.isInteger(days) || days < 1) throw new Error(`retention days must be a positive integer, got ${days}`);
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  return first.getUTCFullYear() * 10000 + (first.getUTCMonth() + 1) * 100 + first.getUTCDate();
}

export interface RetentionResult {
  dropped: { table: string; partition: string }[];
}

/** Drops day partitions older than `days` days (TTL does not exist on 18.16). */
export async function applyRetention(ch: Clickhouse, days: number, now: Date = new Date(), tables: readonly string[] = DAY_PARTITIONED_TABLES): Promise<RetentionResult> {
  const keepFrom = firstKeptDay(now, days);
  const result: RetentionResult = { dropped: [] };
  const parts = await ch.query<{ table: string; partition: string }>(
    sql`SELECT DISTINCT table, partition FROM system.parts WHERE database = ${ch.database} AND active AND has(${[...tables]}, table)`,
  );
  for (const { table, partition } of parts) {
    // Day partitions print as YYYYMMDD; anything else is not ours to drop.
    if (!/^\d{8}$/.test(partition) || Number(partition) >= keepFrom) continue;
    await ch.command(`ALTER TABLE ${identifier(table)} DROP PARTITION ${partition}`);
    result.dropped.push({ table, partition });
  }
  return result;
}
