import { describe, expect, it } from 'vitest';
import { step, tierInhibitions, type AlertState, type Transition } from '../../slo-engine/alerts/state-machine.ts';
import { dueRepeats } from '../../slo-engine/alerts/repeat.ts';
import type { Evaluation, Condition, TierResult } from '../../slo-engine/evaluate.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { loadFixture } from './slo-fixtures.ts';

const slo = loadFixture('availability-999-30d');
const T0 = Date.parse('2026-05-10T12:00:00Z') / 1000;

/** One tier per severity: page 1h/5m and ticket 1d/2h (the short window matters for inhibition). */
const tier = (severity: 'page' | 'ticket', condition: Condition): TierResult =>
  ({ severity, long: severity === 'page' ? 3600 : 86_400, short: severity === 'page' ? 300 : 7200, condition, reason: condition === 'true' ? 'burning' : condition === 'false' ? 'ok' : 'no-data' }) as TierResult;

/** A clock of evaluations: minute n after T0, with the given page/ticket conditions. */
function evaluation(minute: number, page: Condition, ticket: Condition, noData = false): Evaluation {
  return { sloId: slo.id, at: T0 + minute * 60 + 30, end: T0 + minute * 60, conditions: { page, ticket }, tiers: [tier('page', page), tier('ticket', ticket)], noData } as Evaluation;
}

function run(sequence: [Condition, Condition, boolean?][], s: Slo = slo, start: AlertState[] = [], firstMinute = 0) {
  let states = start;
  const transitions: Transition[] = [];
  sequence.forEach(([page, ticket, noData], i) => {
    const r = step(s, states, evaluation(firstMinute + i, page, ticket, noData));
    states = r.states;
    transitions.push(...r.transitions);
  });
  return { states, transitions: transitions.map((t) => `${(t.at - T0) / 60}:${t.kind}:${t.status}`), raw: transitions };
}

describe('alert state machine', () => {
  it('fires, stays firing without repeating, and resolves once', () => {
    const r = run([['false', 'false'], ['true', 'false'], ['true', 'false'], ['false', 'false'], ['false', 'false']]);
    expect(r.transitions).toEqual(['1:page:firing', '3:page:resolved']);
  });

  it('inhibits the ticket while the page fires and, by default, while its short window overlaps the page (issue 12)', () => {
    // Page 0..2 (resolves at minute 2); the ticket's 2 h short window still holds the incident until minute 122.
    const burning: [Condition, Condition][] = [['true', 'true'], ['true', 'true'], ...Array.from({ length: 121 }, (): [Condition, Condition] => ['false', 'true'])];
    const r = run(burning);
    expect(r.transitions).toEqual(['0:page:firing', '2:page:resolved', '122:ticket:firing']);
  });

  it('with inhibitTicketAfterPage: false, the ticket fires as soon as the page resolves (the old behaviour)', () => {
    const r = run([['true', 'true'], ['true', 'true'], ['false', 'true'], ['false', 'false']], { ...slo, inhibitTicketAfterPage: false });
    expect(r.transitions).toEqual(['0:page:firing', '2:page:resolved', '2:ticket:firing', '3:ticket:resolved']);
  });

  it('freezes a firing ticket while the page fires (no resolve, no repeat)', () => {
    const r = run([['false', 'true'], ['true', 'false'], ['true', 'false'], ['false', 'false']]);
    expect(r.transitions).toEqual(['0:ticket:firing', '1:page:firing', '3:page:resolved', '3:ticket:resolved']);
  });

  it('reports per tier why it is inhibited', () => {
    const tiers = [tier('page', 'true'), tier('ticket', 'true')];
    const page = (status: 'firing' | 'inactive', since: number) => [{ kind: 'page' as const, status, since }];
    expect(tierInhibitions(slo, tiers, T0, page('firing', T0 - 600))).toEqual([undefined, { by: 'page', firing: true }]);
    expect(tierInhibitions(slo, tiers, T0, page('inactive', T0 - 7199))).toEqual([undefined, { by: 'page', firing: false, resolvedAt: T0 - 7199 }]);
    expect(tierInhibitions(slo, tiers, T0, page('inactive', T0 - 7200))).toEqual([undefined, undefined]);
    expect(tierInhibitions(slo, tiers, T0, page('inactive', 0))).toEqual([undefined, undefined]);
    expect(tierInhibitions({ inhibitTicketAfterPage: false }, tiers, T0, page('inactive', T0 - 60))).toEqual([undefined, undefined]);
  });

  it('does not resolve on silence (unknown conditions)', () => {
    const r = run([['true', 'false'], ['unknown', 'unknown'], ['unknown', 'unknown'], ['false', 'false']]);
    expect(r.transitions).toEqual(['0:page:firing', '3:page:resolved']);
  });

  it('fires a no-data alert after the configured silence and resolves when data returns', () => {
    const s = loadFixture('no-data-alert'); // after: 10m
    const silent: [Condition, Condition, boolean][] = Array.from({ length: 12 }, () => ['unknown', 'unknown', true]);
    const r = run([['false', 'false', false], ...silent, ['false', 'false', false]], s);
    expect(r.transitions).toEqual(['11:no-data:firing', '13:no-data:resolved']);
  });

  it('after a restart from persisted state, an ongoing incident sends nothing new', () => {
    const first = run([['true', 'false'], ['true', 'false']]);
    const persisted = JSON.parse(JSON.stringify(first.states)) as AlertState[];
    const r = step(slo, persisted, evaluation(5, 'true', 'false'));
    expect(r.transitions).toEqual([]);
    const resolved = step(slo, persisted, evaluation(6, 'false', 'false'));
    expect(resolved.transitions).toEqual([{ sloId: slo.id, kind: 'page', status: 'resolved', at: T0 + 360, startsAt: T0, previousSince: T0 }]);
  });

  it('ignores an evaluation older than the stored state (a lagging replica)', () => {
    const { states } = run([['true', 'false'], ['true', 'false'], ['true', 'false']]);
    expect(step(slo, states, evaluation(1, 'false', 'false')).transitions).toEqual([]);
  });

  it('identifies a transition by the state it left, not the minute it was seen in (replicas across a minute boundary)', () => {
    const resolvedEarlier: AlertState[] = [{ sloId: slo.id, kind: 'page', status: 'inactive', since: T0 - 3600, updated: T0 - 60, noDataSince: 0 }];
    const a = step(slo, resolvedEarlier, evaluation(0, 'true', 'false')).transitions;
    const b = step(slo, resolvedEarlier, evaluation(1, 'true', 'false')).transitions;
    expect(a[0]!.at).not.toBe(b[0]!.at);
    expect([a[0]!.previousSince, b[0]!.previousSince]).toEqual([T0 - 3600, T0 - 3600]);
  });
});

describe('repeat notifications', () => {
  const firing = (kind: 'page' | 'ticket', since: number, status: 'firing' | 'inactive' = 'firing'): AlertState => ({ sloId: slo.id, kind, status, since, updated: since, noDataSince: 0 });

  it('are off by default', () => {
    expect(dueRepeats(slo, [firing('page', T0)], T0 + 86_400)).toEqual([]);
  });

  it('give the latest due repeat of each firing alert, numbered from its start', () => {
    const s = { ...slo, repeatInterval: 4 * 3600 };
    expect(dueRepeats(s, [firing('page', T0)], T0 + 4 * 3600 - 60)).toEqual([]);
    expect(dueRepeats(s, [firing('page', T0)], T0 + 4 * 3600)).toEqual([{ sloId: slo.id, kind: 'page', since: T0, repeat: 1, at: T0 + 4 * 3600 }]);
    // An engine that was down for 11 h sends the third repeat only, not a burst.
    expect(dueRepeats(s, [firing('page', T0)], T0 + 13 * 3600)).toEqual([{ sloId: slo.id, kind: 'page', since: T0, repeat: 3, at: T0 + 12 * 3600 }]);
  });

  it('do not repeat a ticket frozen by a firing page, nor inactive alerts', () => {
    const s = { ...slo, repeatInterval: 3600 };
    expect(dueRepeats(s, [firing('page', T0), firing('ticket', T0 - 7200)], T0 + 3600).map((r) => r.kind)).toEqual(['page']);
    expect(dueRepeats(s, [firing('page', T0, 'inactive'), firing('ticket', T0 - 7200)], T0 + 3600).map((r) => `${r.kind}:${r.repeat}`)).toEqual(['ticket:3']);
  });
});
