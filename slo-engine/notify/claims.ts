// Replicas claim each delivery attempt before making it, so an attempt is made by one replica only
// (and none after an entry was delivered: the outbox row of the winner's attempt says so).
// A replica inserts a claim (dedup key, attempt number, its id) stamped with the server's now(),
// waits `settleMs` (> 1 s, the resolution of now()), and makes the attempt only if its claim is the
// earliest live claim for that attempt (by time, then replica id). A claim older than the lease no
// longer counts, so a replica that died after claiming does not block the entry for long. The lease
// must exceed the per-attempt timeout plus the time to record the result (default 120 s vs 10 s).
// Claims name the attempt, never the minute, so replicas ticking on either side of a minute
// boundary compete for the same claim.
import type { Clickhouse } from '../../storage/client.ts';
import { ident, joinSql, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { inSet } from '../sli/sql-set.ts';

export interface ClaimRequest {
  key: string;
  attempt: number;
}

export interface ClaimOptions {
  settleMs: number;
  leaseSeconds: number;
  sleep?: (ms: number) => Promise<void>;
}

const id = (key: string, attempt: number) => `${key}\u0000${attempt}`;

/** Claims the attempts and returns the ids (`key`, `attempt`) this replica won, as `key\0attempt`. */
export async function claimAttempts(ch: Clickhouse, requests: readonly ClaimRequest[], replica: string, options: ClaimOptions): Promise<Set<string>> {
  if (requests.length === 0) return new Set();
  await ch.command(
    sql`INSERT INTO ${ident(TABLES.sloDeliveryClaims)} (time, dedup_key, attempt, replica) VALUES ${joinSql(requests.map((r) => sql`(now(), ${r.key}, ${r.attempt}, ${replica})`), ', ')}`,
  );
  if (options.settleMs > 0) await (options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(options.settleMs);
  const rows = await ch.query<{ dedup_key: string; attempt: number; replica: string; t: number }>(
    sql`SELECT dedup_key, attempt, replica, toUInt32(time) AS t FROM ${ident(TABLES.sloDeliveryClaims)}
      WHERE dedup_key IN ${inSet([...new Set(requests.map((r) => r.key))])} AND time >= now() - ${options.leaseSeconds}`,
  );
  const winners = new Map<string, { t: number; replica: string }>();
  for (const r of rows) {
    const k = id(r.dedup_key, Number(r.attempt));
    const cur = winners.get(k);
    const t = Number(r.t);
    if (!cur || t < cur.t || (t === cur.t && r.replica < cur.replica)) winners.set(k, { t, replica: r.replica });
  }
  return new Set(requests.map((r) => id(r.key, r.attempt)).filter((k) => winners.get(k)?.replica === replica));
}

export const claimId = id;
