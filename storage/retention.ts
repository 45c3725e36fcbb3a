import { versionAtLeast, type Clickhouse } from './client.ts';
import { DAY_PARTITIONED_TABLES } from './tables.ts';
import { sql } from './sql.ts';
import { partsSource, partsTable, partsTarget, type Placement } from './cluster/parts.ts';

export interface RetentionOptions {
  now?: Date;
  tables?: readonly string[];
  /** List what would be dropped, drop nothing. */
  dryRun?: boolean;
}

export interface RetentionResult {
  /** The first day kept, YYYYMMDD in the server's time zone (partition ids follow that zone). */
  keepFrom: number;
  dropped: { table: string; partition: string }[];
  /** Partitions that could not be dropped; the others were dropped all the same. */
  failed: { table: string; partition: string; error: string }[];
}

/**
 * The first day to keep when keeping `days` days up to `now`, as the server names days: partitions
 * come from toYYYYMMDD() in the server's time zone, so the cut is computed there too.
 */
export async function firstKeptDay(ch: Clickhouse, now: Date, days: number): Promise<number> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`retention days must be a positive integer, got ${days}`);
  const seconds = Math.floor(now.getTime() / 1000);
  const [row] = await ch.query<{ day: string }>(sql`SELECT toString(toYYYYMMDD(toDate(toDateTime(${seconds})) - ${days - 1})) AS day`);
  return Number(row!.day);
}

const ONE_SERVER: Placement = { database: '', cluster: undefined };

/**
 * `max_partition_size_to_drop` (50 GB by default) can be lifted per query since 23.12; before, only in
 * the server config. In a cluster the partition is dropped from the local table on every shard.
 */
export function dropPartitionStatement(table: string, partition: string, serverVersion: string, placement: Placement = ONE_SERVER): string {
  const statement = `ALTER TABLE ${partsTarget(placement, table)} DROP PARTITION ${partition}`;
  return versionAtLeast(serverVersion, '23.12') ? `${statement} SETTINGS max_partition_size_to_drop = 0` : statement;
}

/**
 * Drops day partitions older than `days` days (TTL does not exist on 18.16). One failure does not stop
 * the rest. In a cluster: the partitions of every shard, dropped ON CLUSTER (every node must be up,
 * or the statement waits distributed_ddl_task_timeout and is reported failed; the next run retries).
 */
export async function applyRetention(ch: Clickhouse, days: number, options: RetentionOptions = {}): Promise<RetentionResult> {
  const keepFrom = await firstKeptDay(ch, options.now ?? new Date(), days);
  const tables = options.tables ?? DAY_PARTITIONED_TABLES;
  const result: RetentionResult = { keepFrom, dropped: [], failed: [] };
  const byStored = new Map(tables.map((t) => [partsTable(ch, t), t]));
  const parts = await ch.query<{ table: string; partition: string }>(
    sql`SELECT DISTINCT table, partition FROM ${partsSource(ch)} WHERE database = ${ch.database} AND active AND has(${[...byStored.keys()]}, table) ORDER BY table, partition`,
  );
  const version = await ch.serverVersion();
  for (const { table: stored, partition } of parts) {
    const table = byStored.get(stored) ?? stored;
    // Day partitions print as YYYYMMDD; anything else is not ours to drop.
    if (!/^\d{8}$/.test(partition) || Number(partition) >= keepFrom) continue;
    if (options.dryRun) {
      result.dropped.push({ table, partition });
      continue;
    }
    try {
      await ch.command(dropPartitionStatement(table, partition, version, ch));
      result.dropped.push({ table, partition });
    } catch (err) {
      result.failed.push({ table, partition, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) });
    }
  }
  return result;
}
