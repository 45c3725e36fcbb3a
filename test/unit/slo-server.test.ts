import { describe, expect, it } from 'vitest';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import type { Engine, EngineHealth, TickResult } from '../../slo-engine/engine.ts';
import { evaluate } from '../../slo-engine/evaluate.ts';
import { evaluationPlan } from '../../slo-engine/math/windows.ts';
import { staleness } from '../../slo-engine/views.ts';
import { loadFixture } from './slo-fixtures.ts';

const slo = loadFixture('availability-999-30d');
const at = Date.parse('2026-05-10T12:00:30Z') / 1000;
const plan = evaluationPlan(slo, at);
const windows = new Map(plan.windows.map((w) => [w, w <= 300 ? { good: 0n, total: 0n } : { good: 990n, total: 1000n }]));
const evaluation = evaluate(slo, plan, { windows, period: { good: 990n, total: 1000n }, firstData: plan.end - 3600 }, at);
const tick: TickResult = {
  at,
  results: [{ slo, evaluation }],
  states: [{ sloId: slo.id, kind: 'page', status: 'firing', since: at - 600, updated: at, noDataSince: 0 }],
  transitions: [],
  inhibited: new Map([[slo.id, evaluation.tiers.map((t) => (t.severity === 'ticket' ? { by: 'page' as const, firing: true } : undefined))]]),
  enqueued: [],
  durationMs: 12,
};

/** An engine as the server sees it: its last tick and its health, here plain values. */
function engineWith(health: EngineHealth): Engine {
  return { replicaId: 'x', slos: [slo], tick: async () => tick, last: () => tick, health: () => health };
}

describe('engine HTTP server', () => {
  const engine = engineWith({ lastAttempt: { at, ok: true }, lastEvaluated: new Map([[slo.id, at]]) });
  const clock = () => (at + 10) * 1000;
  const metrics = createSloMetrics(engine, { clock });
  metrics.observe(tick);
  const app = createServer(engine, metrics, async () => true, { clock });

  it('exposes burnrate_slo_* gauges, leaving no-data windows out instead of NaN', async () => {
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('burnrate_slo_error_budget_remaining_ratio{slo_id="checkout-availability",service="demo"} -9');
    expect(text).toContain('burnrate_slo_burn_rate{slo_id="checkout-availability",service="demo",window="1h"} 10');
    expect(text).not.toContain('window="5m"');
    expect(text).toContain('burnrate_slo_alert_firing{slo_id="checkout-availability",service="demo",severity="page"} 1');
    expect(text).toContain('burnrate_slo_no_data{slo_id="checkout-availability",service="demo"} 1');
    expect(text).toContain(`burnrate_slo_last_evaluation_timestamp_seconds{slo_id="checkout-availability",service="demo"} ${at}`);
    expect(text).toContain('burnrate_slo_stale{slo_id="checkout-availability",service="demo"} 0');
    expect(text.split('\n').filter((l) => l.startsWith('burnrate_slo_')).join('\n')).not.toMatch(/ (NaN|[+-]?Inf)$/m);
  });

  it('serves the SLOs as JSON, with inhibited tiers, staleness and how much of the period has data', async () => {
    const list = await (await app.request('/api/slos')).json();
    expect(list.slos).toHaveLength(1);
    const one = await (await app.request(`/api/slos/${encodeURIComponent(slo.id)}`)).json();
    expect(one).toMatchObject({ id: 'checkout-availability', tenant: '', objective: 99.9, period: '30d', budgetRemaining: -9, alerts: [{ kind: 'page', status: 'firing' }], stale: false, staleReason: null });
    expect(one.windows[0]).toEqual({ window: '5m', good: '0', total: '0', sli: null, burnRate: null });
    // 1 h of data in a 30-day period: 10x burn over that hour is 10 x 1/720 = 1.39% of the whole period's budget.
    expect(one.periodData).toEqual({ periodSeconds: 30 * 86_400, seconds: 3600, fraction: 0.001388889, budgetConsumedOfPeriod: 0.013888889 });
    expect(one.tiers.map((t: { severity: string; inhibited: string | null }) => [t.severity, t.inhibited])).toEqual([
      ['page', null],
      ['page', null],
      ['ticket', 'inhibited: page firing'],
      ['ticket', 'inhibited: page firing'],
    ]);
    expect((await app.request('/api/slos/nope')).status).toBe(404);
  });

  it('answers health and readiness', async () => {
    expect(await (await app.request('/healthz')).text()).toBe('ok');
    expect((await app.request('/readyz')).status).toBe(200);
    const notReady = createServer(engine, metrics, async () => false);
    expect((await notReady.request('/readyz')).status).toBe(503);
  });
});

describe('staleness (issue 12)', () => {
  it('a failed tick marks every SLO stale; the gauges say when it was last evaluated', async () => {
    const down = engineWith({ lastAttempt: { at: at + 30, ok: false, error: 'connect ECONNREFUSED 127.0.0.1:8123' }, lastEvaluated: new Map([[slo.id, at]]) });
    const metrics = createSloMetrics(down, { clock: () => (at + 30) * 1000 });
    metrics.observe(tick);
    const text = await metrics.registry.metrics();
    expect(text).toContain('burnrate_slo_stale{slo_id="checkout-availability",service="demo"} 1');
    expect(text).toContain(`burnrate_slo_last_evaluation_timestamp_seconds{slo_id="checkout-availability",service="demo"} ${at}`);
    const app = createServer(down, metrics, async () => false, { clock: () => (at + 30) * 1000 });
    const one = await (await app.request(`/api/slos/${slo.id}`)).json();
    expect(one).toMatchObject({ stale: true, staleReason: 'the last evaluation attempt failed: connect ECONNREFUSED 127.0.0.1:8123', lastEvaluation: new Date(at * 1000).toISOString() });
  });

  it('is stale without a failure when the last evaluation is too old (a hung tick), and before the first one', () => {
    const health: EngineHealth = { lastAttempt: { at, ok: true }, lastEvaluated: new Map([[slo.id, at]]) };
    expect(staleness(health, undefined, slo.id, at + 90, 90)).toEqual({ lastEvaluation: at, stale: false, reason: null });
    expect(staleness(health, undefined, slo.id, at + 91, 90)).toEqual({ lastEvaluation: at, stale: true, reason: 'last evaluated 1m31s ago' });
    expect(staleness({ lastEvaluated: new Map() }, undefined, slo.id, at, 90)).toEqual({ lastEvaluation: null, stale: true, reason: 'not evaluated yet' });
    expect(staleness(health, { slo, error: 'boom' }, slo.id, at, 90)).toMatchObject({ stale: true, reason: 'cannot be evaluated: boom' });
  });
});
