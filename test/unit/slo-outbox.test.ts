import { describe, expect, it } from 'vitest';
import { afterAttempt, dedupKey, outboxVersion, planDeliveries, type OutboxState } from '../../slo-engine/notify/outbox.ts';
import type { AlertNotice } from '../../slo-engine/notify/notice.ts';

const T = Date.parse('2026-05-10T12:00:00Z') / 1000;
let n = 0;
function entry(e: Partial<OutboxState> & Pick<OutboxState, 'event' | 'transitionAt'>): OutboxState {
  return { key: `k${n++}`, sloId: 'slo', kind: 'page', channel: 'slack:SLACK_WEBHOOK_URL', created: e.transitionAt, notice: {} as AlertNotice, status: 'pending', attempts: 0, nextAttempt: e.transitionAt, ...e };
}

describe('dedup keys', () => {
  it('name the transition by the state it left: the same whatever minute a replica saw it in', () => {
    const a = dedupKey({ sloId: 's', kind: 'page', status: 'firing', previousSince: T - 3600 }, 'slack:X');
    expect(dedupKey({ sloId: 's', kind: 'page', status: 'firing', previousSince: T - 3600 }, 'slack:X')).toBe(a);
    expect(dedupKey({ sloId: 's', kind: 'page', status: 'firing', previousSince: T }, 'slack:X')).not.toBe(a);
    expect(dedupKey({ sloId: 's', kind: 'page', status: 'resolved', previousSince: T - 3600 }, 'slack:X')).not.toBe(a);
    expect(dedupKey({ sloId: 's', kind: 'page', status: 'firing', previousSince: T - 3600 }, 'webhook:X')).not.toBe(a);
    expect(dedupKey({ sloId: 's', kind: 'page', status: 'repeat', since: T, repeat: 1 }, 'slack:X')).not.toBe(dedupKey({ sloId: 's', kind: 'page', status: 'repeat', since: T, repeat: 2 }, 'slack:X'));
  });

  it('versions grow with the attempt, and a terminal state of an attempt outranks a retry of it', () => {
    expect(outboxVersion(0, 'pending')).toBe(0);
    expect([outboxVersion(1, 'pending'), outboxVersion(1, 'sent'), outboxVersion(1, 'rejected'), outboxVersion(1, 'expired')]).toEqual([4, 5, 6, 7]);
    expect(outboxVersion(2, 'pending')).toBeGreaterThan(outboxVersion(1, 'expired'));
  });
});

describe('retry schedule', () => {
  const fail = { ok: false, status: 503, error: 'HTTP 503', permanent: false };
  it('backs off exponentially from 10 s to at most 10 minutes', () => {
    expect([1, 2, 3, 4, 6, 7, 20].map((a) => afterAttempt(fail, a, T).nextAttempt - T)).toEqual([10, 20, 40, 80, 320, 600, 600]);
    expect(afterAttempt(fail, 1, T).status).toBe('pending');
  });
  it('honours Retry-After (seconds, capped at 1 h) instead of the backoff', () => {
    expect(afterAttempt({ ...fail, status: 429, retryAfterMs: 120_000 }, 1, T)).toEqual({ status: 'pending', nextAttempt: T + 120 });
    expect(afterAttempt({ ...fail, status: 429, retryAfterMs: 0 }, 5, T)).toEqual({ status: 'pending', nextAttempt: T });
    expect(afterAttempt({ ...fail, status: 429, retryAfterMs: 86_400_000 }, 1, T)).toEqual({ status: 'pending', nextAttempt: T + 3600 });
  });
  it('a 2xx is sent, another 4xx rejected for good, a timeout retried', () => {
    expect(afterAttempt({ ok: true, status: 200, error: '', permanent: false }, 3, T).status).toBe('sent');
    expect(afterAttempt({ ok: false, status: 400, error: 'HTTP 400', permanent: true }, 1, T).status).toBe('rejected');
    expect(afterAttempt({ ok: false, status: 0, error: 'timeout', permanent: false }, 1, T)).toEqual({ status: 'pending', nextAttempt: T + 10 });
  });
});

describe('what to deliver now', () => {
  it('sends what is due, oldest transition first per SLO, kind and channel', () => {
    const firing = entry({ event: 'firing', transitionAt: T, attempts: 2, nextAttempt: T + 40 });
    const resolved = entry({ event: 'resolved', transitionAt: T + 600 });
    const other = entry({ event: 'firing', transitionAt: T + 600, channel: 'webhook:WEBHOOK_URL' });
    // The firing waits for its backoff; its resolve waits behind it; another channel goes now.
    expect(planDeliveries([resolved, firing, other], T + 30, 86_400).map((a) => `${a.action}:${a.entry.key}`)).toEqual([]);
    expect(planDeliveries([resolved, firing, other], T + 650, 86_400).map((a) => `${a.action}:${a.entry.event}:${a.entry.channel}`)).toEqual(['send:firing:slack:SLACK_WEBHOOK_URL', 'send:firing:webhook:WEBHOOK_URL']);
    expect(planDeliveries([resolved], T + 650, 86_400).map((a) => `${a.action}:${a.entry.event}`)).toEqual(['send:resolved']);
  });

  it('expires what is older than the age limit, and drops a repeat that a newer notification follows', () => {
    const old = entry({ event: 'firing', transitionAt: T, attempts: 40, nextAttempt: T + 90_000 });
    expect(planDeliveries([old], T + 86_401, 86_400).map((a) => a.action)).toEqual(['expire']);
    expect(planDeliveries([old], T + 86_400, 86_400)).toEqual([]);
    const repeat = entry({ event: 'repeat', transitionAt: T + 4 * 3600 });
    const resolve = entry({ event: 'resolved', transitionAt: T + 5 * 3600 });
    expect(planDeliveries([resolve, repeat], T + 5 * 3600, 86_400).map((a) => `${a.action}:${a.entry.event}`)).toEqual(['supersede:repeat']);
    expect(planDeliveries([repeat], T + 5 * 3600, 86_400).map((a) => `${a.action}:${a.entry.event}`)).toEqual(['send:repeat']);
  });

  it('skips a group whose first entry is in flight on this replica', () => {
    const firing = entry({ event: 'firing', transitionAt: T });
    expect(planDeliveries([firing], T, 86_400, new Set([firing.key]))).toEqual([]);
  });
});
