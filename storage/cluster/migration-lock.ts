// One migrator at a time on a cluster, through ZooKeeper's distributed DDL queue.
//
// Taking the lock is `CREATE TABLE <db>.schema_migrations_lock ON CLUSTER c` without IF NOT EXISTS.
// Every ON CLUSTER statement is a sequential node in one ZooKeeper queue that each node executes in
// queue order, so of two migrators' CREATEs the first succeeds on every node and the second fails on
// every node with code 57 (table already exists): exactly one holds the lock. Releasing it is
// `DROP TABLE ... ON CLUSTER`, queued the same way (a node that is down applies it when it is back).
// The lock records who took it and when in its columns' defaults, readable on any node.
//
// A migrator killed while holding the lock leaves it behind; the next one waits for it, then stops
// and prints the statement that removes it. Nothing breaks it automatically: only a person knows
// that no migrator runs any more.
import { hostname } from 'node:os';
import type { Clickhouse } from '../client.ts';
import { clickhouseErrorCode } from '../errors.ts';
import { identifier, literal, sql } from '../sql.ts';

export const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';
const TABLE_ALREADY_EXISTS = 57;

export interface LockOptions {
  /** How long to wait for another migrator (default 10 minutes). */
  waitMs?: number;
  pollMs?: number;
  log?: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

function lockTable(ch: Clickhouse): string {
  return `${identifier(ch.database)}.${identifier(MIGRATION_LOCK_TABLE)}`;
}

export function releaseStatement(ch: Clickhouse, cluster: string): string {
  return `DROP TABLE IF EXISTS ${lockTable(ch)} ON CLUSTER ${identifier(cluster)}`;
}

async function holder(ch: Clickhouse): Promise<string> {
  const rows = await ch.query<{ name: string; value: string }>(
    sql`SELECT name, default_expression AS value FROM system.columns WHERE database = ${ch.database} AND table = ${MIGRATION_LOCK_TABLE}`,
  );
  const owner = rows.find((r) => r.name === 'owner')?.value ?? '';
  const since = rows.find((r) => r.name === 'since')?.value ?? '';
  return owner ? `${owner.replace(/^'|'$/g, '')} since ${since.replace(/^'|'$/g, '')}` : 'unknown';
}

/** Runs `work` holding the cluster-wide migration lock. */
export async function withMigrationLock<T>(ch: Clickhouse, cluster: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + (options.waitMs ?? 600_000);
  const owner = `${hostname()} pid ${process.pid}`;
  const since = new Date().toISOString().replace('T', ' ').slice(0, 19);
  const take = `CREATE TABLE ${lockTable(ch)} ON CLUSTER ${identifier(cluster)} (
    owner String DEFAULT ${literal(owner)},
    since String DEFAULT ${literal(`${since} UTC`)}
  ) ENGINE = Log`;
  let announced = false;
  for (;;) {
    try {
      await ch.command(take);
      break;
    } catch (err) {
      if (clickhouseErrorCode(err) !== TABLE_ALREADY_EXISTS) throw err;
      const who = await holder(ch).catch(() => 'unknown');
      if (Date.now() > deadline) {
        throw new Error(
          `another migrator holds the lock of cluster ${cluster} (${who}). If none is running any more, remove the lock with: ${releaseStatement(ch, cluster)}`,
        );
      }
      if (!announced) options.log?.(`waiting for another migrator (${who})`);
      announced = true;
      await sleep(options.pollMs ?? 1000);
    }
  }
  try {
    return await work();
  } finally {
    await ch.command(releaseStatement(ch, cluster));
  }
}
