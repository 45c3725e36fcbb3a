import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace, SpanKind, SpanStatusCode, type Link } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { sql } from '../../storage/sql.ts';

const hrToNs = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);

/** Emits a small, field-rich trace through `exporter` and returns what the SDK recorded. */
async function emitTrace(exporter: SpanExporter, service: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': service,
      'service.namespace': 'shop',
      'deployment.environment.name': 'test',
      'host.cores': 2,
      'process.runtime.tags': ['a', 'b'],
    }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('e2e-scope', '1.2.3');
  const start = new Date('2026-11-20T10:00:00.123Z');
  const root = tracer.startSpan('GET /checkout', {
    kind: SpanKind.SERVER,
    startTime: start,
    attributes: {
      'http.route': '/checkout',
      'http.request.method': 'GET',
      'http.response.status_code': 503,
      'big.int': 9007199254740991,
      ratio: 0.25,
      ok: false,
      unicode: 'ünïcödé 漢字 🔥',
      empty: '',
      list: [1, 2, 3],
    },
  });
  root.addEvent('exception', { 'exception.message': "it's \"broken\"\n" }, new Date(start.getTime() + 5));
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  const ctx = trace.setSpan(context.active(), root);
  const link: Link = { context: { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: 1 }, attributes: { reason: 'retry' } };
  const child = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: new Date(start.getTime() + 1), links: [link] }, ctx);
  child.setStatus({ code: SpanStatusCode.OK });
  child.end(new Date(start.getTime() + 3));
  root.end(new Date(start.getTime() + 10));
  await provider.forceFlush();
  // Shutting down clears the in-memory exporter, so read it first.
  const finished = memory.getFinishedSpans();
  await provider.shutdown();
  return finished;
}

interface StoredSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  name: string;
  kind: number;
  start_time_ns: string;
  end_time_ns: string;
  duration_ns: string;
  status_code: number;
  status_message: string;
  flags: number;
  service_name: string;
  service_namespace: string;
  deployment_environment: string;
  http_route: string;
  http_status_code: number;
  'attributes.key': string[];
  'attributes.type': string[];
  'attributes.value': string[];
  'events.name': string[];
  'events.time_ns': string[];
  'events.attributes': string[];
  'links.trace_id': string[];
  'links.span_id': string[];
  'links.attributes': string[];
  'resource_attributes.key': string[];
  'resource_attributes.value': string[];
  scope_name: string;
  scope_version: string;
}

function attributeMap(row: StoredSpan): Record<string, [string, string]> {
  return Object.fromEntries(row['attributes.key'].map((k, i) => [k, [row['attributes.type'][i]!, row['attributes.value'][i]!]]));
}

describe('trace ingest end to end with the OpenTelemetry JS SDK exporters', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('traces_e2e');
    collector = await startTestCollector(db.config);
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  const exporters: [string, () => SpanExporter][] = [
    ['OTLP/HTTP JSON (exporter-trace-otlp-http)', () => new JsonExporter({ url: `${collector.url}/v1/traces` })],
    ['OTLP/HTTP protobuf (exporter-trace-otlp-proto)', () => new ProtoExporter({ url: `${collector.url}/v1/traces` })],
    ['OTLP/gRPC (exporter-trace-otlp-grpc)', () => new GrpcExporter({ url: `http://${collector.grpcAddress}` })],
  ];

  for (const [label, makeExporter] of exporters) {
    it(`stores every field of spans sent over ${label}`, async () => {
      const service = `e2e-${label.split(' ')[0]!.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
      const sent = await emitTrace(makeExporter(), service);
      expect(sent).toHaveLength(2);
      const rows = await db.ch.query<StoredSpan>(sql`SELECT * FROM spans WHERE service_name = ${service} ORDER BY start_time_ns`);
      expect(rows).toHaveLength(2);
      const [root, child] = rows as [StoredSpan, StoredSpan];
      const [sentChild, sentRoot] = sent[0]!.name === 'SELECT orders' ? [sent[0]!, sent[1]!] : [sent[1]!, sent[0]!];

      expect(root.trace_id).toBe(sentRoot.spanContext().traceId);
      expect(root.span_id).toBe(sentRoot.spanContext().spanId);
      expect(root.parent_span_id).toBe('');
      expect(child.parent_span_id).toBe(root.span_id);
      expect(child.trace_id).toBe(root.trace_id);
      expect(root.name).toBe('GET /checkout');
      expect(root.kind).toBe(2); // OTLP SPAN_KIND_SERVER
      expect(child.kind).toBe(3); // OTLP SPAN_KIND_CLIENT
      expect(root.start_time_ns).toBe(String(hrToNs(sentRoot.startTime)));
      expect(root.end_time_ns).toBe(String(hrToNs(sentRoot.endTime)));
      expect(root.duration_ns).toBe('10000000');
      expect(root.status_code).toBe(2);
      expect(root.status_message).toBe('upstream failed');
      expect(child.status_code).toBe(1);
      expect(root.flags & 0xff).toBe(1);
      expect(root.service_name).toBe(service);
      expect(root.service_namespace).toBe('shop');
      expect(root.deployment_environment).toBe('test');
      expect(root.http_route).toBe('/checkout');
      expect(root.http_status_code).toBe(503);
      expect(attributeMap(root)).toEqual({
        'http.route': ['string', '/checkout'],
        'http.request.method': ['string', 'GET'],
        'http.response.status_code': ['int', '503'],
        'big.int': ['int', '9007199254740991'],
        ratio: ['double', '0.25'],
        ok: ['bool', 'false'],
        unicode: ['string', 'ünïcödé 漢字 🔥'],
        empty: ['string', ''],
        list: ['array', '{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"},{"intValue":"3"}]}}'],
      });
      expect(root['events.name']).toEqual(['exception']);
      expect(root['events.time_ns']).toEqual([String(hrToNs(sentRoot.events[0]!.time))]);
      expect(JSON.parse(root['events.attributes'][0]!)).toEqual([{ key: 'exception.message', value: { stringValue: 'it\'s "broken"\n' } }]);
      expect(child['links.trace_id']).toEqual(['ab'.repeat(16)]);
      expect(child['links.span_id']).toEqual(['cd'.repeat(8)]);
      expect(JSON.parse(child['links.attributes'][0]!)).toEqual([{ key: 'reason', value: { stringValue: 'retry' } }]);
      const resource = Object.fromEntries(root['resource_attributes.key'].map((k, i) => [k, root['resource_attributes.value'][i]]));
      expect(resource).toMatchObject({ 'service.name': service, 'service.namespace': 'shop', 'host.cores': '2' });
      expect(root.scope_name).toBe('e2e-scope');
      expect(root.scope_version).toBe('1.2.3');
      void sentChild;
    });
  }

  it('feeds the trace-id lookup and the per-minute RED rollup', async () => {
    const service = `rollup-${Math.random().toString(36).slice(2, 8)}`;
    const sent = await emitTrace(new ProtoExporter({ url: `${collector.url}/v1/traces` }), service);
    const traceId = sent[0]!.spanContext().traceId;
    const [lookup] = await db.ch.query<{ start: string; end: string }>(sql`SELECT toString(min(start), 'UTC') AS start, toString(max(end), 'UTC') AS end FROM trace_index WHERE trace_id = ${traceId}`);
    expect(lookup).toEqual({ start: '2026-11-20 10:00:00', end: '2026-11-20 10:00:00' });
    const red = await db.ch.query<{ span_name: string; requests: string; errors: string; http_5xx: string }>(
      sql`SELECT span_name, toString(countMerge(requests)) AS requests, toString(sumMerge(errors)) AS errors, toString(sumMerge(http_5xx)) AS http_5xx
          FROM span_red_1m WHERE service_name = ${service} GROUP BY span_name ORDER BY span_name`,
    );
    expect(red).toEqual([
      { span_name: 'GET /checkout', requests: '1', errors: '1', http_5xx: '1' },
      { span_name: 'SELECT orders', requests: '1', errors: '0', http_5xx: '0' },
    ]);
  });

  it('counts spans in /metrics', async () => {
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    const accepted = /burnrate_collector_items_accepted_total\{signal="traces"\} (\d+)/.exec(text);
    expect(Number(accepted?.[1])).toBeGreaterThanOrEqual(8);
    expect(text).toMatch(/burnrate_collector_insert_batches_total\{table="spans"\} \d+/);
  });
});
