import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { httpRequestsPerMinuteSql } from '../../storage/migrations/metrics.ts';

let db: TestDatabase;
let collector: TestCollector;

beforeAll(async () => {
  db = await createTestDatabase('mle');
  collector = await startTestCollector(db.config);
});
afterAll(async () => {
  await collector?.stop();
  await db?.close();
});

const query = <T>(sql: string) => db.ch.query<T>(sql);

/** Records every instrument kind once, exports through `exporter`, waits until the collector answered. */
async function exportMetrics(exporter: PushMetricExporter, service: string): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'service.namespace': 'shop' }),
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('e2e', '1.0.0');
  const orders = meter.createCounter('orders', { unit: '{order}', description: 'Orders placed', valueType: ValueType.INT });
  orders.add(3, { region: 'eu' });
  orders.add(4, { region: 'eu' });
  const depth = meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT });
  depth.add(10);
  depth.add(-4);
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  const ok = { 'http.request.method': 'GET', 'http.route': '/orders', 'http.response.status_code': 200 };
  for (const v of [0.05, 0.3, 2]) duration.record(v, ok);
  duration.record(0.7, { ...ok, 'http.response.status_code': 503 });
  const size = meter.createHistogram('payload.size', { unit: 'By' });
  for (const v of [100, 1000, 0]) size.record(v);
  meter.createObservableGauge('cpu.temperature', { unit: 'Cel' }).addCallback((r) => r.observe(61.5, { core: 0 }));
  // Shutdown collects and exports once (a forceFlush before it would export a second time).
  await provider.shutdown();
}

const exporters = (temporality: AggregationTemporalityPreference) => ({
  json: () => new JsonMetricExporter({ url: `${collector.url}/v1/metrics`, temporalityPreference: temporality }),
  proto: () => new ProtoMetricExporter({ url: `${collector.url}/v1/metrics`, temporalityPreference: temporality }),
});

describe('metrics from the OpenTelemetry SDK exporters', () => {
  for (const encoding of ['json', 'proto'] as const) {
    for (const [label, preference, temporality] of [
      ['cumulative', AggregationTemporalityPreference.CUMULATIVE, 2],
      ['delta', AggregationTemporalityPreference.DELTA, 1],
    ] as const) {
      it(`stores every instrument kind exactly (${encoding}, ${label})`, async () => {
        const service = `svc-${encoding}-${label}`;
        await exportMetrics(exporters(preference)[encoding](), service);
        const where = `WHERE service_name = '${service}' ORDER BY metric_name, time_ns`;

        const sums = await query(`SELECT metric_name, metric_description, metric_unit, aggregation_temporality, is_monotonic, value_type, value_int, value_double,
          attributes.key AS ak, attributes.value AS av, flags, service_namespace, scope_name, scope_version,
          start_time_ns > 0 AND time_ns >= start_time_ns AND toUInt32(timestamp) = intDiv(time_ns, 1000000000) AS times_ok FROM metrics_sum ${where}`);
        // The SDK exports up-down counters as cumulative even when delta is preferred (spec: "non-monotonic sums").
        expect(sums).toEqual([
          { metric_name: 'orders', metric_description: 'Orders placed', metric_unit: '{order}', aggregation_temporality: temporality, is_monotonic: 1, value_type: 2, value_int: '7', value_double: 0, ak: ['region'], av: ['eu'], flags: 0, service_namespace: 'shop', scope_name: 'e2e', scope_version: '1.0.0', times_ok: 1 },
          { metric_name: 'queue.depth', metric_description: '', metric_unit: '', aggregation_temporality: 2, is_monotonic: 0, value_type: 2, value_int: '6', value_double: 0, ak: [], av: [], flags: 0, service_namespace: 'shop', scope_name: 'e2e', scope_version: '1.0.0', times_ok: 1 },
        ]);

        const histograms = await query(`SELECT metric_name, metric_unit, aggregation_temporality, count, sum, has_sum, min, has_min, max, has_max, bucket_counts, explicit_bounds,
          http_route, http_method, http_status_code, attributes.type AS at FROM metrics_histogram ${where}, http_status_code`);
        const common = { metric_name: 'http.server.request.duration', metric_unit: 's', aggregation_temporality: temporality, has_sum: 1, has_min: 1, has_max: 1, explicit_bounds: [0.1, 0.5, 1], http_route: '/orders', http_method: 'GET', at: ['string', 'string', 'int'] };
        expect(histograms).toEqual([
          { ...common, count: '3', sum: 2.35, min: 0.05, max: 2, bucket_counts: ['1', '1', '0', '1'], http_status_code: 200 },
          { ...common, count: '1', sum: 0.7, min: 0.7, max: 0.7, bucket_counts: ['0', '0', '1', '0'], http_status_code: 503 },
        ]);

        const [exp] = await query<Record<string, unknown>>(`SELECT metric_name, aggregation_temporality, count, sum, min, max, zero_count, scale, positive_offset, positive_bucket_counts, negative_bucket_counts FROM metrics_exp_histogram ${where}`);
        expect(exp).toMatchObject({ metric_name: 'payload.size', aggregation_temporality: temporality, count: '3', sum: 1100, min: 0, max: 1000, zero_count: '1', negative_bucket_counts: [] });
        // 100 and 1000 land in two buckets of the chosen scale: the bucket index is floor(log2(v) * 2^scale).
        const scale = exp!.scale as number;
        const offset = exp!.positive_offset as number;
        const counts = (exp!.positive_bucket_counts as string[]).map(Number);
        const index = (v: number) => Math.ceil(Math.log2(v) * 2 ** scale) - 1;
        expect(offset).toBe(index(100));
        expect(counts.length).toBe(index(1000) - index(100) + 1);
        expect(counts[0]).toBe(1);
        expect(counts.at(-1)).toBe(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(2);

        const gauges = await query(`SELECT metric_name, metric_unit, value_type, value_double, attributes.key AS ak, attributes.type AS at, attributes.value AS av FROM metrics_gauge ${where}`);
        expect(gauges).toEqual([{ metric_name: 'cpu.temperature', metric_unit: 'Cel', value_type: 1, value_double: 61.5, ak: ['core'], at: ['int'], av: ['0'] }]);

        // The request rollup counts the SDK's histogram: 4 requests, one 5xx.
        const now = Math.floor(Date.now() / 1000);
        const perMinute = await query<{ requests: string; server_errors: string }>(
          httpRequestsPerMinuteSql({ tenant: '', serviceName: service, from: now - 600, to: now + 120 }).text,
        );
        expect(perMinute.reduce((a, r) => a + Number(r.requests), 0)).toBe(4);
        expect(perMinute.reduce((a, r) => a + Number(r.server_errors), 0)).toBe(1);
      });
    }
  }
});

describe('the requests-per-minute rollup', () => {
  it('gives exact requests and 5xx per minute for delta and cumulative histograms', async () => {
    const m0 = Math.floor(Date.now() / 60_000) * 60 - 3600;
    const at = (minute: number, second = 10) => String(BigInt(m0 + minute * 60 + second) * 1_000_000_000n);
    const point = (start: string, time: string, count: number, status: number, extra: object[] = []) => ({
      startTimeUnixNano: start,
      timeUnixNano: time,
      count: String(count),
      bucketCounts: [String(count)],
      attributes: [
        { key: 'http.route', value: { stringValue: '/pay' } },
        { key: 'http.response.status_code', value: { intValue: String(status) } },
        ...extra,
      ],
    });
    const startedBefore = String(BigInt(m0 - 86_400) * 1_000_000_000n);
    const body = {
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rollup' } }] },
        scopeMetrics: [{ metrics: [
          { name: 'http.server.request.duration', histogram: { aggregationTemporality: 2, dataPoints: [
            // a series that started inside the range: its first point counts in full
            point(at(0, 0), at(0, 20), 10, 200), point(at(0, 0), at(0, 50), 12, 200), point(at(0, 0), at(1), 25, 200), point(at(0, 0), at(2), 40, 200),
            point(at(0, 0), at(0, 50), 2, 500), point(at(0, 0), at(2), 7, 500),
            // a series that started a day before: its first point is only a baseline
            point(startedBefore, at(0), 100, 200, [{ key: 'server.address', value: { stringValue: 'b' } }]),
            point(startedBefore, at(1), 130, 200, [{ key: 'server.address', value: { stringValue: 'b' } }]),
            // the same series restarted (new start time): counts from zero again
            point(at(2, 0), at(2, 30), 3, 503, [{ key: 'server.address', value: { stringValue: 'b' } }]),
          ] } },
          { name: 'http.server.duration', histogram: { aggregationTemporality: 1, dataPoints: [
            point(at(0), at(1), 5, 200), point(at(1), at(1, 40), 6, 502),
            // staleness marker: never counted
            { ...point(at(1), at(1, 45), 99, 500), flags: 1 },
          ] } },
          // another metric name: not a request count
          { name: 'db.client.duration', histogram: { aggregationTemporality: 1, dataPoints: [point(at(0), at(1), 1000, 500)] } },
        ] }],
      }],
    };
    const response = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});

    // Minutes come back in the server's time zone: compare them as unix seconds.
    const sql = httpRequestsPerMinuteSql({ tenant: '', serviceName: 'rollup', from: m0, to: m0 + 180, lookbackSeconds: 600 }).text;
    const rows = await query(`SELECT service_name, toUInt32(minute) AS minute, requests, server_errors FROM (${sql})`);
    expect(rows).toEqual([
      // minute 0: cumulative 12 (last of 10, 12) + 2 (series started inside the range); series b is only a baseline
      { service_name: 'rollup', minute: m0, requests: '14', server_errors: '2' },
      // minute 1: 25-12 + (130-100) + delta 5 + delta 6 (502); the staleness marker is not counted
      { service_name: 'rollup', minute: m0 + 60, requests: '54', server_errors: '6' },
      // minute 2: 40-25 + (7-2) + the restarted series b from zero: 3 (503)
      { service_name: 'rollup', minute: m0 + 120, requests: '23', server_errors: '8' },
    ]);
  });
});

describe('metric points the SDKs rarely send', () => {
  it('stores staleness markers, non-finite doubles, summaries and exemplars', async () => {
    const time = '1763000000000000000';
    const body = {
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'rare' } }] },
        scopeMetrics: [{ metrics: [
          { name: 'up', gauge: { dataPoints: [
            { timeUnixNano: time, asDouble: 'NaN', flags: 1 },
            { timeUnixNano: time, asDouble: '-Infinity',
              exemplars: [{ timeUnixNano: time, asInt: '-9223372036854775808', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', filteredAttributes: [{ key: 'k', value: { boolValue: true } }] }] },
          ] } },
          { name: 'rpc.latency', summary: { dataPoints: [
            { timeUnixNano: time, count: '18446744073709551615', sum: 'Infinity', quantileValues: [{ quantile: 0.5, value: 1.5 }, { quantile: 1, value: 'NaN' }] },
          ] } },
        ] }],
      }],
    };
    const response = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(response.status).toBe(200);
    const gauges = await query(`SELECT flags, value_type, toString(value_double) AS v, exemplars.value_int AS ei, exemplars.trace_id AS et, exemplars.span_id AS es, exemplars.filtered_attributes AS ea
      FROM metrics_gauge WHERE service_name = 'rare' ORDER BY flags DESC`);
    expect(gauges).toEqual([
      { flags: 1, value_type: 1, v: 'nan', ei: [], et: [], es: [], ea: [] },
      { flags: 0, value_type: 1, v: '-inf', ei: ['-9223372036854775808'], et: ['0af7651916cd43dd8448eb211c80319c'], es: ['b7ad6b7169203331'], ea: ['[{"key":"k","value":{"boolValue":true}}]'] },
    ]);
    // Readers filter staleness markers out before aggregating.
    const [live] = await query<{ n: string }>(`SELECT count() AS n FROM metrics_gauge WHERE service_name = 'rare' AND bitAnd(flags, 1) = 0`);
    expect(live!.n).toBe('1');
    const summaries = await query(`SELECT count, toString(sum) AS s, quantile_values.quantile AS q, arrayMap(x -> toString(x), quantile_values.value) AS v FROM metrics_summary WHERE service_name = 'rare'`);
    expect(summaries).toEqual([{ count: '18446744073709551615', s: 'inf', q: [0.5, 1], v: ['1.5', 'nan'] }]);
  });
});

describe('logs from the OpenTelemetry SDK exporters', () => {
  for (const encoding of ['json', 'proto'] as const) {
    it(`stores string and structured bodies and the ids of the active span (${encoding})`, async () => {
      const service = `logs-${encoding}`;
      const exporter: LogRecordExporter = encoding === 'json' ? new JsonLogExporter({ url: `${collector.url}/v1/logs` }) : new ProtoLogExporter({ url: `${collector.url}/v1/logs` });
      const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': service }), processors: [new SimpleLogRecordProcessor({ exporter })] });
      const logger = provider.getLogger('e2e-logs', '0.1.0');
      const tracer = new BasicTracerProvider().getTracer('e2e');
      const t0 = 1_763_000_000_000 + (encoding === 'json' ? 0 : 10);
      logger.emit({ timestamp: t0, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'plain text\twith tab', attributes: { 'user.id': 7 } });
      logger.emit({ timestamp: t0 + 1, severityNumber: SeverityNumber.ERROR, eventName: 'order.failed', body: { order: 'A-1', items: [1, 2], paid: false } });
      const span = tracer.startSpan('checkout');
      logger.emit({ timestamp: t0 + 2, severityNumber: SeverityNumber.WARN, body: 'in span', context: trace.setSpan(ROOT_CONTEXT, span) });
      span.end();
      await provider.forceFlush();
      await provider.shutdown();

      const rows = await query(`SELECT toString(time_ns) AS t, observed_time_ns > 0 AS observed, toUInt32(timestamp) AS ts, severity_number, severity_text, body, body_type, event_name,
        trace_id, span_id, flags, attributes.key AS ak, attributes.value AS av, scope_name, scope_version FROM logs WHERE service_name = '${service}' ORDER BY time_ns`);
      const ctx = span.spanContext();
      const base = { observed: 1, ts: Math.floor(t0 / 1000), scope_name: 'e2e-logs', scope_version: '0.1.0' };
      expect(rows).toEqual([
        { ...base, t: `${t0}000000`, severity_number: 9, severity_text: 'INFO', body: 'plain text\twith tab', body_type: 'string', event_name: '', trace_id: '', span_id: '', flags: 0, ak: ['user.id'], av: ['7'] },
        { ...base, t: `${t0 + 1}000000`, severity_number: 17, severity_text: '', event_name: 'order.failed', trace_id: '', span_id: '', flags: 0, ak: [], av: [], body_type: 'kvlist',
          body: '{"kvlistValue":{"values":[{"key":"order","value":{"stringValue":"A-1"}},{"key":"items","value":{"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"}]}}},{"key":"paid","value":{"boolValue":false}}]}}' },
        { ...base, t: `${t0 + 2}000000`, severity_number: 13, severity_text: '', body: 'in span', body_type: 'string', event_name: '', trace_id: ctx.traceId, span_id: ctx.spanId, flags: 1, ak: [], av: [] },
      ]);
      const index = await query(`SELECT service_name, toUInt32(start) AS s FROM logs_trace_index WHERE trace_id = '${ctx.traceId}'`);
      expect(index).toEqual([{ service_name: service, s: Math.floor(t0 / 1000) }]);
    });
  }
});

describe('bad input on /v1/metrics and /v1/logs', () => {
  for (const path of ['/v1/metrics', '/v1/logs']) {
    it(`answers 400 with a google.rpc.Status for garbage protobuf (${path})`, async () => {
      const response = await fetch(collector.url + path, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]) });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/x-protobuf');
      const status = new Uint8Array(await response.arrayBuffer());
      expect([status[0], status[1]]).toEqual([0x08, 3]); // code = INVALID_ARGUMENT
      expect(Buffer.from(status.subarray(4)).toString()).toMatch(/^cannot decode request/);
    });

    it(`answers 400 for JSON of the wrong shape (${path})`, async () => {
      const [field, request] = path === '/v1/metrics' ? ['resourceMetrics', 'ExportMetricsServiceRequest'] : ['resourceLogs', 'ExportLogsServiceRequest'];
      const response = await fetch(collector.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ [field]: 'nope' }) });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ code: 3, message: `cannot decode request: invalid ${request}: ${field} must be an array` });
    });
  }

  it('answers partial success for individually invalid data points and log records', async () => {
    const metrics = await fetch(`${collector.url}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'partial' } }] }, scopeMetrics: [{ metrics: [
        { name: 'g', gauge: { dataPoints: [{ timeUnixNano: '1763000000000000000', asInt: 'x' }, { timeUnixNano: '1763000000000000000', asInt: '1' }] } },
      ] }] }] }),
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.json()).toEqual({ partialSuccess: { rejectedDataPoints: '1', errorMessage: '1 data point rejected: asInt must be an int64' } });

    const logs = await fetch(`${collector.url}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abc', body: { stringValue: 'x' } }, { body: { stringValue: 'kept' } }] }] }] })),
    });
    expect(logs.status).toBe(200);
    expect(await logs.json()).toEqual({ partialSuccess: { rejectedLogRecords: '1', errorMessage: '1 log record rejected: invalid trace_id length (expected 16 bytes or empty)' } });
  });

  it('answers 413 for oversized bodies and counts data points and log records in /metrics', async () => {
    const small = await startTestCollector(db.config, { maxBodyBytes: 1024 });
    try {
      for (const path of ['/v1/metrics', '/v1/logs']) {
        const response = await fetch(small.url + path, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: new Uint8Array(4096) });
        expect(response.status).toBe(413);
      }
    } finally {
      await small.stop();
    }
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    expect(text).toMatch(/burnrate_collector_items_accepted_total\{signal="metrics"\} [1-9]/);
    expect(text).toMatch(/burnrate_collector_items_accepted_total\{signal="logs"\} [1-9]/);
    expect(text).toMatch(/burnrate_collector_items_rejected_total\{signal="metrics",reason="invalid"\} [1-9]/);
  });
});
