// Realistic OTLP payloads for the ingest benchmark, serialized by the official
// @opentelemetry/otlp-transformer serializers from plain objects shaped like the SDK's
// ReadableSpan / ResourceMetrics / ReadableLogRecord (no SDK pipeline: building them is faster).
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { Reader } from '../../collector/decode/wire.ts';
import { seededRandom } from '../span-rows.ts';

type HrTime = [number, number];
type Attrs = Record<string, string | number | boolean>;

/** One request body plus what the benchmark needs to know about it. */
export interface Payload {
  body: Uint8Array;
  /** Spans, data points or log records in it. */
  items: number;
  /** Byte offsets of every span's trace_id (protobuf traces only): patched per send to make ids unique. */
  traceIdOffsets?: Uint32Array;
}

const SERVICES = ['checkout', 'cart', 'catalog', 'payments', 'auth', 'search', 'shipping', 'frontend'];
const ROUTES = ['/checkout', '/products/:id', '/cart', '/login', '/search', '/orders/:id', '/api/v1/items', '/healthz'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];

/** `count` service names: the eight above, then numbered variants of them (`checkout-1`, ...). */
export function serviceNames(count: number): string[] {
  return Array.from({ length: count }, (_, k) => (k < SERVICES.length ? SERVICES[k]! : `${SERVICES[k % SERVICES.length]}-${Math.floor(k / SERVICES.length)}`));
}

/** The resource of one SDK: service `service` (default: the i-th of the eight) and five more attributes. */
export function resourceFor(rand: () => number, i: number, service = SERVICES[i % SERVICES.length]!) {
  return {
    attributes: {
      'service.name': service,
      'service.version': `1.${i % 7}.${Math.floor(rand() * 20)}`,
      'service.namespace': 'shop',
      'deployment.environment.name': 'prod',
      'host.name': `node-${Math.floor(rand() * 40)}`,
      'telemetry.sdk.language': 'nodejs',
    } as Attrs,
    schemaUrl: undefined,
    asyncAttributesPending: false,
    merge() {
      return this;
    },
    getRawAttributes() {
      return [];
    },
    waitForAsyncAttributes: async () => {},
  };
}

const hexOf = (rand: () => number, bytes: number) => {
  let s = '';
  for (let i = 0; i < bytes; i++) s += Math.floor(rand() * 256).toString(16).padStart(2, '0');
  return s;
};

const hr = (ns: bigint): HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

/** `count` ReadableSpan-shaped objects of one service (the resource of one SDK), `spacingNs` apart. */
export function makeSpans(rand: () => number, count: number, resource: ReturnType<typeof resourceFor>, startNs: bigint, spacingNs = 250_000n) {
  const scope = { name: '@opentelemetry/instrumentation-http', version: '0.57.0', schemaUrl: undefined };
  const spans: object[] = [];
  let traceId = hexOf(rand, 16);
  let parent: string | undefined;
  for (let i = 0; i < count; i++) {
    // Traces of ~4 spans: a root server span and children.
    if (i % 4 === 0) {
      traceId = hexOf(rand, 16);
      parent = undefined;
    }
    const spanId = hexOf(rand, 8);
    const start = startNs + BigInt(i) * spacingNs;
    const duration = BigInt(Math.floor(1_000_000 + rand() * rand() * 400_000_000));
    const error = rand() < 0.01;
    const route = ROUTES[Math.floor(rand() * ROUTES.length)]!;
    const method = METHODS[Math.floor(rand() * METHODS.length)]!;
    const status = error ? 500 : rand() < 0.03 ? 404 : 200;
    const events =
      rand() < 0.05
        ? [{ name: 'exception', time: hr(start + duration / 2n), attributes: { 'exception.type': 'TimeoutError', 'exception.message': `upstream timed out after ${Math.floor(rand() * 5000)} ms` }, droppedAttributesCount: 0 }]
        : [];
    // The serializer calls spanContext() after this loop: capture this span's trace id, not the variable.
    const spanTraceId = traceId;
    spans.push({
      name: `${method} ${route}`,
      kind: parent === undefined ? 1 : 2, // SpanKind.SERVER / CLIENT (serialized as 2 / 3)
      spanContext: () => ({ traceId: spanTraceId, spanId, traceFlags: 1 }),
      parentSpanContext: parent === undefined ? undefined : { traceId, spanId: parent, traceFlags: 1, isRemote: false },
      startTime: hr(start),
      endTime: hr(start + duration),
      status: error ? { code: 2, message: 'Internal Server Error' } : { code: 0 },
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
        'url.scheme': 'https',
        'url.path': route.replace(':id', String(Math.floor(rand() * 100_000))),
        'server.address': 'shop.example.com',
        'server.port': 443,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      } as Attrs,
      links: [],
      events,
      duration: hr(duration),
      ended: true,
      resource,
      instrumentationScope: scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    });
    if (parent === undefined) parent = spanId;
  }
  return spans;
}

/** Offsets of span trace_id bytes in an ExportTraceServiceRequest (walks the protobuf). */
export function traceIdOffsets(body: Uint8Array): Uint32Array {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number) => {
    const r = new Reader(body, start, end);
    while (r.pos < r.end) {
      const tag = r.uint32();
      if ((tag & 7) !== 2) {
        r.skip(tag & 7);
        continue;
      }
      const len = r.uint32();
      const from = r.pos;
      r.pos += len;
      const field = tag >>> 3;
      // depth 0: resource_spans(1); 1: scope_spans(2); 2: spans(2); 3: trace_id(1)
      if (depth === 0 && field === 1) walk(from, from + len, 1);
      else if (depth === 1 && field === 2) walk(from, from + len, 2);
      else if (depth === 2 && field === 2) walk(from, from + len, 3);
      else if (depth === 3 && field === 1 && len === 16) out.push(from);
    }
  };
  walk(0, body.length, 0);
  return Uint32Array.from(out);
}

export interface TracePayloadOptions {
  /** Total spans over all payloads. */
  spans: number;
  minSpans?: number;
  maxSpans?: number;
  seed?: number;
  json?: boolean;
  /** Start of the first span, ms since the epoch (default: a minute ago). */
  startMs?: number;
  /** Compute traceIdOffsets (default true; the decoder-alone process skips it to keep its JIT state clean). */
  offsets?: boolean;
}

/** Trace requests of 512..2048 spans (one service each) until `spans` spans are made. */
export function tracePayloads(options: TracePayloadOptions): Payload[] {
  const rand = seededRandom(options.seed ?? 7);
  const min = options.minSpans ?? 512;
  const max = options.maxSpans ?? 2048;
  const out: Payload[] = [];
  let left = options.spans;
  let startNs = BigInt(options.startMs ?? Date.now() - 60_000) * 1_000_000n;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, min + Math.floor(rand() * (max - min + 1)));
    const spans = makeSpans(rand, n, resourceFor(rand, i), startNs);
    startNs += BigInt(n) * 250_000n;
    const body = options.json ? JsonTraceSerializer.serializeRequest(spans as never)! : ProtobufTraceSerializer.serializeRequest(spans as never)!;
    out.push({ body, items: n, traceIdOffsets: options.json || options.offsets === false ? undefined : traceIdOffsets(body) });
    left -= n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics: what an instrumented HTTP service exports — request duration histograms, request counts
// (sums) and gauges, with HTTP semantic-convention attributes. Data points per request ~1,024.

export function metricPayloads(options: { points: number; pointsPerRequest?: number; seed?: number; json?: boolean }): Payload[] {
  const rand = seededRandom(options.seed ?? 11);
  const per = options.pointsPerRequest ?? 1024;
  const out: Payload[] = [];
  let left = options.points;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const boundaries = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, per);
    const resource = resourceFor(rand, i);
    const point = (value: unknown, k: number) => ({
      startTime: hr(nowNs - 60_000_000_000n),
      endTime: hr(nowNs + BigInt(k) * 1000n),
      attributes: {
        'http.request.method': METHODS[k % METHODS.length]!,
        'http.route': ROUTES[k % ROUTES.length]!,
        'http.response.status_code': k % 50 === 0 ? 500 : 200,
        'url.scheme': 'https',
        'instance.id': `pod-${k}`,
      } as Attrs,
      value,
    });
    const histograms: object[] = [];
    const sums: object[] = [];
    const gauges: object[] = [];
    for (let k = 0; k < n; k++) {
      const kind = k % 4;
      if (kind === 0) {
        const counts = boundaries.map(() => Math.floor(rand() * 100));
        counts.push(Math.floor(rand() * 5));
        const count = counts.reduce((a, b) => a + b, 0);
        histograms.push(point({ buckets: { boundaries, counts }, count, sum: count * 42.5, min: 0.4, max: 9000 }, k));
      } else if (kind === 3) gauges.push(point(rand() * 100, k));
      else sums.push(point(Math.floor(rand() * 1_000_000), k));
    }
    const metrics = [
      { descriptor: { name: 'http.server.request.duration', description: 'Duration of HTTP server requests.', unit: 'ms', valueType: 1 }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.HISTOGRAM, dataPoints: histograms },
      { descriptor: { name: 'http.server.requests', description: 'HTTP server requests.', unit: '{request}', valueType: 0 }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: sums },
      { descriptor: { name: 'process.cpu.utilization', description: 'CPU utilization.', unit: '1', valueType: 1 }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: gauges },
    ].filter((m) => m.dataPoints.length > 0);
    const request = { resource, scopeMetrics: [{ scope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' }, metrics }] };
    const body = options.json ? JsonMetricsSerializer.serializeRequest(request as never)! : ProtobufMetricsSerializer.serializeRequest(request as never)!;
    out.push({ body, items: n });
    left -= n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Logs: application log lines with a few attributes, half of them inside a span. ~1,024 per request.

const MESSAGES = [
  'request completed',
  'cache miss for product listing, falling back to database',
  'payment authorized',
  'user session refreshed',
  'slow query detected on orders table',
  'retrying upstream call after timeout',
];

export function logPayloads(options: { records: number; recordsPerRequest?: number; seed?: number; json?: boolean }): Payload[] {
  const rand = seededRandom(options.seed ?? 13);
  const per = options.recordsPerRequest ?? 1024;
  const out: Payload[] = [];
  let left = options.records;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const scope = { name: 'pino', version: '9.5.0', schemaUrl: undefined };
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, per);
    const resource = resourceFor(rand, i);
    const records: object[] = [];
    for (let k = 0; k < n; k++) {
      const severity = rand() < 0.02 ? 17 : rand() < 0.1 ? 13 : 9;
      const t = hr(nowNs + BigInt(i * per + k) * 100_000n);
      records.push({
        hrTime: t,
        hrTimeObserved: t,
        severityNumber: severity,
        severityText: severity === 17 ? 'ERROR' : severity === 13 ? 'WARN' : 'INFO',
        body: `${MESSAGES[Math.floor(rand() * MESSAGES.length)]} (request ${Math.floor(rand() * 1e9).toString(36)})`,
        attributes: { 'http.route': ROUTES[k % ROUTES.length]!, 'http.request.method': METHODS[k % METHODS.length]!, 'code.function': 'handleRequest', 'thread.id': k % 16 } as Attrs,
        droppedAttributesCount: 0,
        spanContext: rand() < 0.5 ? { traceId: hexOf(rand, 16), spanId: hexOf(rand, 8), traceFlags: 1 } : undefined,
        resource,
        instrumentationScope: scope,
      });
    }
    const body = options.json ? JsonLogsSerializer.serializeRequest(records as never)! : ProtobufLogsSerializer.serializeRequest(records as never)!;
    out.push({ body, items: n });
    left -= n;
  }
  return out;
}

/** Copy of a trace payload whose trace ids start with `seq` (4 bytes): every send is distinct. */
export function stampTraceIds(payload: Payload, seq: number): Buffer {
  const copy = Buffer.from(payload.body);
  const offsets = payload.traceIdOffsets;
  if (offsets) for (let i = 0; i < offsets.length; i++) copy.writeUInt32BE(seq >>> 0, offsets[i]!);
  return copy;
}
