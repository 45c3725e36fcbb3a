// PagerDuty Events API v2: trigger and resolve with a stable dedup_key per SLO x severity.
import { createHash } from 'node:crypto';
import type { AlertNotice } from './notice.ts';
import { burn, percent } from './notice.ts';
import { title } from './slack.ts';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Same key for trigger and resolve of one SLO x severity; ids too long for 255 chars are hashed. */
export function pagerDutyDedupKey(sloId: string, kind: string): string {
  const plain = `burnrate/${sloId}/${kind}`;
  return plain.length <= 255 ? plain : `burnrate/sha256:${createHash('sha256').update(sloId).digest('hex')}/${kind}`;
}

export function buildPagerDutyEvent(n: AlertNotice, routingKey: string) {
  const dedup_key = pagerDutyDedupKey(n.sloId, n.kind);
  if (n.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve' as const, dedup_key };
  const summary = title(n);
  return {
    routing_key: routingKey,
    event_action: 'trigger' as const,
    dedup_key,
    payload: {
      summary: summary.length > 1024 ? summary.slice(0, 1023) + '…' : summary,
      source: n.service,
      severity: n.kind === 'page' ? ('critical' as const) : ('warning' as const),
      timestamp: new Date(n.startsAt * 1000).toISOString(),
      component: n.sloId,
      custom_details: {
        slo_id: n.sloId,
        slo_name: n.sloName,
        objective: `${n.objective}%`,
        budget_remaining: percent(n.budgetRemaining, 2),
        time_to_exhaustion_seconds: n.timeToExhaustion,
        burn_rates: Object.fromEntries(n.tiers.map((t) => [t.windows, { threshold: `${t.factor}x`, long: burn(t.burnLong), short: burn(t.burnShort) }])),
        labels: n.labels,
      },
    },
    ...(n.dashboardUrl ? { links: [{ href: n.dashboardUrl, text: 'SLO dashboard' }] } : {}),
  };
}
