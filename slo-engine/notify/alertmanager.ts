// Generic webhook in the Alertmanager v4 format, signed with HMAC-SHA256 over the exact body.
import { createHash, createHmac } from 'node:crypto';
import type { AlertNotice } from './notice.ts';
import { burn, percent } from './notice.ts';
import { title } from './slack.ts';

export const SIGNATURE_HEADER = 'X-Burnrate-Signature';
const ZERO_TIME = '0001-01-01T00:00:00Z';
const iso = (s: number) => new Date(s * 1000).toISOString();

export function fingerprint(sloId: string, kind: string): string {
  return createHash('sha256').update(`${sloId}\u0000${kind}`).digest('hex').slice(0, 16);
}

export function buildAlertmanagerPayload(n: AlertNotice, receiver = 'burnrate') {
  const labels: Record<string, string> = {
    ...n.labels,
    alertname: n.kind === 'no-data' ? 'SLONoData' : 'SLOErrorBudgetBurn',
    slo_id: n.sloId,
    service: n.service,
    severity: n.kind,
  };
  const annotations: Record<string, string> = {
    summary: title(n),
    description: n.description,
    objective: `${n.objective}%`,
    budget_remaining: percent(n.budgetRemaining, 2),
    burn_rates: n.tiers.map((t) => `${t.windows} >${t.factor}x: ${burn(t.burnLong)}/${burn(t.burnShort)}`).join('; '),
    ...(n.dashboardUrl ? { dashboard: n.dashboardUrl } : {}),
  };
  return {
    version: '4',
    groupKey: `{}:{slo_id=${JSON.stringify(n.sloId)}, severity=${JSON.stringify(n.kind)}}`,
    truncatedAlerts: 0,
    status: n.status,
    receiver,
    groupLabels: { slo_id: n.sloId, severity: n.kind },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: n.dashboardUrl ?? '',
    alerts: [
      {
        status: n.status,
        labels,
        annotations,
        startsAt: iso(n.startsAt),
        endsAt: n.status === 'firing' ? ZERO_TIME : iso(n.at),
        generatorURL: n.dashboardUrl ?? '',
        fingerprint: fingerprint(n.sloId, n.kind),
      },
    ],
  };
}

/** `sha256=<hex>` of HMAC-SHA256(secret, body): receivers recompute it over the raw body bytes. */
export function signBody(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}
