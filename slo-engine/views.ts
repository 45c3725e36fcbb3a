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
 * Stale when the last tick failed (ClickHouse down), the SLO could not be evaluated in it, or its
 * last evaluation is older than `staleAfterSeconds` (a tick that hangs).
 */
export function staleness(health: EngineHealth, result: SloEvaluation | undefined, sloId: string, now: number, staleAfterSeconds: number): Staleness {
  const last = health.lastEvaluated.get(sloId);
  const lastEvaluation = last ?? null;
  if (health.lastAttempt && !health.lastAttempt.ok) return { lastEvaluation, stale: true, reason: `the last evaluation attempt failed: ${health.lastAttempt.error ?? 'unknown error'}` };
  if (result?.error) return { lastEvaluation, stale: true, reason: `cannot be evaluated: ${result.error}` };
  if (last === undefined) return { lastEvaluation, stale: true, reason: 'not evaluated yet' };
  if (now - last > staleAfterSeconds) return { lastEvaluation, stale: true, reason: `last evaluated ${formatDuration(now - last)} ago` };
  return { lastEvaluation, stale: false, reason: null };
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
