// What an SLO looks like to a reader — the JSON API, `status --json`, a UI: one function, so every
// surface shows the same numbers, staleness, inhibited tiers and notification outcomes.
import type { Slo } from './model.ts';
import { tenantOf } from './model.ts';
import type { SloEvaluation } from './evaluate-at.ts';
import type { EngineHealth } from './engine.ts';
import { describeInhibition, type AlertState, type Inhibition } from './alerts/state-machine.ts';
import type { OutboxState } from './notify/outbox.ts';
import { formatDuration } from './math/duration.ts';
import { toNumber } from './math/rational.ts';

const iso = (s: number) => new Date(s * 1000).toISOString();

export interface Staleness {
  /** When the SLO was last evaluated completely (epoch s), if ever. */
  lastEvaluation: number | null;
  /** The numbers shown are not current: alerts are frozen (they neither fire nor resolve). */
  stale: boolean;
  reason: string | null;
}

/**
 * How old an SLO's last evaluation may be before its numbers are stale: three ticks, and at least
 * two minutes (one slow tick is not an outage). With the default 30 s tick: 2m, `status`'s default.
 */
export const staleAfterSeconds = (intervalSeconds: number): number => Math.max(3 * intervalSeconds, 120);

/** What is known about an SLO's freshness: the running engine knows all three, a reader of ClickHouse the first. */
export interface StalenessFacts {
  /** Its last complete evaluation (epoch s): the engine's own memory, or the latest one it recorded. */
  lastEvaluation: number | null;
  /** Why the engine's last tick failed (ClickHouse down). */
  tickError?: string;
  /** Why this SLO could not be evaluated in the last tick. */
  evaluationError?: string;
}

/**
 * The one staleness rule, for the gauges, the API, `status` and the web UI: stale when the last
 * tick failed, the SLO could not be evaluated in it, it was never evaluated, or its last
 * evaluation is older than `staleAfter` seconds (a tick that hangs, an engine that stopped).
 */
export function staleness(facts: StalenessFacts, now: number, staleAfter: number): Staleness {
  const { lastEvaluation } = facts;
  if (facts.tickError !== undefined) return { lastEvaluation, stale: true, reason: `the last evaluation attempt failed: ${facts.tickError}` };
  if (facts.evaluationError !== undefined) return { lastEvaluation, stale: true, reason: `cannot be evaluated: ${facts.evaluationError}` };
  if (lastEvaluation === null) return { lastEvaluation, stale: true, reason: 'no evaluation recorded' };
  if (now - lastEvaluation > staleAfter) return { lastEvaluation, stale: true, reason: `no evaluation for ${formatDuration(now - lastEvaluation)}` };
  return { lastEvaluation, stale: false, reason: null };
}

/** The running engine's facts about one SLO: its last tick and its memory of completed evaluations. */
export function engineFacts(health: EngineHealth, result: SloEvaluation | undefined, sloId: string): StalenessFacts {
  return {
    lastEvaluation: health.lastEvaluated.get(sloId) ?? null,
    ...(health.lastAttempt && !health.lastAttempt.ok ? { tickError: health.lastAttempt.error ?? 'unknown error' } : {}),
    ...(result?.error !== undefined ? { evaluationError: result.error } : {}),
  };
}

export interface NotificationView {
  kind: string;
  event: string;
  channel: string;
  status: string;
  attempts: number;
  httpStatus: number;
  error: string;
  transitionAt: string;
  nextAttempt: string | null;
}

export const notificationView = (n: OutboxState & { httpStatus: number; error: string }): NotificationView => ({
  kind: n.kind,
  event: n.event,
  channel: n.channel,
  status: n.status,
  attempts: n.attempts,
  httpStatus: n.httpStatus,
  error: n.error,
  transitionAt: iso(n.transitionAt),
  nextAttempt: n.status === 'pending' ? iso(n.nextAttempt) : null,
});

export interface SloViewInput {
  result?: SloEvaluation;
  states: readonly AlertState[];
  inhibited?: readonly (Inhibition | undefined)[];
  staleness?: Staleness;
  notifications?: readonly NotificationView[];
}

/** JSON view of one SLO (BigInts as strings, rationals as numbers, times as ISO strings). */
export function sloJson(slo: Slo, input: SloViewInput) {
  const e = input.result?.evaluation;
  return {
    id: slo.id,
    service: slo.service,
    tenant: tenantOf(slo),
    name: slo.name,
    description: slo.description,
    labels: slo.labels,
    objective: Number(slo.objective),
    period: slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : { calendar: slo.period.unit, timeZone: slo.period.timeZone },
    sliKind: slo.sli.kind,
    evaluatedAt: e ? iso(e.at) : null,
    windowEnd: e ? iso(e.end) : null,
    error: input.result?.error ?? null,
    warnings: input.result?.warnings ?? [],
    stale: input.staleness?.stale ?? null,
    staleReason: input.staleness?.reason ?? null,
    lastEvaluation: input.staleness?.lastEvaluation ? iso(input.staleness.lastEvaluation) : null,
    sli: e?.sli ?? null,
    budgetRemaining: e?.budgetRemaining ?? null,
    periodData: e ? { periodSeconds: e.periodLength, seconds: e.periodData.seconds, fraction: e.periodData.fraction, budgetConsumedOfPeriod: e.periodData.budgetConsumedOfPeriod } : null,
    timeToExhaustionSeconds: e?.timeToExhaustion ?? null,
    noData: e?.noData ?? null,
    windows: e?.windows.map((w) => ({ window: formatDuration(w.seconds), good: w.good.toString(), total: w.total.toString(), sli: w.sli, burnRate: w.burnRate })) ?? [],
    tiers:
      e?.tiers.map((t, i) => {
        const inhibition = input.inhibited?.[i];
        return {
          severity: t.severity,
          long: formatDuration(t.long),
          short: formatDuration(t.short),
          factor: toNumber(t.factor),
          burnLong: t.burnLong,
          burnShort: t.burnShort,
          condition: t.reason,
          inhibited: inhibition ? describeInhibition(inhibition, t, e.end) : null,
        };
      }) ?? [],
    alerts: input.states.filter((s) => s.sloId === slo.id).map((s) => ({ kind: s.kind, status: s.status, since: s.since ? iso(s.since) : null })),
    notifications: input.notifications ?? [],
  };
}

export type SloView = ReturnType<typeof sloJson>;
