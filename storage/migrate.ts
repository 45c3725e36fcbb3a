import type { Clickhouse } from './client.ts';
import type { Migration } from './migrations/types.ts';
import { ALL_MIGRATIONS } from './migrations/index.ts';
import { TABLES } from './tables.ts';
import { ident, identifier, literal, sql } from './sql.ts';
import { renderStep, shardingKeysOf, SINGLE_NODE, type SchemaTarget } from './cluster/ddl.ts';
import { withMigrationLock } from './cluster/migration-lock.ts';

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

export interface MigrateOptions {
  /** Cluster mode: how long to wait for another migrator's lock (default 10 minutes). */
  lockWaitMs?: number;
}

/** The migrations table on one server. Its text is part of the single-node schema: never change it. */
export const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${TABLES.migrations} (
    version UInt32,
    name String,
    applied_at DateTime
  ) ENGINE = MergeTree() ORDER BY version`;

/**
 * In a cluster: one replica of the migrations table on every node (a single "shard" named `all`;
 * the replica name `{shard}_{replica}` is unique on every node), so each node knows what was applied.
 */
export function clusterMigrationsTableDdl(database: string, cluster: string): string {
  return `CREATE TABLE IF NOT EXISTS ${identifier(database)}.${identifier(TABLES.migrations)} ON CLUSTER ${identifier(cluster)} (
    version UInt32,
    name String,
    applied_at DateTime
  ) ENGINE = ReplicatedMergeTree(${literal(`/clickhouse/${cluster}/tables/all/${database}/${TABLES.migrations}`)}, '{shard}_{replica}') ORDER BY version`;
}

export function schemaTargetOf(ch: Clickhouse): SchemaTarget {
  return ch.cluster ? { kind: 'cluster', cluster: ch.cluster, database: ch.database } : SINGLE_NODE;
}

/**
 * Applies every migration not yet recorded in the migrations table, in version order.
 * Statements are idempotent, so a run interrupted half-way is simply run again.
 *
 * Cluster mode: every statement runs ON CLUSTER; the whole run holds the cluster's migration lock
 * (storage/cluster/migration-lock.ts), and reads what was applied only after this node's replica of
 * the migrations table has caught up (SYSTEM SYNC REPLICA): a second migrator, started at the same
 * time anywhere, waits and then finds everything applied. No step runs twice.
 */
export async function migrate(
  ch: Clickhouse,
  migrations: Migration[] = ALL_MIGRATIONS,
  log: (line: string) => void = () => {},
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions: ${versions.join(', ')}`);
  const target = schemaTargetOf(ch);
  const apply = async (): Promise<MigrateResult> => {
    const done = new Set((await ch.query<{ version: number }>(`SELECT DISTINCT version FROM ${TABLES.migrations}`)).map((r) => Number(r.version)));
    const serverVersion = await ch.serverVersion();
    const steps = migrations.map((m) => ({ migration: m, steps: m.up({ serverVersion }) }));
    // An ALTER that changes columns recreates the Distributed table with the key its table was created with.
    const keys = shardingKeysOf(steps.flatMap((s) => s.steps));
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const { migration, steps: todo } of [...steps].sort((a, b) => a.migration.version - b.migration.version)) {
      if (done.has(migration.version)) {
        result.alreadyApplied.push(migration.version);
        continue;
      }
      for (const step of todo) for (const statement of renderStep(step, target, keys)) await ch.command(statement);
      await ch.command(sql`INSERT INTO ${ident(TABLES.migrations)} (version, name, applied_at) VALUES (${migration.version}, ${migration.name}, now())`);
      log(`applied migration ${migration.version}: ${migration.name}`);
      result.applied.push(migration.version);
    }
    return result;
  };
  if (target.kind === 'single') {
    await ch.command(MIGRATIONS_TABLE_DDL);
    return apply();
  }
  await ch.command(clusterMigrationsTableDdl(target.database, target.cluster));
  return withMigrationLock(
    ch,
    target.cluster,
    async () => {
      await ch.command(`SYSTEM SYNC REPLICA ${identifier(target.database)}.${identifier(TABLES.migrations)}`);
      return apply();
    },
    { waitMs: options.lockWaitMs, log },
  );
}
