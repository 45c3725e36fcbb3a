// What the pages show that the engine does not record as such (yet): an SLO's tenant, whether its
// numbers are stale, which alert is inhibited or recently resolved, and how each notification
// ended. Derived here and nowhere else, from what the engine writes (slo_evaluations,
// slo_alert_state, slo_notifications) and its tick interval; when the engine records one of these
// itself, re-point the function and every page and API follows. Pure.
import { SEVERITIES, type Slo } from '../../model.ts';

export type SloState = 'firing' | 'stale' | 'no-data' | 'inhibited' | 'resolved' | 'ok';
/** Display and sort order: what needs attention first. */
export const SLO_STATES: readonly SloState[] = ['firing', 'stale', 'no-data', 'inhibited', 'resolved', 'ok'];

/** The tenant whose data an SLO measures ('' = none: span SLIs without `tenant`, metric and custom SLIs). */
export function sloTenant(slo: Slo): string {
  return (slo.sli.kind === 'availability' || slo.sli.kind === 'latency') && slo.sli.tenant !== undefined ? slo.sli.tenant : '';
}

/** An evaluation older than this is stale: the engine missed three ticks (at least two minutes). */
export const staleAfterSeconds = (intervalSeconds: number): number => Math.max(3 * intervalSeconds, 120);

export interface StatusInput {
  /** Epoch seconds of the latest evaluation; null when there is none. */
  evaluatedAt: number | null;
  /** The shortest window had no events (null: not evaluated). */
  noData: boolean | null;
  /** The latest evaluation's tiers: severity and condition reason ('burning', 'ok', 'no-data', 'low-traffic'). */
  tiers: readonly { severity: string; condition: string }[];
  /** The engine's stored alert states (slo_alert_state). */
  alerts: readonly { kind: string; status: 'firing' | 'inactive'; since: number }[];
  now: number;
  staleAfter: number;
  /** A resolve at or after this instant is shown as "resolved" (the page's time range). */
  recentSince: number;
}

export interface AlertBadge {
  kind: string;
  status: 'firing' | 'inhibited' | 'resolved';
  /** Epoch seconds of the transition (0 for inhibited: the state machine does not record it). */
  since: number;
}

export interface SloStatus {
  /** The first of `states` in SLO_STATES order. */
  state: SloState;
  /** Every state that applies (a filter matches any of them); ['ok'] when none does. */
  states: SloState[];
  alerts: AlertBadge[];
  stale: boolean;
}

export function deriveStatus(input: StatusInput): SloStatus {
  const alerts: AlertBadge[] = [];
  const byKind = new Map(input.alerts.map((a) => [a.kind, a]));
  // The state machine freezes a severity while a higher one fires (see alerts/state-machine.ts):
  // a lower severity whose tiers burn meanwhile is inhibited.
  let higherFiring = false;
  for (const severity of SEVERITIES) {
    const a = byKind.get(severity);
    const burning = input.tiers.some((t) => t.severity === severity && t.condition === 'burning');
    if (a?.status === 'firing') alerts.push({ kind: severity, status: 'firing', since: a.since });
    else if (higherFiring && burning) alerts.push({ kind: severity, status: 'inhibited', since: 0 });
    else if (a && a.since > 0 && a.since >= input.recentSince) alerts.push({ kind: severity, status: 'resolved', since: a.since });
    if (a?.status === 'firing') higherFiring = true;
  }
  const noDataAlert = byKind.get('no-data');
  if (noDataAlert?.status === 'firing') alerts.push({ kind: 'no-data', status: 'firing', since: noDataAlert.since });
  else if (noDataAlert && noDataAlert.since > 0 && noDataAlert.since >= input.recentSince) alerts.push({ kind: 'no-data', status: 'resolved', since: noDataAlert.since });

  const stale = input.evaluatedAt === null || input.now - input.evaluatedAt > input.staleAfter;
  const applies: Record<SloState, boolean> = {
    firing: alerts.some((a) => a.kind !== 'no-data' && a.status === 'firing'),
    stale,
    'no-data': input.noData === true || noDataAlert?.status === 'firing',
    inhibited: alerts.some((a) => a.status === 'inhibited'),
    resolved: alerts.some((a) => a.status === 'resolved'),
    ok: false,
  };
  const states = SLO_STATES.filter((s) => applies[s]);
  if (states.length === 0) states.push('ok');
  return { state: states[0]!, states, alerts, stale };
}

export interface NotificationAttempt {
  /** Epoch seconds. */
  time: number;
  kind: string;
  event: string;
  channel: string;
  dedupKey: string;
  replica: string;
  /** As written by notify/ledger.ts: claimed, sent, failed, skipped. */
  outcome: string;
  httpStatus: number;
  attempts: number;
  error: string;
}

export type DeliveryOutcome = 'sent' | 'failed' | 'skipped' | 'pending' | 'abandoned';

export interface Notification {
  dedupKey: string;
  kind: string;
  event: string;
  channel: string;
  /** First claim or attempt, epoch seconds. */
  at: number;
  outcome: DeliveryOutcome;
  httpStatus: number;
  attempts: number;
  error: string;
}

const RANK: Record<string, number> = { sent: 3, failed: 2, skipped: 1 };

/**
 * One notification per dedup key with its delivery outcome: sent if any attempt was; otherwise the
 * last recorded failure; a claim without any outcome is pending until its lease runs out and then
 * abandoned (the replica stopped between claiming and recording).
 */
export function deliveryOutcomes(rows: readonly NotificationAttempt[], now: number, leaseSeconds = 120): Notification[] {
  const groups = new Map<string, NotificationAttempt[]>();
  for (const r of rows) groups.set(r.dedupKey, [...(groups.get(r.dedupKey) ?? []), r]);
  const out: Notification[] = [];
  for (const [dedupKey, attempts] of groups) {
    const sorted = [...attempts].sort((a, b) => a.time - b.time);
    const first = sorted[0]!;
    // The best recorded outcome; among equals the latest.
    const decided = sorted.filter((r) => RANK[r.outcome] !== undefined).sort((a, b) => RANK[b.outcome]! - RANK[a.outcome]! || b.time - a.time)[0];
    const base = { dedupKey, kind: first.kind, event: first.event, channel: first.channel, at: first.time };
    if (decided) {
      out.push({ ...base, outcome: decided.outcome as DeliveryOutcome, httpStatus: decided.httpStatus, attempts: decided.attempts, error: decided.error });
    } else {
      const lastClaim = sorted.at(-1)!.time;
      out.push({ ...base, outcome: now - lastClaim > leaseSeconds ? 'abandoned' : 'pending', httpStatus: 0, attempts: 0, error: '' });
    }
  }
  return out.sort((a, b) => a.at - b.at || a.channel.localeCompare(b.channel));
}
