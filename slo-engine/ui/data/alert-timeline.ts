// The alert timeline of one SLO: for each alert kind, when it was firing (from the alert status the
// engine stored with every evaluation), and every notification with its delivery outcome.
import type { Clickhouse } from '../../../storage/client.ts';
import { ident, sql } from '../../../storage/sql.ts';
import { TABLES } from '../../../storage/tables.ts';
import { deliveryOutcomes, type NotificationAttempt, type Notification } from './derived.ts';

export interface Segment {
  /** Epoch seconds (window ends of the evaluations). */
  from: number;
  to: number;
  firing: boolean;
}

export interface Transition {
  at: number;
  kind: string;
  status: 'firing' | 'resolved';
}

export interface AlertTimeline {
  lanes: { kind: string; segments: Segment[] }[];
  transitions: Transition[];
  notifications: Notification[];
}

/**
 * Changes only: the sorted (window end, firing) points of each kind are reduced in ClickHouse to
 * the first point and every change, plus the last point, so 30 days of 30 s ticks cost a few rows.
 * (18.16's lambdas see only their arguments, hence `d` passed in.)
 */
async function lanes(ch: Clickhouse, sloId: string, from: number, to: number): Promise<AlertTimeline['lanes']> {
  const rows = await ch.query<{ kind: string; changes: [number, number][]; last: number }>(sql`
    SELECT kind, arrayFilter((p, i, change) -> i = 1 OR change != 0, points, arrayEnumerate(points), d) AS changes, points[length(points)].1 AS last
    FROM (
      SELECT kind, arraySort(groupArray((toUInt32(window_end), toUInt8(status = 'firing')))) AS points, arrayDifference(arrayMap(p -> toInt16(p.2), points)) AS d
      FROM ${ident(TABLES.sloEvaluations)}
      ARRAY JOIN alert_kind AS kind, alert_status AS status
      WHERE slo_id = ${sloId} AND time >= toDateTime(${from}) AND time < toDateTime(${to})
      GROUP BY kind
    )
    ORDER BY kind`);
  return rows.map((r) => {
    const changes = r.changes.map(([t, f]) => ({ at: Number(t), firing: Number(f) === 1 }));
    const segments = changes.map((c, i) => ({ from: c.at, to: changes[i + 1]?.at ?? Number(r.last), firing: c.firing }));
    return { kind: r.kind, segments };
  });
}

async function notificationAttempts(ch: Clickhouse, sloId: string, from: number, to: number): Promise<NotificationAttempt[]> {
  const rows = await ch.query<{ time: number; kind: string; event: string; channel: string; dedup_key: string; replica: string; outcome: string; http_status: number; attempts: number; error: string }>(sql`
    SELECT toUInt32(time) AS time, kind, event, channel, dedup_key, replica, outcome, http_status, attempts, error
    FROM ${ident(TABLES.sloNotifications)}
    WHERE slo_id = ${sloId} AND time >= toDateTime(${from}) AND time < toDateTime(${to})
    ORDER BY time
    LIMIT 10000`);
  return rows.map((r) => ({ time: Number(r.time), kind: r.kind, event: r.event, channel: r.channel, dedupKey: r.dedup_key, replica: r.replica, outcome: r.outcome, httpStatus: Number(r.http_status), attempts: Number(r.attempts), error: r.error }));
}

export async function alertTimeline(ch: Clickhouse, sloId: string, range: { from: number; to: number }, now: number): Promise<AlertTimeline> {
  const [kindLanes, attempts] = await Promise.all([lanes(ch, sloId, range.from, range.to), notificationAttempts(ch, sloId, range.from, range.to)]);
  const transitions: Transition[] = kindLanes
    .flatMap((lane) => lane.segments.slice(1).map((s) => ({ at: s.from, kind: lane.kind, status: s.firing ? ('firing' as const) : ('resolved' as const) })))
    .sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
  return { lanes: kindLanes, transitions, notifications: deliveryOutcomes(attempts, now) };
}
