// The alert state machine per SLO x alert kind (page, ticket, no-data). Pure: the previous states
// and one evaluation in, the next states and the transitions to notify out. Time comes from the
// evaluation (its window end), never from a wall clock, so replays and replicas agree.
import type { Severity, Slo } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import type { Evaluation } from '../evaluate.ts';

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
}

export const inactive = (sloId: string, kind: AlertKind): AlertState => ({ sloId, kind, status: 'inactive', since: 0, updated: 0, noDataSince: 0 });

export interface StepResult {
  states: AlertState[];
  transitions: Transition[];
}

/**
 * Applies one evaluation. Rules:
 * - a severity fires when any of its tiers is true, resolves when all are false; `unknown`
 *   (a window without events) changes nothing, so silence never resolves an incident;
 * - inhibition: while a higher severity fires, lower ones are frozen (no fire, no resolve);
 * - no-data (when enabled) fires after `noData.after` seconds without events in the shortest
 *   window and resolves as soon as events arrive.
 * Evaluations older than the state (a lagging replica) change nothing.
 */
export function step(slo: Slo, previous: readonly AlertState[], evaluation: Evaluation): StepResult {
  const byKind = new Map(previous.filter((s) => s.sloId === slo.id).map((s) => [s.kind, s]));
  const states: AlertState[] = [];
  const transitions: Transition[] = [];
  const at = evaluation.end;
  let higherFiring = false;

  const apply = (kind: AlertKind, next: AlertState, fire: boolean, resolve: boolean) => {
    const prev = byKind.get(kind) ?? inactive(slo.id, kind);
    if (prev.updated > at) {
      states.push(prev);
      return prev;
    }
    let state: AlertState = { ...prev, ...next, updated: at };
    if (prev.status === 'inactive' && fire) {
      state = { ...state, status: 'firing', since: at };
      transitions.push({ sloId: slo.id, kind, status: 'firing', at, startsAt: at });
    } else if (prev.status === 'firing' && resolve) {
      state = { ...state, status: 'inactive', since: at };
      transitions.push({ sloId: slo.id, kind, status: 'resolved', at, startsAt: prev.since });
    }
    states.push(state);
    return state;
  };

  for (const severity of SEVERITIES) {
    const cond = evaluation.conditions[severity];
    const base = byKind.get(severity) ?? inactive(slo.id, severity);
    const frozen = higherFiring;
    const state = apply(severity, base, !frozen && cond === 'true', !frozen && cond === 'false');
    if (state.status === 'firing') higherFiring = true;
  }

  if (slo.noData.alert) {
    const prev = byKind.get('no-data') ?? inactive(slo.id, 'no-data');
    const noDataSince = evaluation.noData ? prev.noDataSince || at : 0;
    const silentFor = evaluation.noData ? at - noDataSince : 0;
    apply('no-data', { ...prev, noDataSince }, evaluation.noData && silentFor >= slo.noData.after, !evaluation.noData);
  }
  return { states, transitions };
}
