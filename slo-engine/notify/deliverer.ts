// Sends what the outbox holds, apart from evaluation: the engine's tick only enqueues, and this loop
// (one `poll()` every few seconds, and right after a tick) makes at most one attempt per due entry,
// each with its own timeout, concurrently. A slow, hanging or failing receiver delays only its own
// entries; the next attempt waits for the backoff (or the receiver's Retry-After) across polls, ticks
// and restarts, until it is accepted or older than the age limit (then expired: logged and counted).
import type { Clickhouse } from '../../storage/client.ts';
import type { Router } from './channels.ts';
import { claimAttempts, claimId } from './claims.ts';
import { afterAttempt, DEFAULT_RETRY, planDeliveries, readPending, readStates, recordOutcome, type Action, type OutboxState, type OutboxStatus, type RetryPolicy } from './outbox.ts';

export interface DeliveryOutcome {
  key: string;
  sloId: string;
  kind: string;
  event: string;
  channel: string;
  /** `failed` = this attempt failed and the entry stays pending for a retry. */
  outcome: 'sent' | 'failed' | 'rejected' | 'expired' | 'superseded';
  httpStatus: number;
  attempt: number;
  error: string;
  /** Failed: when the next attempt is due (epoch s). */
  nextAttempt?: number;
}

export interface DelivererOptions {
  ch: Clickhouse;
  router: Router;
  replicaId: string;
  /** Epoch milliseconds. */
  clock?: () => number;
  /** Wait between claiming and checking the claim (default 1.5 s; see claims.ts). */
  settleMs?: number;
  leaseSeconds?: number;
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Age limit of a notification, from its transition (default 24 h). */
  maxAgeSeconds?: number;
  retry?: RetryPolicy;
  /** Attempts in flight at once (default 16). */
  concurrency?: number;
  log?: (line: string) => void;
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

export interface Deliverer {
  /** One pass: expire, supersede and send what is due. Resolves when the attempts it started are recorded. */
  poll(): Promise<DeliveryOutcome[]>;
  /** Pending entries seen by the last poll (for a gauge). */
  pendingCount(): number;
}

export const DEFAULT_MAX_AGE_SECONDS = 86_400;

const OUTCOME: Record<Exclude<OutboxStatus, 'pending'>, DeliveryOutcome['outcome']> = { sent: 'sent', rejected: 'rejected', expired: 'expired', superseded: 'superseded' };

export function createDeliverer(options: DelivererOptions): Deliverer {
  const { ch, router, replicaId } = options;
  const clock = options.clock ?? Date.now;
  const log = options.log ?? (() => {});
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const nowSeconds = () => Math.floor(clock() / 1000);
  /** Keys with an attempt in flight here, or a result not yet recorded (never attempted again meanwhile). */
  const busy = new Set<string>();
  /**
   * The last attempt number this process made per key. Polls overlap (a hanging receiver must not
   * hold up the next one) and share this replica's claims, so a poll that read the entry before
   * another poll recorded its attempt must not make the same attempt again.
   */
  const attempted = new Map<string, { attempt: number; at: number }>();
  /** Results ClickHouse did not take yet: recorded before anything else is attempted. */
  const unrecorded = new Map<string, { entry: OutboxState; outcome: Parameters<typeof recordOutcome>[2] }>();
  const unknownChannels = new Set<string>();
  let pending = 0;

  async function flushUnrecorded() {
    // Taken out first, so two overlapping polls never record the same result twice.
    const todo = [...unrecorded];
    unrecorded.clear();
    for (const [key, value] of todo) {
      try {
        await recordOutcome(ch, value.entry, value.outcome, replicaId, nowSeconds());
        busy.delete(key);
      } catch (err) {
        unrecorded.set(key, value);
        throw err;
      }
    }
  }

  async function run({ entry, action }: Action): Promise<DeliveryOutcome> {
    const attempt = entry.attempts + 1;
    let outcome: Parameters<typeof recordOutcome>[2];
    if (action === 'send') {
      const channel = router.channel(entry.channel)!;
      const result = await channel.send(entry.notice, { timeoutMs: options.timeoutMs ?? 10_000 });
      const next = afterAttempt(result, attempt, nowSeconds(), options.retry ?? DEFAULT_RETRY);
      outcome = { attempt, status: next.status, nextAttempt: next.nextAttempt, httpStatus: result.status, error: result.error };
    } else {
      const why = action === 'expire' ? `not delivered within ${Math.round(maxAge / 3600)}h (the age limit)` : 'a newer notification for this alert is waiting';
      outcome = { attempt, status: action === 'expire' ? 'expired' : 'superseded', nextAttempt: nowSeconds(), httpStatus: 0, error: why };
    }
    try {
      await recordOutcome(ch, entry, outcome, replicaId, nowSeconds());
      busy.delete(entry.key);
    } catch (err) {
      // Kept busy: this replica will not attempt it again until the result is recorded.
      unrecorded.set(entry.key, { entry, outcome });
      log(`recording the ${outcome.status} outcome of ${entry.event} ${entry.kind} for SLO ${JSON.stringify(entry.sloId)} failed, will retry: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    const delivered: DeliveryOutcome = {
      key: entry.key,
      sloId: entry.sloId,
      kind: entry.kind,
      event: entry.event,
      channel: entry.channel,
      outcome: outcome.status === 'pending' ? 'failed' : OUTCOME[outcome.status],
      httpStatus: outcome.httpStatus,
      attempt,
      error: outcome.error,
      ...(outcome.status === 'pending' ? { nextAttempt: outcome.nextAttempt } : {}),
    };
    const next = delivered.nextAttempt !== undefined ? `, next attempt ${new Date(delivered.nextAttempt * 1000).toISOString()}` : '';
    log(`${delivered.outcome} ${entry.event} ${entry.kind} for SLO ${JSON.stringify(entry.sloId)} via ${entry.channel} (attempt ${attempt}${delivered.httpStatus ? `, HTTP ${delivered.httpStatus}` : ''})${delivered.error ? ': ' + delivered.error : ''}${next}`);
    options.onOutcome?.(delivered);
    return delivered;
  }

  async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
  }

  return {
    pendingCount: () => pending,
    async poll() {
      await flushUnrecorded();
      const now = nowSeconds();
      const all = await readPending(ch, now, maxAge);
      pending = all.length;
      const actions = planDeliveries(all, now, maxAge, busy).filter(({ entry, action }) => {
        if (action !== 'send' || router.channel(entry.channel)) return true;
        if (!unknownChannels.has(entry.key)) log(`SLO ${JSON.stringify(entry.sloId)}: channel ${entry.channel} is not configured on this engine; leaving ${entry.event} ${entry.kind} to a replica that has it (or the age limit)`);
        unknownChannels.add(entry.key);
        return false;
      });
      if (actions.length === 0) return [];
      const won = await claimAttempts(ch, actions.map((a) => ({ key: a.entry.key, attempt: a.entry.attempts + 1 })), replicaId, {
        settleMs: options.settleMs ?? 1500,
        leaseSeconds: options.leaseSeconds ?? 120,
      });
      // Another replica may have finished the attempt while we waited for the claim to settle.
      const current = await readStates(ch, [...won].map((k) => k.split('\u0000')[0]!));
      const mine = actions.filter(({ entry }) => {
        const state = current.get(entry.key);
        const attempt = entry.attempts + 1;
        const done = (attempted.get(entry.key)?.attempt ?? 0) >= attempt;
        return won.has(claimId(entry.key, attempt)) && state?.status === 'pending' && state.attempts === entry.attempts && !busy.has(entry.key) && !done;
      });
      const at = nowSeconds();
      for (const { entry } of mine) {
        busy.add(entry.key);
        attempted.set(entry.key, { attempt: entry.attempts + 1, at });
      }
      for (const [key, a] of attempted) if (a.at < at - maxAge - 86_400) attempted.delete(key);
      return pool(mine, options.concurrency ?? 16, run);
    },
  };
}
