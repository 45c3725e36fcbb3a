// The notification outbox (`slo_outbox`). Every notification — one per transition (or repeat) and
// channel — is stored as pending *before* anything is sent, by the tick that computed it, and the
// deliverer (deliverer.ts) sends it later, retrying across ticks and restarts until the receiver
// accepts it or it is older than the age limit.
//
// Protocol:
// - The dedup key is deterministic: (SLO, kind, event, `since` of the state the alert left, repeat
//   number, channel). Replicas stepping from the same stored state compute the same key whatever
//   minute they evaluate, so a transition is one outbox entry however many replicas saw it.
// - An entry is a series of rows; the row with the highest version is its state. Only the replica
//   that won the claim for attempt n (claims.ts) writes the rows of attempt n, with version
//   n x 4 + rank (pending-for-retry 0, sent 1, rejected 2, expired/superseded 3); the enqueued row
//   has version 0. So a late duplicate enqueue never revives a delivered entry, and rows are read
//   with argMax, never FINAL + WHERE (which on 18.16 may filter before replacing).
// - Per SLO, kind and channel, entries go out in transition order: a firing that is still being
//   retried holds back its resolve; a pending repeat is dropped (superseded) once a newer entry waits.
import { createHash } from 'node:crypto';
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql, type SqlFragment } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { AlertKind, Transition } from '../alerts/state-machine.ts';
import { inSet } from '../sli/sql-set.ts';
import { fromJson, toJson } from '../spec/json.ts';
import type { AlertNotice } from './notice.ts';
import type { AttemptResult } from './send.ts';

export type OutboxEvent = 'firing' | 'resolved' | 'repeat';
export type OutboxStatus = 'pending' | 'sent' | 'rejected' | 'expired' | 'superseded';

export interface OutboxEntry {
  key: string;
  sloId: string;
  kind: AlertKind;
  event: OutboxEvent;
  channel: string;
  /** Window end of the transition (or when the repeat became due), epoch s: the delivery order. */
  transitionAt: number;
  /** What the age limit counts from (epoch s); the same as transitionAt. */
  created: number;
  notice: AlertNotice;
}

export interface OutboxState extends OutboxEntry {
  status: OutboxStatus;
  attempts: number;
  nextAttempt: number;
}

/** What a notification is about: a transition, or the n-th repeat of an alert firing since `since`. */
export type NotificationIdentity =
  | Pick<Transition, 'sloId' | 'kind' | 'status' | 'previousSince'>
  | { sloId: string; kind: AlertKind; status: 'repeat'; since: number; repeat: number };

export function dedupKey(n: NotificationIdentity, channelId: string): string {
  const parts = n.status === 'repeat' ? [n.sloId, n.kind, 'repeat', n.since, n.repeat, channelId] : [n.sloId, n.kind, n.status, n.previousSince, channelId];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

const RANK: Record<Exclude<OutboxStatus, 'pending'>, number> = { sent: 1, rejected: 2, expired: 3, superseded: 3 };
/** Row version of the state after attempt `attempt` (see the protocol above). */
export const outboxVersion = (attempt: number, status: OutboxStatus) => attempt * 4 + (status === 'pending' ? 0 : RANK[status]);

function row(e: OutboxEntry, state: { status: OutboxStatus; attempts: number; nextAttempt: number; httpStatus: number; error: string; version: number }, replica: string, now: number) {
  return {
    dedup_key: e.key,
    slo_id: e.sloId,
    kind: e.kind,
    event: e.event,
    channel: e.channel,
    transition_at: e.transitionAt,
    created: e.created,
    // Every row carries the notice: a merge keeps only the newest row of a key.
    payload: toJson(e.notice),
    status: state.status,
    attempts: state.attempts,
    next_attempt: state.nextAttempt,
    http_status: state.httpStatus,
    error: state.error,
    replica,
    updated: now,
    version: String(state.version),
  };
}

/** Stores entries as pending unless their key is already in the outbox. Returns the new ones. */
export async function enqueue(ch: Clickhouse, entries: readonly OutboxEntry[], replica: string, now: number): Promise<OutboxEntry[]> {
  if (entries.length === 0) return [];
  const known = await ch.query<{ dedup_key: string }>(sql`SELECT DISTINCT dedup_key FROM ${ident(TABLES.sloOutbox)} WHERE dedup_key IN ${inSet(entries.map((e) => e.key))}`);
  const seen = new Set(known.map((r) => r.dedup_key));
  const fresh: OutboxEntry[] = [];
  for (const e of entries) {
    if (seen.has(e.key)) continue;
    seen.add(e.key);
    fresh.push(e);
  }
  await ch.insertJson(TABLES.sloOutbox, fresh.map((e) => row(e, { status: 'pending', attempts: 0, nextAttempt: e.created, httpStatus: 0, error: '', version: 0 }, replica, now)));
  return fresh;
}

interface StateRow {
  dedup_key: string;
  slo_id: string;
  kind: string;
  event: string;
  channel: string;
  transition_at: number;
  created: number;
  payload: string;
  status: string;
  attempts: number;
  next_attempt: number;
}

const STATE_COLUMNS = sql`dedup_key, any(slo_id) AS slo_id, any(kind) AS kind, any(event) AS event, any(channel) AS channel,
  toUInt32(any(transition_at)) AS transition_at, toUInt32(any(created)) AS created, argMax(payload, version) AS payload,
  argMax(status, version) AS status, argMax(attempts, version) AS attempts, toUInt32(argMax(next_attempt, version)) AS next_attempt`;

/**
 * The state of each entry whose rows match `where`. The filter sits in a subquery: the aggregates
 * are aliased to their column names, which 18.16 would otherwise substitute into the WHERE.
 */
const states = (where: SqlFragment, extra: SqlFragment = sql``) =>
  sql`SELECT ${STATE_COLUMNS}${extra} FROM (SELECT * FROM ${ident(TABLES.sloOutbox)} WHERE ${where}) GROUP BY dedup_key`;

const toState = (r: StateRow): OutboxState => ({
  key: r.dedup_key,
  sloId: r.slo_id,
  kind: r.kind as AlertKind,
  event: r.event as OutboxEvent,
  channel: r.channel,
  transitionAt: Number(r.transition_at),
  created: Number(r.created),
  notice: fromJson<AlertNotice>(r.payload),
  status: r.status as OutboxStatus,
  attempts: Number(r.attempts),
  nextAttempt: Number(r.next_attempt),
});

/** How far back pending entries are looked for: the age limit plus a week of engine downtime. */
export const PENDING_LOOKBACK_SECONDS = 7 * 86_400;

/** Every entry still pending (created within the age limit plus PENDING_LOOKBACK_SECONDS). */
export async function readPending(ch: Clickhouse, now: number, maxAgeSeconds: number): Promise<OutboxState[]> {
  const rows = await ch.query<StateRow>(sql`${states(sql`created >= toDateTime(${Math.max(0, now - maxAgeSeconds - PENDING_LOOKBACK_SECONDS)})`)} HAVING status = 'pending'`);
  return rows.map(toState);
}

/** Current state of the given keys. */
export async function readStates(ch: Clickhouse, keys: readonly string[]): Promise<Map<string, OutboxState>> {
  if (keys.length === 0) return new Map();
  const rows = await ch.query<StateRow>(states(sql`dedup_key IN ${inSet(keys)}`));
  return new Map(rows.map((r) => [r.dedup_key, toState(r)]));
}

/** Recent entries of some SLOs, newest first: what `status`, the API and a UI show about delivery. */
export async function recentNotifications(ch: Clickhouse, sloIds: readonly string[], since: number, until: number, limit = 20): Promise<(OutboxState & { httpStatus: number; error: string; updated: number })[]> {
  if (sloIds.length === 0) return [];
  const rows = await ch.query<StateRow & { http_status: number; error: string; updated: number }>(
    sql`${states(
      sql`slo_id IN ${inSet(sloIds)} AND created >= toDateTime(${since}) AND created <= toDateTime(${until})`,
      sql`, argMax(http_status, version) AS http_status, argMax(error, version) AS error, toUInt32(max(updated)) AS updated`,
    )} ORDER BY transition_at DESC, channel, dedup_key LIMIT ${limit * sloIds.length}`,
  );
  return rows.map((r) => ({ ...toState(r), httpStatus: Number(r.http_status), error: r.error, updated: Number(r.updated) }));
}

export interface RetryPolicy {
  /** First retry delay; doubles per attempt (default 10 s). */
  baseDelaySeconds: number;
  /** Longest delay between attempts (default 10 min). */
  maxDelaySeconds: number;
  /** Longest Retry-After honoured (default 1 h). */
  maxRetryAfterSeconds: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseDelaySeconds: 10, maxDelaySeconds: 600, maxRetryAfterSeconds: 3600 };

/** The entry's state after attempt `attempt` with `result` at `now` (epoch s). Pure. */
export function afterAttempt(result: AttemptResult, attempt: number, now: number, policy: RetryPolicy = DEFAULT_RETRY): { status: OutboxStatus; nextAttempt: number } {
  if (result.ok) return { status: 'sent', nextAttempt: now };
  if (result.permanent) return { status: 'rejected', nextAttempt: now };
  const backoff = Math.min(policy.maxDelaySeconds, policy.baseDelaySeconds * 2 ** (attempt - 1));
  const delay = result.retryAfterMs !== undefined ? Math.min(policy.maxRetryAfterSeconds, Math.ceil(result.retryAfterMs / 1000)) : backoff;
  return { status: 'pending', nextAttempt: now + delay };
}

export type Action = { entry: OutboxState; action: 'send' | 'expire' | 'supersede' };

/**
 * What to do now with the pending entries (pure): per SLO, kind and channel only the oldest entry
 * may go out (transition order); a repeat with a newer entry behind it is superseded; an entry
 * older than the age limit expires; otherwise it is sent once its next attempt is due.
 */
export function planDeliveries(pending: readonly OutboxState[], now: number, maxAgeSeconds: number, busy: ReadonlySet<string> = new Set()): Action[] {
  const order = (e: OutboxState) => [e.transitionAt, e.event === 'resolved' ? 2 : e.event === 'repeat' ? 1 : 0] as const;
  const groups = new Map<string, OutboxState[]>();
  for (const e of pending) {
    const g = `${e.sloId}\u0000${e.kind}\u0000${e.channel}`;
    groups.set(g, [...(groups.get(g) ?? []), e]);
  }
  const actions: Action[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1] || a.key.localeCompare(b.key));
    const first = group[0]!;
    if (busy.has(first.key)) continue;
    if (now - first.created > maxAgeSeconds) actions.push({ entry: first, action: 'expire' });
    else if (first.event === 'repeat' && group.length > 1) actions.push({ entry: first, action: 'supersede' });
    else if (first.nextAttempt <= now) actions.push({ entry: first, action: 'send' });
  }
  return actions;
}

/** Writes the state after attempt `attempt` (outbox row) and the attempt log row (`slo_notifications`). */
export async function recordOutcome(
  ch: Clickhouse,
  entry: OutboxEntry,
  outcome: { attempt: number; status: OutboxStatus; nextAttempt: number; httpStatus: number; error: string },
  replica: string,
  now: number,
): Promise<void> {
  const version = outboxVersion(outcome.attempt, outcome.status);
  const attempts = outcome.status === 'expired' || outcome.status === 'superseded' ? outcome.attempt - 1 : outcome.attempt;
  await ch.insertJson(TABLES.sloOutbox, [row(entry, { status: outcome.status, attempts, nextAttempt: outcome.nextAttempt, httpStatus: outcome.httpStatus, error: outcome.error, version }, replica, now)]);
  // The human log the dashboards show: one row per attempt or decision.
  const logged = outcome.status === 'pending' ? 'failed' : outcome.status;
  await ch.command(
    sql`INSERT INTO ${ident(TABLES.sloNotifications)} (time, slo_id, kind, event, channel, dedup_key, replica, outcome, http_status, attempts, error) VALUES
      ${joinSql([sql`(now(), ${entry.sloId}, ${entry.kind}, ${entry.event}, ${entry.channel}, ${entry.key}, ${replica}, ${logged}, ${outcome.httpStatus}, ${Math.min(255, attempts)}, ${outcome.error})`], ', ')}`,
  );
}
