import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import type { AlertNotice } from '../../slo-engine/notify/notice.ts';
import { buildSlackPayload } from '../../slo-engine/notify/slack.ts';
import { buildAlertmanagerPayload, signBody } from '../../slo-engine/notify/alertmanager.ts';
import { buildPagerDutyEvent, pagerDutyDedupKey } from '../../slo-engine/notify/pagerduty.ts';
import { retryAfterMs } from '../../slo-engine/notify/send.ts';

const START = Date.parse('2026-05-10T12:00:00Z') / 1000;
const notice: AlertNotice = {
  sloId: 'checkout-availability',
  sloName: 'Checkout <available> & fast',
  service: 'demo',
  description: 'Checkout answers',
  labels: { team: 'shop' },
  objective: '99',
  kind: 'page',
  status: 'firing',
  at: START,
  startsAt: START,
  tiers: [
    { windows: '1h/5m', factor: '14.4', burnLong: 20.5, burnShort: 41, burning: true },
    { windows: '6h/30m', factor: '6', burnLong: 3.42, burnShort: 41, burning: false },
  ],
  sli: 0.795,
  budgetRemaining: 0.9523,
  timeToExhaustion: 125_000,
  dashboardUrl: 'https://grafana.example/d/slo?var-slo=checkout-availability',
};

describe('Slack payload', () => {
  it('carries SLO, service, severity, burn per window, budget, exhaustion and the dashboard link', () => {
    const p = buildSlackPayload(notice);
    expect(p.text).toBe('[PAGE] Checkout <available> & fast (demo) is burning its error budget — budget remaining 95.23%');
    expect(p.blocks).toEqual([
      { type: 'header', text: { type: 'plain_text', text: '🔥 [PAGE] Checkout <available> & fast (demo) is burning its error budget', emoji: true } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*SLO*\nCheckout &lt;available&gt; &amp; fast (`checkout-availability`)' },
          { type: 'mrkdwn', text: '*Service*\ndemo' },
          { type: 'mrkdwn', text: '*Severity*\npage' },
          { type: 'mrkdwn', text: '*Objective*\n99%' },
          { type: 'mrkdwn', text: '*Budget remaining*\n95.23%' },
          { type: 'mrkdwn', text: '*Time to exhaustion*\n1d 10h' },
        ],
      },
      { type: 'section', text: { type: 'mrkdwn', text: '*Burn rate per window*\n🔥 `1h/5m` threshold 14.4x: long 20.5x, short 41x\n• `6h/30m` threshold 6x: long 3.42x, short 41x' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Started 2026-05-10T12:00:00.000Z · Checkout answers' }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open dashboard' }, url: notice.dashboardUrl }] },
    ]);
  });
  it('says resolved with start and end', () => {
    const p = buildSlackPayload({ ...notice, status: 'resolved', at: START + 600 });
    expect(p.text).toBe('[RESOLVED PAGE] Checkout <available> & fast (demo)');
    expect(p.blocks[3]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Started 2026-05-10T12:00:00.000Z, resolved 2026-05-10T12:10:00.000Z · Checkout answers' }] });
  });
});

describe('Alertmanager v4 webhook', () => {
  it('has the v4 shape with endsAt zero while firing', () => {
    const p = buildAlertmanagerPayload(notice);
    expect(p).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'burnrate',
      truncatedAlerts: 0,
      groupLabels: { slo_id: 'checkout-availability', severity: 'page' },
      commonLabels: { alertname: 'SLOErrorBudgetBurn', slo_id: 'checkout-availability', service: 'demo', severity: 'page', team: 'shop' },
      externalURL: notice.dashboardUrl,
    });
    expect(p.alerts).toHaveLength(1);
    expect(p.alerts[0]).toMatchObject({ status: 'firing', startsAt: '2026-05-10T12:00:00.000Z', endsAt: '0001-01-01T00:00:00Z', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(p.alerts[0]!.annotations.burn_rates).toBe('1h/5m >14.4x: 20.5x/41x; 6h/30m >6x: 3.42x/41x');
  });
  it('sets endsAt on resolve and keeps the fingerprint', () => {
    const firing = buildAlertmanagerPayload(notice);
    const resolved = buildAlertmanagerPayload({ ...notice, status: 'resolved', at: START + 600 });
    expect(resolved.alerts[0]!.endsAt).toBe('2026-05-10T12:10:00.000Z');
    expect(resolved.alerts[0]!.fingerprint).toBe(firing.alerts[0]!.fingerprint);
  });
  it('signs the exact body with HMAC-SHA256', () => {
    const body = '{"a":1}';
    expect(signBody(body, 's3cret')).toBe('sha256=' + createHmac('sha256', 's3cret').update(body).digest('hex'));
    expect(signBody(body, 's3cret')).toBe('sha256=5910e62016ef5034272c926c27071992a465c2335cecf41851bda071577f4f6d');
  });
});

describe('PagerDuty Events v2', () => {
  it('triggers with a stable dedup key and critical severity for pages', () => {
    expect(buildPagerDutyEvent(notice, 'R0UT1NG')).toEqual({
      routing_key: 'R0UT1NG',
      event_action: 'trigger',
      dedup_key: 'burnrate/checkout-availability/page',
      payload: {
        summary: '[PAGE] Checkout <available> & fast (demo) is burning its error budget',
        source: 'demo',
        severity: 'critical',
        timestamp: '2026-05-10T12:00:00.000Z',
        component: 'checkout-availability',
        custom_details: {
          slo_id: 'checkout-availability',
          slo_name: 'Checkout <available> & fast',
          objective: '99%',
          budget_remaining: '95.23%',
          time_to_exhaustion_seconds: 125_000,
          burn_rates: { '1h/5m': { threshold: '14.4x', long: '20.5x', short: '41x' }, '6h/30m': { threshold: '6x', long: '3.42x', short: '41x' } },
          labels: { team: 'shop' },
        },
      },
      links: [{ href: notice.dashboardUrl, text: 'SLO dashboard' }],
    });
  });
  it('resolves with the same dedup key and routing key', () => {
    expect(buildPagerDutyEvent({ ...notice, status: 'resolved' }, 'R0UT1NG')).toEqual({ routing_key: 'R0UT1NG', event_action: 'resolve', dedup_key: 'burnrate/checkout-availability/page' });
  });
  it('hashes ids that would make the key longer than 255 characters', () => {
    const key = pagerDutyDedupKey('x'.repeat(300), 'ticket');
    expect(key).toMatch(/^burnrate\/sha256:[0-9a-f]{64}\/ticket$/);
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Sun, 10 May 2026 12:00:05 GMT', Date.parse('2026-05-10T12:00:00Z'))).toBe(5000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});

describe('channels read only notification variables (issue 12)', () => {
  it('a target naming another variable is a configuration problem, even when it bypassed the loader', async () => {
    const { buildRouter } = await import('../../slo-engine/notify/channels.ts');
    const { loadFixture } = await import('./slo-fixtures.ts');
    const slo = { ...loadFixture('availability-999-30d'), notify: { page: [{ type: 'pagerduty' as const, env: 'BURNRATE_AUTH_TOKENS' }] } };
    const { router, problems } = buildRouter([slo], { BURNRATE_AUTH_TOKENS: 'ingest-secret', PAGERDUTY_ROUTING_KEY: 'k' });
    expect(problems).toEqual([
      'fixture.yaml: SLO "checkout-availability" alerting.notify.page: environment variable BURNRATE_AUTH_TOKENS may not be read from an SLO file: name a variable starting with BURNRATE_NOTIFY_ (or PAGERDUTY_ROUTING_KEY, the pagerduty default)',
    ]);
    expect(router.channelsFor(slo, 'page')).toEqual([]);
  });
});
