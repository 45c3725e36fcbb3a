// Where a table's rows physically are, for the statements that act on parts and partitions
// (retention, OPTIMIZE, the SLO engine's part listing). On one server: the table itself and
// system.parts. In a cluster: the local tables, listed on every shard through cluster(), which
// reads each shard's first live replica (load_balancing = in_order, storage/cluster/settings.ts) —
// the replica every burnrate read of that shard goes to. 18.16 has no clusterAllReplicas().
import type { ClickHouseSettings } from '@clickhouse/client';
import type { Clickhouse } from '../client.ts';
import { identifier, literal, raw, type SqlFragment } from '../sql.ts';
import { localTableName } from './ddl.ts';

/** The connection's database and cluster: all these helpers need. */
export type Placement = Pick<Clickhouse, 'database' | 'cluster'>;

/** The table holding the parts of `table` (its `_local` table in a cluster). */
export function partsTable(ch: Placement, table: string): string {
  return ch.cluster ? localTableName(table) : table;
}

/** `system.parts`, or every shard's `system.parts` in a cluster. */
export function partsSource(ch: Placement): SqlFragment {
  return ch.cluster ? raw(`cluster(${literal(ch.cluster)}, system, parts)`) : raw('system.parts');
}

/** `ALTER TABLE t` / `OPTIMIZE TABLE t`'s target: the table, or `db.t_local ON CLUSTER c`. */
export function partsTarget(ch: Placement, table: string): string {
  return ch.cluster ? `${identifier(ch.database)}.${identifier(localTableName(table))} ON CLUSTER ${identifier(ch.cluster)}` : identifier(table);
}

/**
 * Appended to a GROUP BY over partsSource(): in a cluster, each shard groups its own parts and the
 * rows are only collected (`HAVING count() > 1` means "on one shard"); nothing on one server.
 */
export function perShardGrouping(ch: Placement): SqlFragment {
  return raw(ch.cluster ? ' SETTINGS distributed_group_by_no_merge = 1' : '');
}

/** Settings for OPTIMIZE in a cluster: queued on every node, not awaited (a node that is down would hold the caller up to distributed_ddl_task_timeout). */
export function optimizeSettings(ch: Placement): ClickHouseSettings | undefined {
  return ch.cluster ? { distributed_ddl_task_timeout: '0' } : undefined;
}
