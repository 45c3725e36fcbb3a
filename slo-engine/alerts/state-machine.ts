// The alert state machine per SLO x alert kind (page, ticket, no-data). Pure: the previous states
// and one evaluation in, the next states and the transitions to notify out. Time comes from the
// evaluation (its window end), never from a wall clock, so replays and replicas agree.
import type { Severity, Slo } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import type { Evaluation, TierResult } from '../evaluate.ts';

export type AlertKind = Severity | 'no-data';
export const ALERT_KINDS: readonly AlertKind[] = [...SEVERITIES, 'no-data'];

export interface AlertState {
  sloId: string;
  kind: AlertKind;
  status: 'inactive' | 'firing';
  /** Window end (epoch s) of the last transition; 0 when never fired. */
  since: number;
  /** Window end of the last evaluation applied. */
  updated: number;
  /** no-data only: first window end without events, 0 while data flows. */
  noDataSince: number;
}

export interface Transition {
  sloId: string;
  kind: AlertKind;
  status: 'firing' | 'resolved';
  /** When it changed (window end, epoch s). */
  at: number;
  /** When the incident started (equals `at` for firing). */
  startsAt: number;
  /**
   * `since` of the state it left (0: never fired). Replicas that step from the same stored state
   * compute the same value whatever minute they evaluate, so it identifies the transition.
   */
  previousSince: number;
}

export const inactive = (sloId: string, kind: AlertKind): AlertState => ({ sloId, kind, status: 'inactive', since: 0, updated: 0, noDataSince: 0 });

/** Why a tier cannot make its severity fire now. */
export interface Inhibition {
  /** The higher severity that inhibits it. */
  by: Severity;
  /** Firing now (the lower severity is frozen), or resolved at `resolvedAt`, inside the tier's short window. */
  firing: boolean;
  resolvedAt?: number;
}

/**
 * Per tier, at window end `end`, given the states of the higher severities after this evaluation:
 * - a higher severity is firing: the lower one is frozen (one page, not a page and a ticket);
 * - (with `inhibitTicketAfterPage`) a higher severity resolved within the tier's short window: what
 *   the tier sees was burned by the incident that already paged. With the default tiers (30d) the
 *   1d/2h ticket tier can fire 2 h after the page resolved, the 3d/6h one 6 h after, and only if the
 *   errors since then burn above the tier's factor on their own.
 */
export function tierInhibitions(slo: Pick<Slo, 'inhibitTicketAfterPage'>, tiers: readonly Pick<TierResult, 'severity' | 'short'>[], end: number, states: readonly Pick<AlertState, 'kind' | 'status' | 'since'>[]): (Inhibition | undefined)[] {
  return tiers.map((tier) => {
    for (const higher of SEVERITIES.slice(0, SEVERITIES.indexOf(tier.severity))) {
      const s = states.find((x) => x.kind === higher);
      if (!s) continue;
      if (s.status === 'firing') return { by: higher, firing: true };
      if (slo.inhibitTicketAfterPage && s.since > 0 && s.since > end - tier.short) return { by: higher, firing: false, resolvedAt: s.since };
    }
    return undefined;
  });
}

export function describeInhibition(i: Inhibition, tier: Pick<TierResult, 'short'>, end: number): string {
  if (i.firing) return `inhibited: ${i.by} firing`;
  return `inhibited: ${i.by} resolved ${Math.round((end - i.resolvedAt!) / 60)}m ago, inside the ${Math.round(tier.short / 60)}m short window`;
}

export interface StepResult {
  states: AlertState[];
  transitions: Transition[];
  /** Per tier of the evaluation: why it cannot fire now, or undefined. */
  inhibited: (Inhibition | undefined)[];
}

/**
 * Applies one evaluation. Rules:
 * - a severity fires when any of its tiers is true and not inhibited (tierInhibitions), resolves
 *   when all are false; `unknown` (a window without events) changes nothing, so silence never
 *   resolves an incident;
 * - while a higher severity fires, lower ones are frozen (no fire, no resolve);
 * - no-data (when enabled) fires after `noData.after` seconds without events in the shortest
 *   window and resolves as soon as events arrive.
 * Evaluations older than the state (a lagging replica) change nothing.
 */
export function step(slo: Slo, previous: readonly AlertState[], evaluation: Evaluation): StepResult {
  const byKind = new Map(previous.filter((s) => s.sloId === slo.id).map((s) => [s.kind, s]));
  const states: AlertState[] = [];
  const transitions: Transition[] = [];
  const at = evaluation.end;
  const inhibited: (Inhibition | undefined)[] = evaluation.tiers.map(() => undefined);

  const apply = (kind: AlertKind, next: AlertState, fire: boolean, resolve: boolean) => {
    const prev = byKind.get(kind) ?? inactive(slo.id, kind);
    if (prev.updated > at) {
      states.push(prev);
      return prev;
    }
    let state: AlertState = { ...prev, ...next, updated: at };
    if (prev.status === 'inactive' && fire) {
      state = { ...state, status: 'firing', since: at };
      transitions.push({ sloId: slo.id, kind, status: 'firing', at, startsAt: at, previousSince: prev.since });
    } else if (prev.status === 'firing' && resolve) {
      state = { ...state, status: 'inactive', since: at };
      transitions.push({ sloId: slo.id, kind, status: 'resolved', at, startsAt: prev.since, previousSince: prev.since });
    }
    states.push(state);
    return state;
  };

  for (const severity of SEVERITIES) {
    const why = tierInhibitions(slo, evaluation.tiers, at, states);
    const own = evaluation.tiers.map((t, i) => ({ t, why: why[i] })).filter((x) => x.t.severity === severity);
    for (const [i, t] of evaluation.tiers.entries()) if (t.severity === severity) inhibited[i] = why[i];
    const frozen = SEVERITIES.slice(0, SEVERITIES.indexOf(severity)).some((h) => states.find((x) => x.kind === h)?.status === 'firing');
    const fire = !frozen && own.some((x) => x.t.condition === 'true' && x.why === undefined);
    const resolve = !frozen && evaluation.conditions[severity] === 'false';
    apply(severity, byKind.get(severity) ?? inactive(slo.id, severity), fire, resolve);
  }

  if (slo.noData.alert) {
    const prev = byKind.get('no-data') ?? inactive(slo.id, 'no-data');
    const noDataSince = evaluation.noData ? prev.noDataSince || at : 0;
    const silentFor = evaluation.noData ? at - noDataSince : 0;
    apply('no-data', { ...prev, noDataSince }, evaluation.noData && silentFor >= slo.noData.after, !evaluation.noData);
  }
  return { states, transitions, inhibited };
}
