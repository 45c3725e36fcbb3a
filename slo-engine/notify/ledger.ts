// Every notification attempt is a row in `slo_notifications`. The same rows keep several engine
// replicas from notifying twice: each delivery has a deterministic dedup key (transition + channel);
// a replica inserts a `claimed` row stamped with the server's now(), waits `settleMs` (> 1 s, the
// resolution of now()), and sends only if no `sent` row exists and its claim is the earliest live
// one (by time, then replica id). A claim older than the lease no longer blocks (its replica died).
import { createHash } from 'node:crypto';
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import type { Transition } from '../alerts/state-machine.ts';
import { inSet } from '../sli/sql-set.ts';

export interface LedgerEntry {
  key: string;
  sloId: string;
  kind: string;
  event: string;
  channel: string;
}

export function dedupKey(t: Transition, channelId: string): string {
  return createHash('sha256').update([t.sloId, t.kind, t.status, t.startsAt, t.at, channelId].join('\u0000')).digest('hex').slice(0, 32);
}

export async function record(
  ch: Clickhouse,
  entries: readonly (LedgerEntry & { outcome: 'claimed' | 'sent' | 'failed' | 'skipped'; httpStatus?: number; attempts?: number; error?: string })[],
  replica: string,
): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map(
    (e) => sql`(now(), ${e.sloId}, ${e.kind}, ${e.event}, ${e.channel}, ${e.key}, ${replica}, ${e.outcome}, ${e.httpStatus ?? 0}, ${Math.min(255, e.attempts ?? 0)}, ${e.error ?? ''})`,
  );
  await ch.command(
    sql`INSERT INTO ${ident(TABLES.sloNotifications)} (time, slo_id, kind, event, channel, dedup_key, replica, outcome, http_status, attempts, error) VALUES ${joinSql(rows, ', ')}`,
  );
}

/** Claims the entries and returns the keys this replica won. */
export async function claim(ch: Clickhouse, entries: readonly LedgerEntry[], replica: string, options: { settleMs: number; leaseSeconds: number; sleep?: (ms: number) => Promise<void> }): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const keys = entries.map((e) => e.key);
  // Already delivered (a restart, or a slower replica): do not even claim.
  const sent = await ch.query<{ dedup_key: string }>(sql`SELECT DISTINCT dedup_key FROM ${ident(TABLES.sloNotifications)} WHERE dedup_key IN ${inSet(keys)} AND outcome = 'sent'`);
  const done = new Set(sent.map((r) => r.dedup_key));
  const todo = entries.filter((e) => !done.has(e.key));
  if (todo.length === 0) return new Set();
  await record(ch, todo.map((e) => ({ ...e, outcome: 'claimed' as const })), replica);
  if (options.settleMs > 0) await (options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(options.settleMs);
  const rows = await ch.query<{ dedup_key: string; outcome: string; replica: string; t: number }>(
    sql`SELECT dedup_key, outcome, replica, toUInt32(time) AS t FROM ${ident(TABLES.sloNotifications)}
      WHERE dedup_key IN ${inSet(todo.map((e) => e.key))} AND (outcome = 'sent' OR (outcome = 'claimed' AND time >= now() - ${options.leaseSeconds}))`,
  );
  const winners = new Map<string, { t: number; replica: string; sent: boolean }>();
  for (const r of rows) {
    const cur = winners.get(r.dedup_key);
    const t = Number(r.t);
    if (r.outcome === 'sent') winners.set(r.dedup_key, { t, replica: r.replica, sent: true });
    else if (!cur || (!cur.sent && (t < cur.t || (t === cur.t && r.replica < cur.replica)))) winners.set(r.dedup_key, { t, replica: r.replica, sent: false });
  }
  return new Set(todo.filter((e) => { const w = winners.get(e.key); return w && !w.sent && w.replica === replica; }).map((e) => e.key));
}
