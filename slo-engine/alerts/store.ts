// Alert state in ClickHouse: one row per SLO x kind in a ReplacingMergeTree, read with FINAL.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { AlertKind, AlertState } from './state-machine.ts';
import { inSet } from '../sli/sql-set.ts';

export async function loadAlertStates(ch: Clickhouse, sloIds: readonly string[]): Promise<AlertState[]> {
  if (sloIds.length === 0) return [];
  const rows = await ch.query<{ slo_id: string; kind: string; status: string; since: number; updated: number; no_data_since: number }>(
    sql`SELECT slo_id, kind, status, toUInt32(since) AS since, toUInt32(updated) AS updated, toUInt32(no_data_since) AS no_data_since
      FROM ${ident(TABLES.sloAlertState)} FINAL WHERE slo_id IN ${inSet(sloIds)}`,
  );
  return rows.map((r) => ({
    sloId: r.slo_id,
    kind: r.kind as AlertKind,
    status: r.status === 'firing' ? 'firing' : 'inactive',
    since: Number(r.since),
    updated: Number(r.updated),
    noDataSince: Number(r.no_data_since),
  }));
}

export async function saveAlertStates(ch: Clickhouse, states: readonly AlertState[], version: number): Promise<void> {
  await ch.insertJson(
    TABLES.sloAlertState,
    states.map((s) => ({ slo_id: s.sloId, kind: s.kind, status: s.status, since: s.since, updated: s.updated, no_data_since: s.noDataSince, version })),
  );
}
