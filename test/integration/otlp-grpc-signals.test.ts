import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { sql } from '../../storage/sql.ts';

describe('metrics and logs over OTLP/gRPC with the SDK exporters', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('grpc_signals');
    collector = await startTestCollector(db.config);
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  for (const [label, preference, temporality] of [
    ['delta', AggregationTemporalityPreference.DELTA, 1],
    ['cumulative', AggregationTemporalityPreference.CUMULATIVE, 2],
  ] as const) {
    it(`stores counters, up-down counters, histograms, exponential histograms and gauges (${label}, gzip)`, async () => {
      const service = `grpc-metrics-${label}`;
      const exporter = new OTLPMetricExporter({ url: `http://${collector.grpcAddress}`, temporalityPreference: preference, compression: CompressionAlgorithm.GZIP });
      const provider = new MeterProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
        views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
      });
      const meter = provider.getMeter('grpc-e2e');
      meter.createCounter('jobs', { valueType: ValueType.INT }).add(5, { queue: 'q1' });
      const h = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
      h.record(0.05, { 'http.route': '/a', 'http.response.status_code': 200 });
      h.record(2, { 'http.route': '/a', 'http.response.status_code': 500 });
      meter.createObservableGauge('temp').addCallback((r) => r.observe(21.5));
      const depth = meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT });
      depth.add(10);
      depth.add(-3);
      const size = meter.createHistogram('payload.size');
      for (const v of [1, 2, 4]) size.record(v);
      await provider.shutdown();

      const sums = await db.ch.query(sql`SELECT metric_name, aggregation_temporality, is_monotonic, value_int FROM metrics_sum WHERE service_name = ${service} ORDER BY metric_name`);
      // The SDK exports up-down counters as cumulative whatever the preference (non-monotonic sums).
      expect(sums).toEqual([
        { metric_name: 'jobs', aggregation_temporality: temporality, is_monotonic: 1, value_int: '5' },
        { metric_name: 'queue.depth', aggregation_temporality: 2, is_monotonic: 0, value_int: '7' },
      ]);
      const exp = await db.ch.query(sql`SELECT count, sum, min, max, zero_count, arraySum(positive_bucket_counts) AS in_buckets FROM metrics_exp_histogram WHERE service_name = ${service}`);
      expect(exp).toEqual([{ count: '3', sum: 7, min: 1, max: 4, zero_count: '0', in_buckets: '3' }]);
      const hist = await db.ch.query(
        sql`SELECT http_status_code, count, bucket_counts, explicit_bounds FROM metrics_histogram WHERE service_name = ${service} ORDER BY http_status_code`,
      );
      expect(hist).toEqual([
        { http_status_code: 200, count: '1', bucket_counts: ['1', '0', '0'], explicit_bounds: [0.1, 1] },
        { http_status_code: 500, count: '1', bucket_counts: ['0', '0', '1'], explicit_bounds: [0.1, 1] },
      ]);
      const gauges = await db.ch.query(sql`SELECT metric_name, value_double FROM metrics_gauge WHERE service_name = ${service}`);
      expect(gauges).toEqual([{ metric_name: 'temp', value_double: 21.5 }]);
    });
  }

  it('stores log records with structured bodies and the ids of the active span', async () => {
    const service = 'grpc-logs';
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://${collector.grpcAddress}` }) })],
    });
    const logger = provider.getLogger('grpc-e2e');
    const tracer = new BasicTracerProvider().getTracer('t');
    const span = tracer.startSpan('work');
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: { order: 42, items: ['a'] }, attributes: { k: 'v' }, context: ctx });
    await provider.forceFlush();
    await provider.shutdown();
    span.end();
    const rows = await db.ch.query(sql`SELECT severity_number, severity_text, body_type, body, attributes.key AS ak, trace_id, span_id FROM logs WHERE service_name = ${service}`);
    expect(rows).toEqual([
      {
        severity_number: 13,
        severity_text: 'WARN',
        body_type: 'kvlist',
        body: '{"kvlistValue":{"values":[{"key":"order","value":{"intValue":"42"}},{"key":"items","value":{"arrayValue":{"values":[{"stringValue":"a"}]}}}]}}',
        ak: ['k'],
        trace_id: span.spanContext().traceId,
        span_id: span.spanContext().spanId,
      },
    ]);
  });
});
