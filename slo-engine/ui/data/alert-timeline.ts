// The alert timeline of one SLO: for each alert kind, when it was firing (from the alert status the
// engine stored with every evaluation), and every notification with its delivery state as the
// outbox holds it (data.ts, the same read as `status` and the API).
import type { Clickhouse } from '../../../storage/client.ts';
import { ident, sql } from '../../../storage/sql.ts';
import { TABLES } from '../../../storage/tables.ts';
import { notificationsBySlo } from '../../data.ts';
import type { NotificationView } from '../../views.ts';

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
  /** Notifications of transitions in the range, oldest first. */
  notifications: NotificationView[];
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

/** More than any range shows in practice (a transition and a resolve per channel): the table stays bounded. */
const MAX_NOTIFICATIONS = 500;

export async function alertTimeline(ch: Clickhouse, sloId: string, range: { from: number; to: number }): Promise<AlertTimeline> {
  const [kindLanes, notes] = await Promise.all([lanes(ch, sloId, range.from, range.to), notificationsBySlo(ch, [sloId], range.from, range.to, MAX_NOTIFICATIONS)]);
  const transitions: Transition[] = kindLanes
    .flatMap((lane) => lane.segments.slice(1).map((s) => ({ at: s.from, kind: lane.kind, status: s.firing ? ('firing' as const) : ('resolved' as const) })))
    .sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
  return { lanes: kindLanes, transitions, notifications: [...(notes.get(sloId) ?? [])].sort((a, b) => a.transitionAt.localeCompare(b.transitionAt) || a.channel.localeCompare(b.channel)) };
}
