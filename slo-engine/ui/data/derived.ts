// The one display state of an SLO in the UI (firing, stale, no data, inhibited, recently resolved,
// ok), put together from what the engine decides and records, never decided again here: staleness
// is views.ts's rule, inhibition the state machine's (alerts/state-machine.ts tierInhibitions, as
// `status` and the API apply it), alert states the engine's store. Pure.
import { SEVERITIES } from '../../model.ts';
import type { Staleness } from '../../views.ts';

export type SloState = 'firing' | 'stale' | 'no-data' | 'inhibited' | 'resolved' | 'ok';
/** Display and sort order: what needs attention first. */
export const SLO_STATES: readonly SloState[] = ['firing', 'stale', 'no-data', 'inhibited', 'resolved', 'ok'];

export interface StatusInput {
  /** views.ts staleness() of the SLO. */
  staleness: Staleness;
  /** The shortest window had no events (null: not evaluated). */
  noData: boolean | null;
  /** The latest evaluation's tiers: severity, condition reason ('burning', 'ok', 'no-data', 'low-traffic') and why it may not fire (null: it may). */
  tiers: readonly { severity: string; condition: string; inhibited: string | null }[];
  /** The engine's stored alert states. */
  alerts: readonly { kind: string; status: 'firing' | 'inactive'; since: number }[];
  /** A resolve at or after this instant is shown as "resolved" (the page's time range). */
  recentSince: number;
}

export interface AlertBadge {
  kind: string;
  status: 'firing' | 'inhibited' | 'resolved';
  /** Epoch seconds of the transition (0 for inhibited: it is not one). */
  since: number;
  /** Inhibited: why (the state machine's words, e.g. "inhibited: page firing"). */
  reason?: string;
}

export interface SloStatus {
  /** The first of `states` in SLO_STATES order. */
  state: SloState;
  /** Every state that applies (a filter matches any of them); ['ok'] when none does. */
  states: SloState[];
  alerts: AlertBadge[];
  stale: boolean;
  /** Why it is stale (views.ts), null when it is not. */
  staleReason: string | null;
}

export function deriveStatus(input: StatusInput): SloStatus {
  const alerts: AlertBadge[] = [];
  const byKind = new Map(input.alerts.map((a) => [a.kind, a]));
  for (const severity of SEVERITIES) {
    const a = byKind.get(severity);
    // A tier that burns but may not fire: the engine's inhibition rule holds it back.
    const held = input.tiers.find((t) => t.severity === severity && t.condition === 'burning' && t.inhibited !== null);
    if (a?.status === 'firing') alerts.push({ kind: severity, status: 'firing', since: a.since });
    else if (held) alerts.push({ kind: severity, status: 'inhibited', since: 0, reason: held.inhibited! });
    else if (a && a.since > 0 && a.since >= input.recentSince) alerts.push({ kind: severity, status: 'resolved', since: a.since });
  }
  const noDataAlert = byKind.get('no-data');
  if (noDataAlert?.status === 'firing') alerts.push({ kind: 'no-data', status: 'firing', since: noDataAlert.since });
  else if (noDataAlert && noDataAlert.since > 0 && noDataAlert.since >= input.recentSince) alerts.push({ kind: 'no-data', status: 'resolved', since: noDataAlert.since });

  const applies: Record<SloState, boolean> = {
    firing: alerts.some((a) => a.kind !== 'no-data' && a.status === 'firing'),
    stale: input.staleness.stale,
    'no-data': input.noData === true || noDataAlert?.status === 'firing',
    inhibited: alerts.some((a) => a.status === 'inhibited'),
    resolved: alerts.some((a) => a.status === 'resolved'),
    ok: false,
  };
  const states = SLO_STATES.filter((s) => applies[s]);
  if (states.length === 0) states.push('ok');
  return { state: states[0]!, states, alerts, stale: input.staleness.stale, staleReason: input.staleness.reason };
}
