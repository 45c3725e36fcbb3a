// One description of each schema step, rendered for one server or for a cluster.
//
// Single node: exactly the statements burnrate always ran (test/unit/cluster-ddl.test.ts holds them
// to a snapshot taken before this builder existed).
//
// Cluster `c`, database `db` (every statement `ON CLUSTER`, so ZooKeeper's distributed DDL queue
// runs it on every node, in one order):
// - a table `t` becomes `db.t_local` on every node, with the Replicated variant of its engine, its
//   parts replicated within the shard under the ZooKeeper path
//   `/clickhouse/<c>/tables/{shard}/<db>/t_local` by replica `{replica}` (both macros from each
//   node's <macros>), plus `db.t`, a Distributed table over every shard's `t_local` with the table's
//   sharding key. Code, dashboards and the SLO engine keep reading and writing `t`.
// - a materialized view reads the local source table and writes the local target table, so every
//   shard rolls up its own rows.
// - an ALTER changes the local tables; when it changes columns the Distributed table is recreated
//   over them (18.16 refuses ALTER ... ON CLUSTER on a non-replicated table in a replicated cluster).
import { identifier, literal } from '../sql.ts';

export type EngineFamily = 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree';

export interface TableStep {
  kind: 'table';
  name: string;
  /** The column list as written between the parentheses (whitespace included: it is the single-node text). */
  columns: string;
  engine: EngineFamily;
  /** Engine arguments after the Replicated ones, e.g. the version column of a ReplacingMergeTree. */
  engineArgs?: string;
  partitionBy?: string;
  orderBy: string;
  /**
   * Where a row goes in a cluster (an integer expression over the columns). Rows that are read or
   * deduplicated together must land on one shard: FINAL and ReplacingMergeTree merges work within a shard.
   */
  shardingKey: string;
}

export interface ViewStep {
  kind: 'view';
  name: string;
  to: string;
  from: string;
  /** The SELECT of the view, reading `source` (the table name as this target spells it). */
  select: (source: string) => string;
}

export interface AlterStep {
  kind: 'alter';
  table: string;
  /** What follows `ALTER TABLE t`, e.g. `ADD COLUMN x String`, `ADD INDEX ...`, `MODIFY SETTING ...`. */
  clause: string;
}

export type SchemaStep = TableStep | ViewStep | AlterStep;

export type SchemaTarget = { kind: 'single' } | { kind: 'cluster'; cluster: string; database: string };

export const SINGLE_NODE: SchemaTarget = { kind: 'single' };

/** The per-node table behind a Distributed table in cluster mode. */
export function localTableName(table: string): string {
  return `${table}_local`;
}

/** The ZooKeeper path of a sharded table's replicas (documented in README "Running on a cluster"). */
export function replicatedPath(cluster: string, database: string, localTable: string): string {
  return `/clickhouse/${cluster}/tables/{shard}/${database}/${localTable}`;
}

/** Lets a retried insert be recognised on the shards that already took it (see README); 18.16 keeps 100. */
export const DEDUPLICATION_WINDOW = 1000;

/** Steps that change the column set, after which the Distributed table is recreated over the local one. */
const CHANGES_COLUMNS = /^\s*(ADD|DROP|MODIFY|RENAME|CLEAR|COMMENT)\s+COLUMN\b/i;

export function table(step: Omit<TableStep, 'kind'>): TableStep {
  return { kind: 'table', ...step };
}

export function view(step: Omit<ViewStep, 'kind'>): ViewStep {
  return { kind: 'view', ...step };
}

export function alter(tableName: string, clause: string): AlterStep {
  return { kind: 'alter', table: tableName, clause };
}

/** The sharding key of each table, for recreating its Distributed table after a column change. */
export type ShardingKeys = ReadonlyMap<string, string>;

export function shardingKeysOf(steps: readonly SchemaStep[]): Map<string, string> {
  const keys = new Map<string, string>();
  for (const step of steps) if (step.kind === 'table') keys.set(step.name, step.shardingKey);
  return keys;
}

export function renderStep(step: SchemaStep, target: SchemaTarget, keys: ShardingKeys = new Map()): string[] {
  if (target.kind === 'single') return [renderSingle(step)];
  return renderCluster(step, target, keys);
}

function renderSingle(step: SchemaStep): string {
  switch (step.kind) {
    case 'table':
      return `CREATE TABLE IF NOT EXISTS ${step.name} (${step.columns}) ENGINE = ${step.engine}(${step.engineArgs ?? ''})${step.partitionBy ? `\n      PARTITION BY ${step.partitionBy}` : ''}\n      ORDER BY ${step.orderBy}`;
    case 'view':
      return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${step.name} TO ${step.to} AS\n        ${step.select(step.from)}`;
    case 'alter':
      return `ALTER TABLE ${step.table} ${step.clause}`;
  }
}

function renderCluster(step: SchemaStep, target: { cluster: string; database: string }, keys: ShardingKeys): string[] {
  const { cluster, database } = target;
  const qualified = (name: string) => `${identifier(database)}.${identifier(name)}`;
  const onCluster = `ON CLUSTER ${identifier(cluster)}`;
  const distributed = (name: string, shardingKey: string) =>
    `CREATE TABLE IF NOT EXISTS ${qualified(name)} ${onCluster} AS ${qualified(localTableName(name))} ENGINE = Distributed(${literal(cluster)}, ${literal(database)}, ${literal(localTableName(name))}, ${shardingKey})`;
  switch (step.kind) {
    case 'table': {
      const local = localTableName(step.name);
      const args = [literal(replicatedPath(cluster, database, local)), literal('{replica}'), ...(step.engineArgs ? [step.engineArgs] : [])].join(', ');
      return [
        `CREATE TABLE IF NOT EXISTS ${qualified(local)} ${onCluster} (${step.columns}) ENGINE = Replicated${step.engine}(${args})${step.partitionBy ? `\n      PARTITION BY ${step.partitionBy}` : ''}\n      ORDER BY ${step.orderBy}\n      SETTINGS replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`,
        distributed(step.name, step.shardingKey),
      ];
    }
    case 'view':
      return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${qualified(step.name)} ${onCluster} TO ${qualified(localTableName(step.to))} AS\n        ${step.select(qualified(localTableName(step.from)))}`];
    case 'alter': {
      const statements = [`ALTER TABLE ${qualified(localTableName(step.table))} ${onCluster} ${step.clause}`];
      if (CHANGES_COLUMNS.test(step.clause)) {
        const key = keys.get(step.table);
        if (key === undefined) throw new Error(`ALTER of ${step.table}: no sharding key known for its Distributed table (no table step creates it)`);
        statements.push(`DROP TABLE IF EXISTS ${qualified(step.table)} ${onCluster}`, distributed(step.table, key));
      }
      return statements;
    }
  }
}
