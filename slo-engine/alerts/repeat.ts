// Repeat notifications (Alertmanager's repeat_interval) for alerts that stay firing. Pure: the n-th
// repeat of an alert firing since `since` is due at since + n x repeatInterval; only the latest due
// one is returned (an engine that was down does not send a burst), and its number makes it one
// outbox entry however many replicas and ticks see it. A severity frozen by a higher one that fires
// is not repeated (the page is the notification that matters then).
import type { Slo } from '../model.ts';
import { SEVERITIES } from '../model.ts';
import type { AlertKind, AlertState } from './state-machine.ts';

export interface Repeat {
  sloId: string;
  kind: AlertKind;
  /** Start of the incident (the state's `since`). */
  since: number;
  /** 1 for the first repeat. */
  repeat: number;
  /** When it became due (epoch s). */
  at: number;
}

export function dueRepeats(slo: Pick<Slo, 'id' | 'repeatInterval'>, states: readonly AlertState[], end: number): Repeat[] {
  if (slo.repeatInterval <= 0) return [];
  const mine = states.filter((s) => s.sloId === slo.id);
  const firing = (kind: AlertKind) => mine.some((s) => s.kind === kind && s.status === 'firing');
  return mine.flatMap((s) => {
    if (s.status !== 'firing' || s.since <= 0) return [];
    const index = SEVERITIES.indexOf(s.kind as (typeof SEVERITIES)[number]);
    if (index > 0 && SEVERITIES.slice(0, index).some(firing)) return [];
    const repeat = Math.floor((end - s.since) / slo.repeatInterval);
    return repeat >= 1 ? [{ sloId: slo.id, kind: s.kind, since: s.since, repeat, at: s.since + repeat * slo.repeatInterval }] : [];
  });
}
