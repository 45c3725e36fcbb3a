import { describe, expect, it } from 'vitest';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { decodeMetricsProto } from '../../collector/decode/metrics-proto.ts';
import { decodeMetricsJson } from '../../collector/decode/metrics-json.ts';
import { DEFAULT_DECODE_LIMITS, PayloadError, type DecodeOptions } from '../../collector/rows/types.ts';
import type { MetricPointRow } from '../../collector/rows/metric-rows.ts';
import {
  double,
  fields,
  fixed64,
  hexBytes,
  keyValueInt,
  keyValueString,
  message,
  packedDouble,
  packedFixed64,
  packedVarint,
  sint32,
  string,
  varint,
} from '../support/proto-writer.ts';

const OPTIONS: DecodeOptions = { tenant: 'acme', limits: DEFAULT_DECODE_LIMITS };

class TestReader extends MetricReader {
  protected async onShutdown() {}
  protected async onForceFlush() {}
}

/** Real SDK output: every instrument kind the issue lists, with the chosen temporality. */
async function collectSdkMetrics(temporality: AggregationTemporality): Promise<ResourceMetrics> {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.namespace': 'shop', 'deployment.environment.name': 'prod', 'host.cores': 8 }),
    readers: [reader],
    views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('checkout-meter', '1.2.3');
  const orders = meter.createCounter('orders', { description: 'Orders placed', unit: '{order}', valueType: ValueType.INT });
  orders.add(3, { region: 'eu' });
  orders.add(4, { region: 'eu' });
  orders.add(5, { region: 'us' });
  const depth = meter.createUpDownCounter('queue.depth', { valueType: ValueType.INT });
  depth.add(10);
  depth.add(-4);
  const duration = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  const ok = { 'http.request.method': 'GET', 'http.route': '/orders', 'http.response.status_code': 200 };
  duration.record(0.05, ok);
  duration.record(0.3, ok);
  duration.record(2, ok);
  duration.record(0.7, { ...ok, 'http.response.status_code': 503 });
  const size = meter.createHistogram('payload.size', { unit: 'By' });
  size.record(100);
  size.record(1000);
  size.record(0);
  meter.createObservableGauge('cpu.temperature', { unit: 'Cel' }).addCallback((r) => r.observe(61.5, { core: 0 }));
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  await provider.shutdown();
  return resourceMetrics;
}

function decodeBoth(resourceMetrics: ResourceMetrics) {
  const proto = decodeMetricsProto(ProtobufMetricsSerializer.serializeRequest(resourceMetrics)!, OPTIONS);
  const json = decodeMetricsJson(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(resourceMetrics)!), OPTIONS);
  return { proto, json };
}

const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
const byName = (rows: MetricPointRow[], name: string) => rows.filter((r) => r.metric.name === name);

describe('metrics decoders with real SDK output', () => {
  for (const [label, temporality, code] of [
    ['cumulative', AggregationTemporality.CUMULATIVE, 2],
    ['delta', AggregationTemporality.DELTA, 1],
  ] as const) {
    it(`protobuf and JSON give identical rows with exact values (${label})`, async () => {
      const rm = await collectSdkMetrics(temporality);
      const { proto, json } = decodeBoth(rm);
      expect(proto.rejected).toBe(0);
      expect(json.rejected).toBe(0);
      expect(proto.rows).toEqual(json.rows);
      const rows = proto.rows;
      expect(rows).toHaveLength(7);

      const sdkPoints = new Map(rm.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m.dataPoints as { startTime: [number, number]; endTime: [number, number]; value: unknown }[]]));
      for (const row of rows) {
        expect(row.tenant).toBe('acme');
        expect(row.resource).toMatchObject({ serviceName: 'checkout', serviceNamespace: 'shop', deploymentEnvironment: 'prod' });
        expect(row.resource.attributes.keys).toContain('host.cores');
        expect(row.scope).toMatchObject({ name: 'checkout-meter', version: '1.2.3' });
        // Points of one metric may start a millisecond apart (one per attribute set): match any of them.
        const times = sdkPoints.get(row.metric.name)!.map((p) => [ns(p.startTime), ns(p.endTime)]);
        expect(times).toContainEqual([row.startTimeNs, row.timeNs]);
        expect(row.timestamp).toBe(Number(row.timeNs / 1_000_000_000n));
        expect(row.flags).toBe(0);
      }

      const orders = byName(rows, 'orders');
      expect(orders.map((r) => [r.kind, r.attributes.values[0], r.valueType, r.valueInt, r.valueDouble])).toEqual([
        ['sum', 'eu', 2, 7n, 0],
        ['sum', 'us', 2, 5n, 0],
      ]);
      expect(orders[0]!.metric).toEqual({ name: 'orders', description: 'Orders placed', unit: '{order}', temporality: code, isMonotonic: true });
      expect(orders[0]!.attributes).toEqual({ keys: ['region'], types: ['string'], values: ['eu'] });

      const [depth] = byName(rows, 'queue.depth');
      expect(depth).toMatchObject({ kind: 'sum', valueType: 2, valueInt: 6n });
      expect(depth!.metric.isMonotonic).toBe(false);

      const duration = byName(rows, 'http.server.request.duration');
      expect(duration).toHaveLength(2);
      expect(duration[0]).toMatchObject({
        kind: 'histogram',
        count: 3n,
        sum: 2.35,
        hasSum: true,
        min: 0.05,
        hasMin: true,
        max: 2,
        hasMax: true,
        bucketCounts: [1, 1, 0, 1],
        explicitBounds: [0.1, 0.5, 1],
        httpRoute: '/orders',
        httpMethod: 'GET',
        httpStatusCode: 200,
      });
      expect(duration[0]!.attributes).toEqual({
        keys: ['http.request.method', 'http.route', 'http.response.status_code'],
        types: ['string', 'string', 'int'],
        values: ['GET', '/orders', '200'],
      });
      expect(duration[1]).toMatchObject({ count: 1n, sum: 0.7, min: 0.7, max: 0.7, bucketCounts: [0, 0, 1, 0], httpStatusCode: 503 });
      expect(duration[0]!.metric).toMatchObject({ unit: 's', temporality: code });

      const [size] = byName(rows, 'payload.size');
      const sdkSize = sdkPoints.get('payload.size')![0]!.value as { scale: number; zeroCount: number; positive: { offset: number; bucketCounts: number[] } };
      expect(size).toMatchObject({
        kind: 'exponential_histogram',
        count: 3n,
        sum: 1100,
        hasSum: true,
        min: 0,
        hasMin: true,
        max: 1000,
        hasMax: true,
        zeroCount: 1n,
        zeroThreshold: 0,
        scale: sdkSize.scale,
        positiveOffset: sdkSize.positive.offset,
        positiveBucketCounts: sdkSize.positive.bucketCounts,
        negativeOffset: 0,
        negativeBucketCounts: [],
      });
      expect(size!.positiveBucketCounts.reduce((a, b) => Number(a) + Number(b), 0)).toBe(2);

      const [gauge] = byName(rows, 'cpu.temperature');
      expect(gauge).toMatchObject({ kind: 'gauge', valueType: 1, valueDouble: 61.5, valueInt: 0n });
      expect(gauge!.attributes).toEqual({ keys: ['core'], types: ['int'], values: ['0'] });
      expect(gauge!.metric).toEqual({ name: 'cpu.temperature', description: '', unit: 'Cel', temporality: 0, isMonotonic: false });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Hand-built payloads: what the SDK never sends (summaries, exemplars, staleness flags, unknown
// fields, 64-bit values beyond 2^53, invalid points), in protobuf and the equivalent OTLP/JSON.

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const T = 1_763_000_000_123_456_789n;
const S = 1_763_000_000_000_000_000n;
const BIG = 2n ** 60n;
const BIG_INT = 9_007_199_254_740_993n; // 2^53 + 1: not a double

function handBuiltProto(): Uint8Array {
  const times = [fixed64(2, S), fixed64(3, T)];
  const gauge = message(2,
    string(1, 'room.temperature'), string(2, 'Room temperature'), string(3, 'Cel'),
    string(50, 'an unknown Metric field'),
    message(5,
      message(1, ...times, double(4, 21.5), keyValueString(7, 'room', 'a'),
        message(5, fixed64(2, T - 5n), fixed64(6, 7n), hexBytes(5, TRACE_ID), hexBytes(4, SPAN_ID), keyValueString(7, 'user', 'u1'), varint(40, 1)),
        varint(99, 12345)),
      // staleness marker: flag 1, no value
      message(1, ...times, keyValueString(7, 'room', 'b'), varint(8, 1)),
      // no time: rejected
      message(1, fixed64(2, S), double(4, 1)),
    ),
  );
  const sum = message(2,
    string(1, 'bytes.sent'), string(3, 'By'),
    message(7,
      message(1, ...times, fixed64(6, BIG_INT)),
      message(1, ...times, fixed64(6, -5n), keyValueInt(7, 'peer', -1)),
      varint(2, 1), varint(3, 1),
    ),
  );
  const histogram = message(2,
    string(1, 'http.server.duration'), string(3, 'ms'),
    message(9,
      varint(2, 2),
      message(1, ...times, fixed64(4, BIG + 4n), double(5, 12.5), packedFixed64(6, [1n, BIG, 3n]), packedDouble(7, [1, 2]),
        message(8, fixed64(2, T - 1n), double(3, 0.7), hexBytes(5, TRACE_ID), hexBytes(4, SPAN_ID)),
        keyValueString(9, 'http.method', 'POST'), keyValueInt(9, 'http.status_code', 500), keyValueString(9, 'http.route', '/pay'),
        double(11, 0.5), double(12, 9)),
      // bucket_counts length != explicit_bounds length + 1: rejected
      message(1, ...times, fixed64(4, 3n), packedFixed64(6, [1n, 2n]), packedDouble(7, [1, 2])),
    ),
  );
  const expHistogram = message(2,
    string(1, 'signed.values'),
    message(10,
      varint(2, 1),
      message(1, ...times, fixed64(4, 6n), double(5, -3), sint32(6, -1), fixed64(7, 1n), double(14, 0.001),
        message(8, sint32(1, 2), packedVarint(2, [1, 2])),
        message(9, sint32(1, -3), packedVarint(2, [2, BIG])),
        double(12, -8), double(13, 5)),
    ),
  );
  const summary = message(2,
    string(1, 'rpc.latency'), string(3, 's'),
    message(11,
      message(1, ...times, fixed64(4, 10n), double(5, 55.5), message(6, double(1, 0.5), double(2, 4)), message(6, double(1, 0.99), double(2, 9.5)),
        keyValueString(7, 'method', 'Get'), varint(8, 0)),
    ),
  );
  const noData = message(2, string(1, 'no.data'), string(3, '1'));
  return fields(
    message(1,
      message(1, keyValueString(1, 'service.name', 'billing'), varint(2, 3)),
      message(2,
        message(1, string(1, 'billing-lib'), string(2, '0.1.0'), keyValueString(3, 'scope.attr', 'x')),
        gauge, sum, histogram, expHistogram, summary, noData,
        string(3, 'https://opentelemetry.io/schemas/1.26.0'),
      ),
      string(3, 'https://opentelemetry.io/schemas/1.25.0'),
      varint(77, 1),
    ),
    string(9, 'unknown top-level field'),
  );
}

function handBuiltJson(): string {
  const times = { startTimeUnixNano: String(S), timeUnixNano: String(T) };
  const request = {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'billing' } }], droppedAttributesCount: 3 },
      scopeMetrics: [{
        scope: { name: 'billing-lib', version: '0.1.0', attributes: [{ key: 'scope.attr', value: { stringValue: 'x' } }] },
        metrics: [
          {
            name: 'room.temperature', description: 'Room temperature', unit: 'Cel', somethingNew: { a: 1 },
            gauge: { dataPoints: [
              { ...times, asDouble: 21.5, attributes: [{ key: 'room', value: { stringValue: 'a' } }], unknownField: 12345,
                exemplars: [{ timeUnixNano: String(T - 5n), asInt: '7', traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID, filteredAttributes: [{ key: 'user', value: { stringValue: 'u1' } }], extra: true }] },
              { ...times, attributes: [{ key: 'room', value: { stringValue: 'b' } }], flags: 1 },
              { startTimeUnixNano: String(S), asDouble: 1 },
            ] },
          },
          {
            name: 'bytes.sent', unit: 'By',
            sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [
              { ...times, asInt: String(BIG_INT) },
              { ...times, asInt: -5, attributes: [{ key: 'peer', value: { intValue: -1 } }] },
            ] },
          },
          {
            name: 'http.server.duration', unit: 'ms',
            histogram: { aggregationTemporality: 2, dataPoints: [
              { ...times, count: String(BIG + 4n), sum: 12.5, bucketCounts: ['1', String(BIG), 3], explicitBounds: [1, 2],
                exemplars: [{ timeUnixNano: String(T - 1n), asDouble: 0.7, traceId: TRACE_ID, spanId: SPAN_ID }],
                attributes: [
                  { key: 'http.method', value: { stringValue: 'POST' } },
                  { key: 'http.status_code', value: { intValue: '500' } },
                  { key: 'http.route', value: { stringValue: '/pay' } },
                ],
                min: 0.5, max: 9 },
              { ...times, count: 3, bucketCounts: [1, 2], explicitBounds: [1, 2] },
            ] },
          },
          {
            name: 'signed.values',
            exponentialHistogram: { aggregationTemporality: 1, dataPoints: [
              { ...times, count: '6', sum: -3, scale: -1, zeroCount: 1, zeroThreshold: 0.001,
                positive: { offset: 2, bucketCounts: [1, '2'] }, negative: { offset: -3, bucketCounts: ['2', String(BIG)] }, min: -8, max: 5 },
            ] },
          },
          {
            name: 'rpc.latency', unit: 's',
            summary: { dataPoints: [
              { ...times, count: '10', sum: 55.5, quantileValues: [{ quantile: 0.5, value: 4 }, { quantile: 0.99, value: 9.5 }],
                attributes: [{ key: 'method', value: { stringValue: 'Get' } }], flags: 0 },
            ] },
          },
          { name: 'no.data', unit: '1' },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      }],
      schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
      futureField: [1, 2],
    }],
    alsoUnknown: 'x',
  };
  return JSON.stringify(request);
}

describe('metrics decoders with hand-built payloads', () => {
  const proto = decodeMetricsProto(handBuiltProto(), OPTIONS);
  const json = decodeMetricsJson(handBuiltJson(), OPTIONS);

  it('give identical rows from protobuf and JSON, unknown fields skipped', () => {
    expect(proto.rows).toEqual(json.rows);
    expect(proto.rows.map((r) => `${r.kind}:${r.metric.name}`)).toEqual([
      'gauge:room.temperature', 'gauge:room.temperature',
      'sum:bytes.sent', 'sum:bytes.sent',
      'histogram:http.server.duration',
      'exponential_histogram:signed.values',
      'summary:rpc.latency',
    ]);
  });

  it('count invalid points and metrics as rejected data points and say why', () => {
    for (const result of [proto, json]) {
      expect(result.rejected).toBe(3);
      expect(result.errorMessage).toBe(
        '3 data points rejected: data point without time_unix_nano (1); histogram bucket_counts length is not explicit_bounds length + 1 (1); ' +
          'metric without data (no gauge, sum, histogram, exponential_histogram or summary) (1)',
      );
    }
  });

  it('keep resource, scope and schema urls', () => {
    const row = proto.rows[0]!;
    expect(row.resource).toEqual({
      attributes: { keys: ['service.name'], types: ['string'], values: ['billing'] },
      droppedAttributesCount: 3,
      schemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
      serviceName: 'billing',
      serviceNamespace: '',
      deploymentEnvironment: '',
    });
    expect(row.scope).toEqual({
      name: 'billing-lib',
      version: '0.1.0',
      attributesJson: '[{"key":"scope.attr","value":{"stringValue":"x"}}]',
      droppedAttributesCount: 0,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
  });

  it('keep gauge values, exemplars with hex ids and the staleness flag (never a zero value)', () => {
    const [value, stale] = proto.rows;
    expect(value).toMatchObject({ startTimeNs: S, timeNs: T, timestamp: 1_763_000_000, valueType: 1, valueDouble: 21.5, flags: 0 });
    expect(value!.exemplars).toEqual([
      { timeNs: T - 5n, valueType: 2, valueDouble: 0, valueInt: 7n, traceId: TRACE_ID, spanId: SPAN_ID, filteredAttributesJson: '[{"key":"user","value":{"stringValue":"u1"}}]' },
    ]);
    expect(stale).toMatchObject({ flags: 1, valueType: 0, valueDouble: 0, valueInt: 0n });
    expect(stale!.attributes.values).toEqual(['b']);
  });

  it('keep int64 values beyond 2^53 and negative ints exactly', () => {
    const [big, negative] = proto.rows.slice(2);
    expect(big).toMatchObject({ valueType: 2, valueInt: BIG_INT });
    expect(big!.metric).toEqual({ name: 'bytes.sent', description: '', unit: 'By', temporality: 1, isMonotonic: true });
    expect(negative).toMatchObject({ valueType: 2, valueInt: -5n });
    expect(negative!.attributes).toEqual({ keys: ['peer'], types: ['int'], values: ['-1'] });
  });

  it('keep histogram counts beyond 2^53, optional fields and the legacy HTTP attributes', () => {
    const histogram = proto.rows[4]!;
    expect(histogram).toMatchObject({
      count: BIG + 4n, sum: 12.5, hasSum: true, min: 0.5, hasMin: true, max: 9, hasMax: true,
      bucketCounts: [1, BIG, 3], explicitBounds: [1, 2],
      httpMethod: 'POST', httpStatusCode: 500, httpRoute: '/pay',
    });
    expect(histogram.metric.temporality).toBe(2);
    expect(histogram.exemplars).toEqual([{ timeNs: T - 1n, valueType: 1, valueDouble: 0.7, valueInt: 0n, traceId: TRACE_ID, spanId: SPAN_ID, filteredAttributesJson: '' }]);
  });

  it('keep exponential histogram scale, zero bucket and signed offsets', () => {
    expect(proto.rows[5]).toMatchObject({
      count: 6n, sum: -3, hasSum: true, min: -8, max: 5, scale: -1, zeroCount: 1n, zeroThreshold: 0.001,
      positiveOffset: 2, positiveBucketCounts: [1, 2], negativeOffset: -3, negativeBucketCounts: [2, BIG],
    });
  });

  it('keep summary count, sum and quantiles', () => {
    expect(proto.rows[6]).toMatchObject({ count: 10n, sum: 55.5, hasSum: true, quantiles: [0.5, 0.99], quantileValues: [4, 9.5], flags: 0 });
    expect(proto.rows[6]!.attributes.values).toEqual(['Get']);
  });
});

describe('metrics decoders on bad input', () => {
  it('reject undecodable protobuf with PayloadError', () => {
    expect(() => decodeMetricsProto(Uint8Array.from([0x0a, 0xff, 0xff, 0x01, 0x02]), OPTIONS)).toThrow(PayloadError);
    // a known field (Metric.name) with the wrong wire type
    expect(() => decodeMetricsProto(fields(message(1, message(2, message(2, varint(1, 5))))), OPTIONS)).toThrow(/Metric: field 1 has wrong wire type/);
  });

  it('reject invalid JSON and wrong types outside data points with PayloadError', () => {
    expect(() => decodeMetricsJson('{"resourceMetrics": [', OPTIONS)).toThrow(PayloadError);
    expect(() => decodeMetricsJson('{"resourceMetrics": 5}', OPTIONS)).toThrow(PayloadError);
    expect(() => decodeMetricsJson('{"resourceMetrics": [{"resource": {"attributes": "x"}}]}', OPTIONS)).toThrow(PayloadError);
  });

  it('reject only the data point or metric with wrong JSON types', () => {
    const body = JSON.stringify({
      resourceMetrics: [{ scopeMetrics: [{ metrics: [
        { name: 'a', gauge: { dataPoints: [{ timeUnixNano: '1', asInt: 'seven' }, { timeUnixNano: '1', asInt: 7 }] } },
        { name: 'b', sum: { aggregationTemporality: 'DELTA', dataPoints: [{ timeUnixNano: '1', asInt: 1 }, { timeUnixNano: '1', asInt: 2 }] } },
      ] }] }],
    });
    const result = decodeMetricsJson(body, OPTIONS);
    expect(result.rows.map((r) => [r.metric.name, r.valueInt])).toEqual([['a', 7n]]);
    expect(result.rejected).toBe(3);
    expect(result.errorMessage).toBe('3 data points rejected: asInt must be an int64 (1); aggregationTemporality must be an integer (2)');
  });
});
