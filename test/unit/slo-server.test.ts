import { describe, expect, it } from 'vitest';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import type { Engine, TickResult } from '../../slo-engine/engine.ts';
import { evaluate } from '../../slo-engine/evaluate.ts';
import { evaluationPlan } from '../../slo-engine/math/windows.ts';
import { loadFixture } from './slo-fixtures.ts';

const slo = loadFixture('availability-999-30d');
const at = Date.parse('2026-05-10T12:00:30Z') / 1000;
const plan = evaluationPlan(slo, at);
const windows = new Map(plan.windows.map((w) => [w, w <= 300 ? { good: 0n, total: 0n } : { good: 990n, total: 1000n }]));
const evaluation = evaluate(slo, plan, { windows, period: { good: 990n, total: 1000n } }, at);
const tick: TickResult = {
  at,
  results: [{ slo, evaluation }],
  states: [{ sloId: slo.id, kind: 'page', status: 'firing', since: at - 600, updated: at, noDataSince: 0 }],
  transitions: [],
  deliveries: [],
  durationMs: 12,
};
const engine: Engine = { replicaId: 'x', tick: async () => tick, last: () => tick };

describe('engine HTTP server', () => {
  const metrics = createSloMetrics();
  metrics.observe(tick);
  const app = createServer(engine, [slo], metrics, async () => true);

  it('exposes burnrate_slo_* gauges, leaving no-data windows out instead of NaN', async () => {
    const text = await (await app.request('/metrics')).text();
    expect(text).toContain('burnrate_slo_error_budget_remaining_ratio{slo_id="checkout-availability",service="demo"} -9');
    expect(text).toContain('burnrate_slo_burn_rate{slo_id="checkout-availability",service="demo",window="1h"} 10');
    expect(text).not.toContain('window="5m"');
    expect(text).toContain('burnrate_slo_alert_firing{slo_id="checkout-availability",service="demo",severity="page"} 1');
    expect(text).toContain('burnrate_slo_no_data{slo_id="checkout-availability",service="demo"} 1');
    expect(text.split('\n').filter((l) => l.startsWith('burnrate_slo_')).join('\n')).not.toMatch(/ (NaN|[+-]?Inf)$/m);
  });

  it('serves the SLOs as JSON', async () => {
    const list = await (await app.request('/api/slos')).json();
    expect(list.slos).toHaveLength(1);
    const one = await (await app.request(`/api/slos/${encodeURIComponent(slo.id)}`)).json();
    expect(one).toMatchObject({ id: 'checkout-availability', objective: 99.9, period: '30d', budgetRemaining: -9, alerts: [{ kind: 'page', status: 'firing' }] });
    expect(one.windows[0]).toEqual({ window: '5m', good: '0', total: '0', sli: null, burnRate: null });
    expect((await app.request('/api/slos/nope')).status).toBe(404);
  });

  it('answers health and readiness', async () => {
    expect(await (await app.request('/healthz')).text()).toBe('ok');
    expect((await app.request('/readyz')).status).toBe(200);
    const notReady = createServer(engine, [slo], metrics, async () => false);
    expect((await notReady.request('/readyz')).status).toBe(503);
  });
});
