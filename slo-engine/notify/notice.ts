// What a notification says, as plain data: built from a transition and its evaluation, consumed by
// the pure payload builders.
import type { Slo } from '../model.ts';
import type { Evaluation } from '../evaluate.ts';
import type { AlertKind, Transition } from '../alerts/state-machine.ts';
import { formatDuration } from '../math/duration.ts';
import { toDecimalString } from '../math/rational.ts';

export interface NoticeTier {
  /** "1h/5m" */
  windows: string;
  /** Burn factor as text ("14.4"). */
  factor: string;
  burnLong: number | null;
  burnShort: number | null;
  burning: boolean;
}

export interface AlertNotice {
  sloId: string;
  sloName: string;
  service: string;
  description: string;
  labels: Record<string, string>;
  /** Percent as written ("99.9"). */
  objective: string;
  kind: AlertKind;
  status: 'firing' | 'resolved';
  /** A reminder that the alert is still firing (the n-th repeat, see `repeatInterval`). */
  repeat?: number;
  /** Epoch seconds. */
  at: number;
  startsAt: number;
  tiers: NoticeTier[];
  sli: number | null;
  budgetRemaining: number | null;
  timeToExhaustion: number | null;
  dashboardUrl?: string;
}

export function buildNotice(slo: Slo, transition: Pick<Transition, 'kind' | 'status' | 'at' | 'startsAt'> & { repeat?: number }, evaluation: Evaluation, dashboardUrl?: string): AlertNotice {
  const kindTiers = transition.kind === 'no-data' ? [] : evaluation.tiers.filter((t) => t.severity === transition.kind);
  return {
    sloId: slo.id,
    sloName: slo.name,
    service: slo.service,
    description: slo.description,
    labels: slo.labels,
    objective: slo.objective,
    kind: transition.kind,
    status: transition.status,
    ...(transition.repeat ? { repeat: transition.repeat } : {}),
    at: transition.at,
    startsAt: transition.startsAt,
    tiers: kindTiers.map((t) => ({
      windows: `${formatDuration(t.long)}/${formatDuration(t.short)}`,
      factor: toDecimalString(t.factor, 4),
      burnLong: t.burnLong,
      burnShort: t.burnShort,
      burning: t.condition === 'true',
    })),
    sli: evaluation.sli,
    budgetRemaining: evaluation.budgetRemaining,
    timeToExhaustion: evaluation.timeToExhaustion,
    ...(dashboardUrl ? { dashboardUrl: dashboardLink(dashboardUrl, slo.id) } : {}),
  };
}

/** `BURNRATE_DASHBOARD_URL` with the SLO id as `var-slo` (Grafana's variable URL convention). */
export function dashboardLink(base: string, sloId: string): string {
  const url = new URL(base);
  url.searchParams.set('var-slo', sloId);
  return url.toString();
}

export const percent = (x: number | null, digits = 3): string => (x === null ? 'no data' : `${(Math.round(x * 100 * 10 ** digits) / 10 ** digits).toString()}%`);
export const burn = (x: number | null): string => (x === null ? 'no data' : `${Math.round(x * 100) / 100}x`);

