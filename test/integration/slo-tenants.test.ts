// Tenants kept apart, metric SLIs that survive other series, and time sanity (issue 12, items 3
// and 5): spans sent by the OTel SDK through the collector with per-tenant tokens, metric points and
// odd spans stored as the collector stores them, counted by a real ClickHouse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { evaluateAt } from '../../slo-engine/evaluate-at.ts';
import { createDeliverer } from '../../slo-engine/notify/deliverer.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { countsQuery } from '../../slo-engine/sli/sql.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

const T = Math.floor(Date.now() / 60_000) * 60 - 2 * 3600;
const ACME_TOKEN = 'acme-ingest-token-0123456789';
const GLOBEX_TOKEN = 'globex-ingest-token-0123456789';
const slo = (id: string, head: string, sli: string) => sloFromYaml(`id: ${id}\nservice: shop\n${head}objective: 99\nperiod: 30d\nsli: ${sli}\nalerting: { ingestDelay: 0s, minEvents: 10 }\n`);

async function sendSpans(collector: TestCollector, token: string, bad: boolean) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop' }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, headers: { authorization: `Bearer ${token}` } }), { maxExportBatchSize: 400, maxQueueSize: 4000 })],
  });
  const tracer = provider.getTracer('tenants');
  for (let m = 0; m < 60; m++) {
    for (let i = 0; i < 20; i++) {
      const start = new Date((T - 3600 + m * 60 + 1 + i) * 1000);
      const span = tracer.startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: start, attributes: { 'http.route': '/checkout', 'http.response.status_code': bad ? 500 : 200 } });
      if (bad) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(new Date(start.getTime() + 50));
    }
  }
  await provider.forceFlush();
  await provider.shutdown();
}

describe('tenants cannot page or silence each other (issue 12)', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  let sink: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase('slo_tenants');
    collector = await startTestCollector(db.config, { authTokens: `${ACME_TOKEN} tenant=acme\n${GLOBEX_TOKEN} tenant=globex` });
    sink = await startReceiver();
    await sendSpans(collector, ACME_TOKEN, false);
    await sendSpans(collector, GLOBEX_TOKEN, true);
    for (let i = 0; i < 100; i++) {
      const [row] = await db.ch.query<{ n: string }>(sql`SELECT toString(count()) AS n FROM spans WHERE service_name = 'shop'`);
      if (row!.n === '2400') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    await sink?.close();
    await collector?.stop();
    await db?.close();
  });

  it('tenant B with its own valid token does not page tenant A: an SLO counts its own tenant only', async () => {
    const [split] = await db.ch.query<{ acme: string; globex: string }>(sql`SELECT toString(countIf(tenant = 'acme')) AS acme, toString(countIf(tenant = 'globex' AND status_code = 2)) AS globex FROM spans`);
    expect(split).toEqual({ acme: '1200', globex: '1200' });
    // Like every example SLO: no tenant, so only rows sent without one (none here).
    const unnamed = slo('shop-availability', '', '{ kind: availability, routes: [/checkout] }');
    const acme = slo('acme-availability', 'tenant: acme\n', '{ kind: availability, routes: [/checkout] }');
    const acmeLatency = slo('acme-latency', 'tenant: acme\n', '{ kind: latency, routes: [/checkout], threshold: 300ms }');
    const slos = [unnamed, acme, acmeLatency];
    const { router } = buildRouter(slos, { SLACK_WEBHOOK_URL: `${sink.url}/slack` });
    const clock = () => (T + 20) * 1000;
    const result = await createEngine({ ch: db.ch, slos, router, clock }).tick();
    await createDeliverer({ ch: db.ch, router, replicaId: 'r', clock, settleMs: 0 }).poll();
    expect(result.transitions).toEqual([]);
    expect(sink.received).toEqual([]);
    const e = Object.fromEntries(result.results.map((r) => [r.slo.id, r.evaluation!]));
    expect(e['shop-availability']!.noData).toBe(true);
    expect(e['acme-availability']!.period).toEqual({ good: 1200n, total: 1200n });
    expect(e['acme-latency']!.period).toEqual({ good: 1200n, total: 1200n });
  });
});

const ns = (seconds: number) => (BigInt(Math.round(seconds * 1000)) * 1_000_000n).toString();
const point = (tenant: string, metric: string, time: number, temporality: 1 | 2, host: string, start = time - 60) => ({
  tenant,
  timestamp: Math.floor(time),
  start_time_ns: ns(start),
  time_ns: ns(time),
  service_name: 'shop',
  metric_name: metric,
  metric_unit: 's',
  'attributes.key': ['host'],
  'attributes.type': ['string'],
  'attributes.value': [host],
  'resource_attributes.key': ['service.name'],
  'resource_attributes.type': ['string'],
  'resource_attributes.value': ['shop'],
  aggregation_temporality: temporality,
  scope_name: 'test',
});

describe('metric SLIs survive other series and absurd values (issue 12)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_metric_tenants');
  });
  afterAll(async () => db?.close());

  const counts = async (s: Slo, from = T, to = T + 300) =>
    (await db.ch.query<{ m: number; good: string; total: string }>(`SELECT toUInt32(minute) AS m, good, total FROM (${countsQuery(s, from, to).text}) ORDER BY m`)).map((r) => [(Number(r.m) - T) / 60, Number(r.good), Number(r.total)]);

  it('a histogram point of another tenant, or another series with other bucket bounds, does not stop a metric-latency SLO', async () => {
    const histogram = (tenant: string, host: string, time: number, bounds: number[], buckets: number[]) => ({
      ...point(tenant, 'http.server.request.duration', time, 1, host),
      count: String(buckets.reduce((a, b) => a + b, 0)),
      bucket_counts: buckets.map(String),
      explicit_bounds: bounds,
    });
    await db.ch.insertJson('metrics_histogram', [
      // acme: 10 requests a minute, 8 within 0.25 s
      ...[0, 1, 2].map((m) => histogram('acme', 'a', T + m * 60 + 10, [0.1, 0.25, 0.5], [5, 3, 1, 1])),
      // acme, another instance with another bucket layout: cannot be split at 0.25, skipped and reported
      histogram('acme', 'b', T + 70, [5, 10], [4, 0, 0]),
      // globex: another tenant, other bounds, all slow
      histogram('globex', 'a', T + 70, [5, 10], [0, 0, 100]),
    ]);
    const latency = slo('acme-metric-latency', 'tenant: acme\n', '{ kind: metric-latency, metric: http.server.request.duration, threshold: 0.25 }');
    expect(await counts(latency)).toEqual([
      [0, 8, 10],
      [1, 8, 10],
      [2, 8, 10],
    ]);
    const [r] = await evaluateAt(db.ch, [latency], T + 300, { refresh: { mode: 'engine', now: T + 300, marginSeconds: 600, version: Date.now() } });
    expect(r!.error).toBeUndefined();
    expect(r!.evaluation!.windows.find((w) => w.seconds === 300)).toMatchObject({ good: 24n, total: 30n });
    expect(r!.warnings).toEqual(['skipped 1 histogram point(s) whose bounds do not include the threshold 0.25: [5,10] (unit "s")']);
  });

  it('a counter value of 2^64 or more is skipped as not a count, instead of zeroing the minute and hiding its errors', async () => {
    const sum = (host: string, metric: string, time: number, temporality: 1 | 2, value: number, start?: number) => ({
      ...point('acme', metric, time, temporality, host, start),
      is_monotonic: 1,
      value_type: Number.isInteger(value) && Math.abs(value) < 2 ** 62 ? 2 : 1,
      value_int: Number.isInteger(value) && Math.abs(value) < 2 ** 62 ? String(value) : '0',
      value_double: value,
    });
    await db.ch.insertJson('metrics_sum', [
      // DELTA: 100 requests and 50 errors a minute; in minute 2 another series reports 1e20 requests.
      ...[0, 1, 2, 3].flatMap((m) => [sum('a', 'req', T + m * 60 + 5, 1, 100), sum('a', 'err', T + m * 60 + 5, 1, 50)]),
      sum('b', 'req', T + 125, 1, 1e20),
      // CUMULATIVE (started at T): 100, 200, then 2^64 (an overflowed value), then 300: +100 per minute around the skipped point.
      ...[
        [0, 100],
        [1, 200],
        [2, 2 ** 64],
        [3, 300],
      ].map(([m, v]) => sum('c', 'creq', T + m! * 60 + 30, 2, v!, T)),
    ]);
    const ratio = slo('acme-metric-ratio', 'tenant: acme\n', '{ kind: metric-ratio, bad: { metric: err }, total: { metric: req } }');
    expect(await counts(ratio)).toEqual([
      [0, 50, 100],
      [1, 50, 100],
      [2, 50, 100],
      [3, 50, 100],
    ]);
    const cumulative = slo('acme-cumulative', 'tenant: acme\n', '{ kind: metric-ratio, good: { metric: creq }, total: { metric: creq } }');
    expect(await counts(cumulative)).toEqual([
      [0, 100, 100],
      [1, 100, 100],
      [3, 100, 100],
    ]);
    const [r] = await evaluateAt(db.ch, [ratio], T + 300, { refresh: { mode: 'engine', now: T + 300, marginSeconds: 600, version: Date.now() } });
    expect(r!.evaluation!.windows.find((w) => w.seconds === 300)).toMatchObject({ good: 200n, total: 400n });
    expect(r!.warnings).toEqual(['skipped 1 metric point(s) with values that are not counts (not finite, negative or at least 2^53)']);
  });
});

describe('time sanity (issue 12, item 5)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slo_time_sanity');
  });
  afterAll(async () => db?.close());

  it('a span that ends before it starts is not a fast, good request in a latency SLO: it counts as bad', async () => {
    // As the collector stores them: duration_ns = 0 when the end is not after the start.
    const span = (i: number, startS: number, endS: number) => ({
      tenant: '',
      timestamp: Math.floor(startS),
      start_time_ns: ns(startS),
      end_time_ns: ns(endS),
      duration_ns: endS > startS ? ns(endS - startS) : '0',
      trace_id: 't',
      span_id: String(i),
      name: 'GET /',
      kind: 2,
      status_code: 1,
      service_name: 'shop',
      http_route: '/',
    });
    await db.ch.insertJson('spans', [span(1, T + 1, T + 1.1), span(2, T + 2, T + 2), span(3, T + 3, T + 1), span(4, T + 4, T + 9)]);
    const latency = slo('latency', '', '{ kind: latency, threshold: 300ms }');
    // 1: 100 ms, good. 2: an instant span, good. 3: ends 2 s before it starts, bad. 4: 5 s, bad.
    expect(await db.ch.query<{ good: string; total: string }>(`SELECT good, total FROM (${countsQuery(latency, T, T + 60).text})`)).toEqual([{ good: '2', total: '4' }]);
  });
});
