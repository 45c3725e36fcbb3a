// The engine's HTTP surface (Hono): Prometheus gauges on their own registry, the SLOs as JSON,
// liveness and readiness, and the web UI (ui/), all behind the access rules of ui/access/.
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, TickResult } from './engine.ts';
import type { Slo } from './model.ts';
import { formatDuration } from './math/duration.ts';
import { toNumber } from './math/rational.ts';
import { createAccess } from './ui/access/access.tsx';
import type { AppEnv } from './ui/access/viewer.ts';
import type { TokenEntry } from './ui/access/tokens.ts';
import { mountUi, viewerOf, visibleSlos, type UiOptions } from './ui/mount.tsx';

export interface SloMetrics {
  registry: Registry;
  observe(result: TickResult): void;
  tickFailed(): void;
}

export function createSloMetrics(): SloMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labels = ['slo_id', 'service'] as const;
  const sli = new Gauge({ name: 'burnrate_slo_sli_ratio', help: 'SLI (good/total) over the SLO period so far', labelNames: labels, registers: [registry] });
  const objective = new Gauge({ name: 'burnrate_slo_objective_ratio', help: 'SLO objective as a ratio', labelNames: labels, registers: [registry] });
  const budget = new Gauge({ name: 'burnrate_slo_error_budget_remaining_ratio', help: 'Error budget remaining over the period (1 = untouched, negative = overspent)', labelNames: labels, registers: [registry] });
  const burn = new Gauge({ name: 'burnrate_slo_burn_rate', help: 'Burn rate per window', labelNames: [...labels, 'window'], registers: [registry] });
  const firing = new Gauge({ name: 'burnrate_slo_alert_firing', help: '1 while the alert of this kind fires', labelNames: [...labels, 'severity'], registers: [registry] });
  const noData = new Gauge({ name: 'burnrate_slo_no_data', help: '1 when the shortest window has no events', labelNames: labels, registers: [registry] });
  const tick = new Histogram({ name: 'burnrate_slo_tick_duration_seconds', help: 'Duration of one engine tick', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });
  const ticks = new Counter({ name: 'burnrate_slo_ticks_total', help: 'Engine ticks by outcome', labelNames: ['outcome'], registers: [registry] });
  const notifications = new Counter({ name: 'burnrate_slo_notifications_total', help: 'Notification deliveries by channel type and outcome', labelNames: ['channel', 'outcome'], registers: [registry] });
  const evalErrors = new Gauge({ name: 'burnrate_slo_evaluation_error', help: '1 when the SLO could not be evaluated in the last tick', labelNames: labels, registers: [registry] });
  return {
    registry,
    tickFailed: () => ticks.inc({ outcome: 'error' }),
    observe(result) {
      ticks.inc({ outcome: 'ok' });
      tick.observe(result.durationMs / 1000);
      for (const g of [sli, budget, burn, firing]) g.reset();
      for (const { slo, evaluation, error } of result.results) {
        const l = { slo_id: slo.id, service: slo.service };
        objective.set(l, Number(slo.objective) / 100);
        evalErrors.set(l, error ? 1 : 0);
        if (!evaluation) continue;
        // No data: the series is absent rather than NaN.
        if (evaluation.sli !== null) sli.set(l, evaluation.sli);
        if (evaluation.budgetRemaining !== null) budget.set(l, evaluation.budgetRemaining);
        for (const w of evaluation.windows) if (w.burnRate !== null) burn.set({ ...l, window: formatDuration(w.seconds) }, w.burnRate);
        noData.set(l, evaluation.noData ? 1 : 0);
      }
      for (const s of result.states) {
        const slo = result.results.find((r) => r.slo.id === s.sloId)?.slo;
        if (slo) firing.set({ slo_id: s.sloId, service: slo.service, severity: s.kind }, s.status === 'firing' ? 1 : 0);
      }
      for (const d of result.deliveries) notifications.inc({ channel: d.channel.split(':')[0]!, outcome: d.outcome });
    },
  };
}

/** JSON view of one SLO (BigInts as strings, rationals as numbers). */
export function sloJson(slo: Slo, result: TickResult | undefined) {
  const r = result?.results.find((x) => x.slo.id === slo.id);
  const e = r?.evaluation;
  return {
    id: slo.id,
    service: slo.service,
    name: slo.name,
    description: slo.description,
    labels: slo.labels,
    objective: Number(slo.objective),
    period: slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : { calendar: slo.period.unit, timeZone: slo.period.timeZone },
    sliKind: slo.sli.kind,
    evaluatedAt: e ? new Date(e.at * 1000).toISOString() : null,
    windowEnd: e ? new Date(e.end * 1000).toISOString() : null,
    error: r?.error ?? null,
    sli: e?.sli ?? null,
    budgetRemaining: e?.budgetRemaining ?? null,
    timeToExhaustionSeconds: e?.timeToExhaustion ?? null,
    noData: e?.noData ?? null,
    windows: e?.windows.map((w) => ({ window: formatDuration(w.seconds), good: w.good.toString(), total: w.total.toString(), sli: w.sli, burnRate: w.burnRate })) ?? [],
    tiers:
      e?.tiers.map((t) => ({ severity: t.severity, long: formatDuration(t.long), short: formatDuration(t.short), factor: toNumber(t.factor), burnLong: t.burnLong, burnShort: t.burnShort, condition: t.reason })) ?? [],
    alerts: result?.states.filter((s) => s.sloId === slo.id).map((s) => ({ kind: s.kind, status: s.status, since: s.since ? new Date(s.since * 1000).toISOString() : null })) ?? [],
  };
}

export interface ServerOptions {
  /** Token entries (auth/tokens.ts); none = no authentication (the command allows that on loopback only). */
  tokens?: readonly TokenEntry[];
  /** Serve the web UI (it reads ClickHouse); without it, only the API, /metrics and health. */
  ui?: UiOptions;
  /** Epoch milliseconds (session expiry). */
  clock?: () => number;
}

export function createServer(engine: Engine, slos: readonly Slo[], metrics: SloMetrics, isReady: () => Promise<boolean>, options: ServerOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const access = createAccess(options.tokens ?? [], options.clock);
  app.use(compress());
  app.use(access.middleware);
  access.mount(app);
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.get('/api/slos', (c) => c.json({ slos: visibleSlos(viewerOf(c), slos).map((s) => sloJson(s, engine.last())) }));
  app.get('/api/slos/:id', (c) => {
    // Another tenant's SLO is a 404, like a missing one.
    const slo = visibleSlos(viewerOf(c), slos).find((s) => s.id === c.req.param('id'));
    return slo ? c.json(sloJson(slo, engine.last())) : c.json({ error: 'no such SLO' }, 404);
  });
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', async (c) => ((await isReady()) ? c.text('ready') : c.text('not ready', 503)));
  if (options.ui) mountUi(app, slos, options.ui);
  return app;
}
