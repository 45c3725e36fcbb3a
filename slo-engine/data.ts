// What the engine recorded, read back for readers that are not the engine (`status`, the API, a UI):
// alert states with their start, the engine's last evaluation per SLO, recent notifications.
import type { Clickhouse } from '../storage/client.ts';
import { ident, sql } from '../storage/sql.ts';
import { TABLES } from '../storage/tables.ts';
import type { AlertKind, AlertState } from './alerts/state-machine.ts';
import { inSet } from './sli/sql-set.ts';
import { recentNotifications } from './notify/outbox.ts';
import { notificationView, type NotificationView } from './views.ts';

export interface RecordedStates {
  /** The alert states of the engine's last evaluation at or before the instant (within a day). */
  states: AlertState[];
  /** Per SLO: the time of that evaluation (epoch s); absent when the engine did not evaluate it that day. */
  lastEvaluation: Map<string, number>;
}

/**
 * Alert states as the engine recorded them at `at`: statuses from its last evaluation at or before
 * `at`, `since` from the transition log (0 when the transition is older than the log).
 */
export async function recordedStates(ch: Clickhouse, ids: readonly string[], at: number): Promise<RecordedStates> {
  if (ids.length === 0) return { states: [], lastEvaluation: new Map() };
  const evaluations = await ch.query<{ slo_id: string; kinds: string[]; statuses: string[]; t: number }>(
    sql`SELECT slo_id, argMax(alert_kind, time) AS kinds, argMax(alert_status, time) AS statuses, toUInt32(max(time)) AS t
      FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id IN ${inSet(ids)} AND time <= toDateTime(${at}) AND time > toDateTime(${at - 86_400}) GROUP BY slo_id`,
  );
  const transitions = await ch.query<{ slo_id: string; kind: string; status: string; t: number }>(
    sql`SELECT slo_id, kind, argMax(status, at) AS status, toUInt32(max(at)) AS t
      FROM ${ident(TABLES.sloTransitions)} WHERE slo_id IN ${inSet(ids)} AND at <= toDateTime(${at}) GROUP BY slo_id, kind`,
  );
  const last = new Map(transitions.map((r) => [`${r.slo_id}\u0000${r.kind}`, r]));
  const states = evaluations.flatMap((r) =>
    r.kinds.map((kind, i): AlertState => {
      const status = r.statuses[i] === 'firing' ? 'firing' : 'inactive';
      const t = last.get(`${r.slo_id}\u0000${kind}`);
      const agrees = t && (t.status === 'firing') === (status === 'firing');
      return { sloId: r.slo_id, kind: kind as AlertKind, status, since: agrees ? Number(t.t) : 0, updated: Number(r.t), noDataSince: 0 };
    }),
  );
  return { states, lastEvaluation: new Map(evaluations.map((r) => [r.slo_id, Number(r.t)])) };
}

/** Notifications per SLO of transitions in [since, until], newest first, at most `limit` each. */
export async function notificationsBySlo(ch: Clickhouse, ids: readonly string[], since: number, until: number, limit = 10): Promise<Map<string, NotificationView[]>> {
  const out = new Map<string, NotificationView[]>();
  for (const n of await recentNotifications(ch, ids, since, until, limit)) {
    const list = out.get(n.sloId) ?? [];
    if (list.length < limit) list.push(notificationView(n));
    out.set(n.sloId, list);
  }
  return out;
}
