import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { backtest } from '../../slo-engine/backtest.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

// Spans sent by the OTel SDK through the collector, timestamps in the past: 20 server spans per
// minute for the hour before T; 1 error and 1 slow span per minute, then 10 of each for the last 15 minutes.
const T = Math.floor(Date.now() / 60_000) * 60 - 2 * 3600;
const availability = sloFromYaml('id: e2e-availability\nservice: demo-e2e\nobjective: 99\nperiod: 30d\nsli: { kind: availability, routes: [/checkout] }\nalerting: { ingestDelay: 0s }\n');
const latency = sloFromYaml('id: e2e-latency\nservice: demo-e2e\nobjective: 99\nperiod: 30d\nsli: { kind: latency, routes: [/checkout], threshold: 300ms }\nalerting: { ingestDelay: 0s }\n');

describe('SLO engine end to end: OTel SDK → collector → ClickHouse → engine', () => {
  let db: TestDatabase;
  let collector: TestCollector;

  beforeAll(async () => {
    db = await createTestDatabase('slo_e2e');
    collector = await startTestCollector(db.config);
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'demo-e2e' }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }), { maxExportBatchSize: 400, maxQueueSize: 4000 })],
    });
    const tracer = provider.getTracer('slo-e2e');
    for (let m = 0; m < 60; m++) {
      const minute = T - 3600 + m * 60;
      const bad = m >= 45 ? 10 : 1;
      for (let i = 0; i < 20; i++) {
        const start = new Date((minute + 1 + i) * 1000);
        const span = tracer.startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/checkout', 'http.response.status_code': i < bad ? 500 : 200 } });
        if (i < bad) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end(new Date(start.getTime() + (i >= 20 - bad ? 500 : 100)));
      }
    }
    await provider.forceFlush();
    await provider.shutdown();
    for (let i = 0; i < 100; i++) {
      const [row] = await db.ch.query<{ n: string }>(sql`SELECT toString(count()) AS n FROM spans WHERE service_name = 'demo-e2e'`);
      if (row!.n === '1200') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('the collector stored every span', async () => {
    const [row] = await db.ch.query<{ n: string; errors: string }>(sql`SELECT toString(count()) AS n, toString(countIf(status_code = 2)) AS errors FROM spans WHERE service_name = 'demo-e2e'`);
    expect(row).toEqual({ n: '1200', errors: String(45 * 1 + 15 * 10) });
  });

  it('the engine sees the exact burn rates and budgets and pages for both SLOs', async () => {
    const { router } = buildRouter([availability, latency], {});
    const result = await createEngine({ ch: db.ch, slos: [availability, latency], router, clock: () => (T + 20) * 1000 }).tick();
    for (const r of result.results) {
      const e = r.evaluation!;
      const burn = Object.fromEntries(e.windows.map((w) => [w.seconds, w.burnRate]));
      expect(burn[300]).toBe(50); // 10 of 20 bad / 1% budget
      expect(burn[3600]).toBe(16.25); // (45 × 1 + 15 × 10) / 1,200 / 1%
      expect(e.period).toEqual({ good: 1005n, total: 1200n });
      expect(e.budgetRemaining).toBe(-15.25);
    }
    expect(result.transitions.map((t) => `${t.sloId} ${t.kind} ${t.status}`)).toEqual(['e2e-availability page firing', 'e2e-latency page firing']);
  });

  it('backtest shows when each tier would have fired', async () => {
    const result = await backtest(db.ch, [availability], { from: T - 3600, to: T, stepSeconds: 60, now: T + 2 * 3600 });
    // 5% errors burn 5x: both ticket tiers (3x, 1x) fire once the minEvents guard (10) is met. The 6x
    // page fires at -13m: 6h window (45 + 2 × 10) / 940 = 6.9%, 30m window 48 / 600 = 8% (at -14m the
    // 6h window is 55 / 920 = 5.98%, below 6%).
    expect(result.transitions.map((t) => `${(t.at - T) / 60}m ${t.kind} ${t.status} ${t.tier}`)).toEqual(['-59m ticket firing 1d/2h,3d/6h', '-13m page firing 6h/30m']);
  });
});
