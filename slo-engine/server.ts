// The engine's HTTP surface (Hono): Prometheus gauges on their own registry, the SLOs as JSON,
// liveness and readiness.
import { Hono } from 'hono';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine, TickResult } from './engine.ts';
import type { DeliveryOutcome } from './notify/deliverer.ts';
import { formatDuration } from './math/duration.ts';
import { sloJson, staleness, type NotificationView } from './views.ts';

export interface SloMetrics {
  registry: Registry;
  observe(result: TickResult): void;
  tickFailed(): void;
  delivered(outcome: DeliveryOutcome): void;
}

export interface MetricsOptions {
  /** Epoch milliseconds (the engine's clock). */
  clock?: () => number;
  /** An SLO whose last evaluation is older than this is stale (default 90 s: three 30 s ticks). */
  staleAfterSeconds?: number;
  /** Pending notifications in the outbox (the deliverer's last poll). */
  pendingNotifications?: () => number;
}

export function createSloMetrics(engine: Engine, options: MetricsOptions = {}): SloMetrics {
  const clock = options.clock ?? Date.now;
  const staleAfter = options.staleAfterSeconds ?? 90;
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
  const notifications = new Counter({ name: 'burnrate_slo_notifications_total', help: 'Notification attempts and decisions by channel type and outcome (sent, failed = will retry, rejected, expired, superseded)', labelNames: ['channel', 'outcome'], registers: [registry] });
  const evalErrors = new Gauge({ name: 'burnrate_slo_evaluation_error', help: '1 when the SLO could not be evaluated in the last tick', labelNames: labels, registers: [registry] });
  const slos = engine.slos;
  new Gauge({
    name: 'burnrate_slo_last_evaluation_timestamp_seconds',
    help: 'When the SLO was last evaluated completely (Unix time); absent before the first evaluation',
    labelNames: labels,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of slos) {
        const t = engine.health().lastEvaluated.get(s.id);
        if (t !== undefined) this.set({ slo_id: s.id, service: s.service }, t);
      }
    },
  });
  new Gauge({
    name: 'burnrate_slo_stale',
    help: `1 when the other burnrate_slo_* values of this SLO are not current (last tick failed, the SLO could not be evaluated, or no evaluation for ${staleAfter}s); its alerts are frozen meanwhile`,
    labelNames: labels,
    registers: [registry],
    collect() {
      const now = Math.floor(clock() / 1000);
      for (const s of slos) {
        const result = engine.last()?.results.find((r) => r.slo.id === s.id);
        this.set({ slo_id: s.id, service: s.service }, staleness(engine.health(), result, s.id, now, staleAfter).stale ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'burnrate_slo_notifications_pending',
    help: 'Notifications stored and not yet delivered, expired or rejected',
    registers: [registry],
    collect() {
      this.set(options.pendingNotifications?.() ?? 0);
    },
  });
  return {
    registry,
    tickFailed: () => ticks.inc({ outcome: 'error' }),
    delivered: (o) => notifications.inc({ channel: o.channel.split(':')[0]!, outcome: o.outcome }),
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
    },
  };
}

export interface ServerOptions {
  clock?: () => number;
  staleAfterSeconds?: number;
  /** Recent notifications of some SLOs (from the outbox); absent: not shown. */
  notifications?: (sloIds: readonly string[]) => Promise<Map<string, NotificationView[]>>;
}

export function createServer(engine: Engine, metrics: SloMetrics, isReady: () => Promise<boolean>, options: ServerOptions = {}): Hono {
  const clock = options.clock ?? Date.now;
  const app = new Hono();
  const view = async (ids: readonly string[]) => {
    const last = engine.last();
    const now = Math.floor(clock() / 1000);
    const notes = options.notifications ? await options.notifications(ids) : new Map<string, NotificationView[]>();
    return ids.map((id) => {
      const slo = engine.slos.find((s) => s.id === id)!;
      const result = last?.results.find((r) => r.slo.id === id);
      return sloJson(slo, {
        ...(result ? { result } : {}),
        states: last?.states ?? [],
        ...(last?.inhibited.get(id) ? { inhibited: last.inhibited.get(id)! } : {}),
        staleness: staleness(engine.health(), result, id, now, options.staleAfterSeconds ?? 90),
        notifications: notes.get(id) ?? [],
      });
    });
  };
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }));
  app.get('/api/slos', async (c) => c.json({ slos: await view(engine.slos.map((s) => s.id)) }));
  app.get('/api/slos/:id', async (c) => {
    const slo = engine.slos.find((s) => s.id === c.req.param('id'));
    return slo ? c.json((await view([slo.id]))[0]) : c.json({ error: 'no such SLO' }, 404);
  });
  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', async (c) => ((await isReady()) ? c.text('ready') : c.text('not ready', 503)));
  return app;
}
