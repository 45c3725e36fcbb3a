// One tick: count, sum settled hours, evaluate every SLO of this instance's shard, step the alert
// state machines, store the notifications they call for in the outbox, then persist evaluations and
// states. Sending is the deliverer's job (notify/deliverer.ts), so no receiver can hold up a tick.
// IO is ClickHouse only; the clock is injected.
import { randomBytes } from 'node:crypto';
import type { Clickhouse } from '../storage/client.ts';
import { TABLES } from '../storage/tables.ts';
import type { Slo } from './model.ts';
import type { Evaluation } from './evaluate.ts';
import { evaluateCounted, prepareCounts, type SloEvaluation } from './evaluate-at.ts';
import { settleDays } from './sli/partitions.ts';
import { rollUpHours } from './sli/rollups.ts';
import { inShard, WHOLE, type Shard } from './shard.ts';
import { ALERT_KINDS, inactive, step, type AlertState, type Inhibition, type Transition } from './alerts/state-machine.ts';
import { loadAlertStates, saveAlertStates } from './alerts/store.ts';
import { dueRepeats, type Repeat } from './alerts/repeat.ts';
import type { Router } from './notify/channels.ts';
import { buildNotice } from './notify/notice.ts';
import { dedupKey, enqueue, type OutboxEntry } from './notify/outbox.ts';
import { registerSlos } from './registry.ts';
import { formatDuration } from './math/duration.ts';
import { toNumber } from './math/rational.ts';

export type { SloEvaluation } from './evaluate-at.ts';

export interface TickResult {
  at: number;
  results: SloEvaluation[];
  states: AlertState[];
  transitions: Transition[];
  /** Per SLO id, per tier of its evaluation: why the tier cannot fire now. */
  inhibited: Map<string, (Inhibition | undefined)[]>;
  /** Notifications this tick stored in the outbox (already stored ones are not repeated). */
  enqueued: OutboxEntry[];
  durationMs: number;
  /** Wall time of the tick's steps (diagnostics: bench:slo prints where a tick's time goes). */
  phasesMs?: { count: number; rollup: number; evaluate: number; persist: number; settle: number };
}

export interface EngineOptions {
  ch: Clickhouse;
  slos: Slo[];
  router: Router;
  /** Epoch milliseconds. */
  clock?: () => number;
  replicaId?: string;
  /** Trailing re-count margin (default 10 minutes). */
  marginSeconds?: number;
  dashboardUrl?: string;
  log?: (line: string) => void;
  /** Evaluate only this shard's share of `slos` (default: all). */
  shard?: Shard;
  /** SLO-hours summed into slo_sli_1h per tick at most (see sli/rollups.ts). */
  rollupBudget?: number;
  /** false: neither sum hours nor read them (every window per minute): the baseline of bench:slo. */
  rollups?: boolean;
}

/** What the engine knows about its own freshness (staleness, see server.ts). */
export interface EngineHealth {
  /** The last tick attempt (wall clock, epoch s): its outcome and, when it failed, why. */
  lastAttempt?: { at: number; ok: boolean; error?: string };
  /** Per SLO id: wall clock (epoch s) of its last completed evaluation. */
  lastEvaluated: Map<string, number>;
}

/** The evaluation row of one SLO; `mine` are its alert states after the evaluation. */
export function evaluationRow(slo: Slo, e: Evaluation, mine: readonly AlertState[], inhibited: readonly (Inhibition | undefined)[] = []) {
  const firing = (kind: string) => (mine.some((s) => s.kind === kind && s.status === 'firing') ? 1 : 0);
  return {
    time: e.at,
    window_end: e.end,
    slo_id: slo.id,
    service: slo.service,
    slo_name: slo.name,
    objective: Number(slo.objective),
    period: slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : `${slo.period.unit} ${slo.period.timeZone}`,
    period_start: e.periodStart,
    period_good: e.period.good.toString(),
    period_total: e.period.total.toString(),
    sli: e.sli,
    budget_remaining: e.budgetRemaining,
    time_to_exhaustion_seconds: e.timeToExhaustion,
    no_data: e.noData ? 1 : 0,
    window_seconds: e.windows.map((w) => w.seconds),
    window_good: e.windows.map((w) => w.good.toString()),
    window_total: e.windows.map((w) => w.total.toString()),
    window_sli: e.windows.map((w) => w.sli),
    window_burn_rate: e.windows.map((w) => w.burnRate),
    tier_severity: e.tiers.map((t) => t.severity),
    tier_long_seconds: e.tiers.map((t) => t.long),
    tier_short_seconds: e.tiers.map((t) => t.short),
    tier_factor: e.tiers.map((t) => toNumber(t.factor)),
    // A burning tier that may not fire (a higher severity fires or just fired) is recorded as such.
    tier_condition: e.tiers.map((t, i) => (t.condition === 'true' && inhibited[i] ? 'inhibited' : t.reason)),
    alert_kind: mine.map((s) => s.kind),
    alert_status: mine.map((s) => s.status),
    page_firing: firing('page'),
    ticket_firing: firing('ticket'),
  };
}

export interface Engine {
  readonly replicaId: string;
  /** The SLOs this instance evaluates (its shard's). */
  readonly slos: readonly Slo[];
  tick(): Promise<TickResult>;
  /** The last completed tick, for the HTTP API and gauges. */
  last(): TickResult | undefined;
  health(): EngineHealth;
}

export function createEngine(options: EngineOptions): Engine {
  const clock = options.clock ?? Date.now;
  const replicaId = options.replicaId ?? randomBytes(6).toString('hex');
  const log = options.log ?? (() => {});
  const margin = options.marginSeconds ?? 600;
  const slos = options.slos.filter(inShard(options.shard ?? WHOLE));
  const health: EngineHealth = { lastEvaluated: new Map() };
  let last: TickResult | undefined;
  let registered = false;

  /** One outbox entry per notification and channel. */
  function outboxEntries(items: readonly { identity: Parameters<typeof dedupKey>[0]; notice: ReturnType<typeof buildNotice>; slo: Slo; kind: Transition['kind']; event: OutboxEntry['event']; at: number }[]): OutboxEntry[] {
    return items.flatMap((n) =>
      options.router.channelsFor(n.slo, n.kind).map((channel) => ({
        key: dedupKey(n.identity, channel.id),
        sloId: n.slo.id,
        kind: n.kind,
        event: n.event,
        channel: channel.id,
        transitionAt: n.at,
        created: n.at,
        notice: n.notice,
      })),
    );
  }

  async function tick(started: number): Promise<TickResult> {
    const at = Math.floor(started / 1000);
    const phase = phaseTimer();
    const prepared = await prepareCounts(options.ch, slos, at, at, { mode: 'engine', now: at, marginSeconds: margin, version: started, log });
    const countMs = phase();
    // Hours summed here are read as one row each from now on; a failure only leaves them per minute.
    const rollup = options.rollups === false ? {} : await rollUpHours(options.ch, slos.filter((s) => !prepared.errors.has(s.id)), {
      now: at,
      marginSeconds: margin,
      version: started,
      ...(options.rollupBudget !== undefined ? { budget: options.rollupBudget } : {}),
    }).catch((err: unknown) => ({ error: err instanceof Error ? err.message.split('\n')[0]! : String(err) }));
    if ('error' in rollup && rollup.error) log(`summing settled hours failed (sums read those minutes instead): ${rollup.error}`);
    const rollupMs = phase();
    const results = await evaluateCounted(options.ch, slos, at, prepared, options.rollups === false ? { rolled: () => [] } : {});
    const evaluateMs = phase();
    for (const r of results) {
      if (r.error) log(`SLO ${JSON.stringify(r.slo.id)}: ${r.error}`);
      for (const w of r.warnings ?? []) log(`SLO ${JSON.stringify(r.slo.id)}: ${w}`);
    }
    if (!registered) {
      // Every loaded SLO, not only this shard's: `status` then lists the SLOs of a shard that has no
      // engine running, as never evaluated (stale), instead of not at all.
      for (const part of slices(options.slos)) await registerSlos(options.ch, part, started);
      registered = true;
    }
    // Per SLO from here on: with thousands of SLOs, scanning every state per SLO would be quadratic.
    const previous = bySlo((await Promise.all(slices(slos).map((part) => loadAlertStates(options.ch, part.map((s) => s.id))))).flat());
    const next = new Map<string, AlertState[]>();
    const transitions: Transition[] = [];
    const inhibited = new Map<string, (Inhibition | undefined)[]>();
    const byId = new Map(results.map((r) => [r.slo.id, r]));
    for (const r of results) {
      const before = previous.get(r.slo.id) ?? [];
      if (!r.evaluation) {
        // Keep the last known state of an SLO that could not be evaluated: it neither fires nor resolves.
        next.set(r.slo.id, ALERT_KINDS.map((k) => before.find((s) => s.kind === k) ?? inactive(r.slo.id, k)));
        continue;
      }
      const stepped = step(r.slo, before, r.evaluation);
      next.set(r.slo.id, stepped.states);
      transitions.push(...stepped.transitions);
      inhibited.set(r.slo.id, stepped.inhibited);
    }
    const states = [...next.values()].flat();
    const repeats: Repeat[] = results.flatMap((r) => (r.evaluation ? dueRepeats(r.slo, next.get(r.slo.id)!, r.evaluation.end) : []));
    const notifications = [
      ...transitions.map((t) => {
        const { slo, evaluation } = byId.get(t.sloId)!;
        return { identity: t, notice: buildNotice(slo, t, evaluation!, options.dashboardUrl), slo, kind: t.kind, event: t.status, at: t.at };
      }),
      ...repeats.map((rep) => {
        const { slo, evaluation } = byId.get(rep.sloId)!;
        const notice = buildNotice(slo, { kind: rep.kind, status: 'firing', at: rep.at, startsAt: rep.since, repeat: rep.repeat }, evaluation!, options.dashboardUrl);
        return { identity: { sloId: rep.sloId, kind: rep.kind, status: 'repeat' as const, since: rep.since, repeat: rep.repeat }, notice, slo, kind: rep.kind, event: 'repeat' as const, at: rep.at };
      }),
    ];
    // Outbox first, then state: if the tick dies in between, the next tick computes the same
    // transitions from the old state, with the same dedup keys, and nothing is lost or doubled.
    const enqueued = await enqueue(options.ch, outboxEntries(notifications), replicaId, at);
    await options.ch.insertJson(
      TABLES.sloEvaluations,
      results.flatMap((r) => (r.evaluation ? [evaluationRow(r.slo, r.evaluation, next.get(r.slo.id)!, inhibited.get(r.slo.id))] : [])),
    );
    await options.ch.insertJson(
      TABLES.sloTransitions,
      transitions.map((t) => ({ at: t.at, slo_id: t.sloId, kind: t.kind, status: t.status, previous_since: t.previousSince, replica: replicaId })),
    );
    await saveAlertStates(options.ch, states, started);
    for (const t of transitions) log(`${t.status} ${t.kind} for SLO ${JSON.stringify(t.sloId)} at ${new Date(t.at * 1000).toISOString()}`);
    const persistMs = phase();
    // Merge one settled day partition per table and tick, so window sums need FINAL only for recent days.
    await settleDays(options.ch, at, margin + 3600).catch((err: unknown) => log(`settling counts failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
    for (const r of results) if (r.evaluation) health.lastEvaluated.set(r.slo.id, at);
    const settleMs = phase();
    const phasesMs = { count: countMs, rollup: rollupMs, evaluate: evaluateMs, persist: persistMs, settle: settleMs };
    return { at, results, states, transitions, inhibited, enqueued, durationMs: clock() - started, phasesMs };
  }

  return {
    replicaId,
    slos,
    last: () => last,
    health: () => health,
    async tick() {
      const started = clock();
      try {
        last = await tick(started);
        health.lastAttempt = { at: Math.floor(started / 1000), ok: true };
        return last;
      } catch (err) {
        health.lastAttempt = { at: Math.floor(started / 1000), ok: false, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
        throw err;
      }
    },
  };
}

function bySlo(states: readonly AlertState[]): Map<string, AlertState[]> {
  const out = new Map<string, AlertState[]>();
  for (const s of states) {
    const list = out.get(s.sloId);
    if (list) list.push(s);
    else out.set(s.sloId, [s]);
  }
  return out;
}

/** Slices of 5,000 SLOs: statements listing their ids stay well below max_query_size (256 KiB). */
function slices<T>(items: readonly T[], size = 5000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Milliseconds since the previous call (or creation). */
function phaseTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const ms = now - last;
    last = now;
    return ms;
  };
}
