import { describe, expect, it } from 'vitest';
import { step, type AlertState, type Transition } from '../../slo-engine/alerts/state-machine.ts';
import type { Evaluation, Condition } from '../../slo-engine/evaluate.ts';
import { loadFixture } from './slo-fixtures.ts';

const slo = loadFixture('availability-999-30d');
const T0 = Date.parse('2026-05-10T12:00:00Z') / 1000;

/** A clock of evaluations: minute n after T0, with the given page/ticket conditions. */
function evaluation(minute: number, page: Condition, ticket: Condition, noData = false): Evaluation {
  return { sloId: slo.id, at: T0 + minute * 60 + 30, end: T0 + minute * 60, conditions: { page, ticket }, noData } as Evaluation;
}

function run(sequence: [Condition, Condition, boolean?][], s = slo, start: AlertState[] = []) {
  let states = start;
  const transitions: Transition[] = [];
  sequence.forEach(([page, ticket, noData], i) => {
    const r = step(s, states, evaluation(i, page, ticket, noData));
    states = r.states;
    transitions.push(...r.transitions);
  });
  return { states, transitions: transitions.map((t) => `${(t.at - T0) / 60}:${t.kind}:${t.status}`) };
}

describe('alert state machine', () => {
  it('fires, stays firing without repeating, and resolves once', () => {
    const r = run([['false', 'false'], ['true', 'false'], ['true', 'false'], ['false', 'false'], ['false', 'false']]);
    expect(r.transitions).toEqual(['1:page:firing', '3:page:resolved']);
  });

  it('inhibits the ticket while the page fires, then lets it fire', () => {
    const r = run([['true', 'true'], ['true', 'true'], ['false', 'true'], ['false', 'false']]);
    expect(r.transitions).toEqual(['0:page:firing', '2:page:resolved', '2:ticket:firing', '3:ticket:resolved']);
  });

  it('freezes a firing ticket while the page fires (no resolve, no repeat)', () => {
    const r = run([['false', 'true'], ['true', 'false'], ['true', 'false'], ['false', 'false']]);
    expect(r.transitions).toEqual(['0:ticket:firing', '1:page:firing', '3:page:resolved', '3:ticket:resolved']);
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
    expect(resolved.transitions).toEqual([{ sloId: slo.id, kind: 'page', status: 'resolved', at: T0 + 360, startsAt: T0 }]);
  });

  it('ignores an evaluation older than the stored state (a lagging replica)', () => {
    const { states } = run([['true', 'false'], ['true', 'false'], ['true', 'false']]);
    expect(step(slo, states, evaluation(1, 'false', 'false')).transitions).toEqual([]);
  });
});
