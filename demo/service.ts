// A small shop instrumented with the OpenTelemetry JS SDK, sending its traces, metrics and logs to
// burnrate over OTLP/HTTP: a span per request, the semantic-convention `http.server.request.duration`
// histogram, and a log record (in the request's trace) for every failed or slow request. It drives
// itself: a built-in load generator calls /checkout and /products, so traffic exists without
// anything else. Its failure rate and added latency can be changed while it runs (POST /control),
// which is how a user watches an error budget burn and an alert fire.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SpanKind, SpanStatusCode, context, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { z } from 'zod';

export const controlSchema = z.strictObject({
  /** Fraction of requests answered with HTTP 500, 0..1. */
  errorRate: z.number().min(0).max(1),
  /** Milliseconds added to every request. */
  latencyMs: z.number().int().min(0).max(60_000),
  /** Requests per second of the built-in load generator (0 stops it). */
  rps: z.number().min(0).max(500),
});
export type Control = z.infer<typeof controlSchema>;

export const DEFAULT_CONTROL: Control = { errorRate: 0, latencyMs: 0, rps: 20 };

export interface DemoOptions {
  port: number;
  host?: string;
  /** Base URL of an OTLP/HTTP receiver; signals go to <endpoint>/v1/traces, /v1/metrics, /v1/logs. */
  otlpEndpoint: string;
  /** How often metrics are exported, milliseconds (default 10 s). */
  metricIntervalMs?: number;
  control?: Partial<Control>;
  serviceName?: string;
  log?: (line: string) => void;
}

export interface Demo {
  url: string;
  control(): Control;
  setControl(patch: Partial<Control>): Control;
  /** Requests served per route and status since start. */
  counts(): Record<string, number>;
  stop(): Promise<void>;
}

const ROUTES = ['/checkout', '/products'] as const;
type Route = (typeof ROUTES)[number];
/** Typical service time of each route before any added latency, milliseconds. */
const BASE_MS: Record<Route, [number, number]> = { '/checkout': [20, 60], '/products': [5, 20] };
/** Requests slower than this get a WARN log record. */
const SLOW_MS = 250;
/** The bucket bounds the HTTP semantic conventions advise for `http.server.request.duration`, seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = ([lo, hi]: [number, number]) => lo + Math.random() * (hi - lo);

/** W3C traceparent of a span, so the /products call made by /checkout joins its trace. */
const traceparent = (span: Span) => {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
};

function parentFrom(req: IncomingMessage): Context {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(String(req.headers.traceparent ?? ''));
  if (!m) return context.active();
  return trace.setSpanContext(context.active(), { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const log = options.log ?? ((line: string) => console.log(line));
  let control: Control = controlSchema.parse({ ...DEFAULT_CONTROL, ...options.control });
  const counts: Record<string, number> = {};

  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'demo', 'service.version': '1.0.0' });
  const endpoint = options.otlpEndpoint.replace(/\/$/, '');
  const provider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }), { scheduledDelayMillis: 1000, maxQueueSize: 10_000 })],
  });
  const tracer: Tracer = provider.getTracer('burnrate-demo', '1.0.0');
  const meterProvider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }), exportIntervalMillis: options.metricIntervalMs ?? 10_000 })],
  });
  const requestDuration = meterProvider
    .getMeter('burnrate-demo', '1.0.0')
    .createHistogram('http.server.request.duration', { unit: 's', description: 'Duration of HTTP server requests.', advice: { explicitBucketBoundaries: DURATION_BUCKETS } });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${endpoint}/v1/logs` }), scheduledDelayMillis: 1000, maxQueueSize: 10_000 })],
  });
  const logger = loggerProvider.getLogger('burnrate-demo', '1.0.0');

  const host = options.host ?? '127.0.0.1';
  let selfUrl = '';

  async function handleRoute(route: Route, req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    const started = performance.now();
    const span = tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': route } },
      parentFrom(req),
    );
    const { errorRate, latencyMs } = control;
    await sleep(between(BASE_MS[route]) + latencyMs);
    if (route === '/checkout') {
      // The checkout looks its products up: a CLIENT span and a real call, in the same trace.
      const call = tracer.startSpan('GET /products', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'GET', 'server.address': host } }, trace.setSpan(context.active(), span));
      try {
        const answer = await fetch(`${selfUrl}/products`, { headers: { traceparent: traceparent(call) } });
        call.setAttribute('http.response.status_code', answer.status);
        await answer.arrayBuffer();
      } catch (err) {
        call.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      } finally {
        call.end();
      }
    }
    const failed = Math.random() < errorRate;
    const status = failed ? 500 : 200;
    span.setAttribute('http.response.status_code', status);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'injected failure (POST /control errorRate)' });
    const ms = performance.now() - started;
    // Log records carry the request's trace context, so the trace view finds them.
    if (failed) {
      logger.emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `${method} ${route} failed: injected failure`, attributes: { 'http.route': route, 'http.response.status_code': status }, context: trace.setSpan(context.active(), span) });
    } else if (ms > SLOW_MS) {
      logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: `${method} ${route} took ${Math.round(ms)} ms`, attributes: { 'http.route': route }, context: trace.setSpan(context.active(), span) });
    }
    span.end();
    requestDuration.record(ms / 1000, { 'http.request.method': method, 'http.route': route, 'http.response.status_code': status });
    counts[`${route} ${status}`] = (counts[`${route} ${status}`] ?? 0) + 1;
    send(res, status, failed ? { error: 'injected failure' } : { ok: true, route });
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0]!;
    if ((ROUTES as readonly string[]).includes(path)) return handleRoute(path as Route, req, res);
    if (path === '/control' && req.method === 'GET') return send(res, 200, control);
    if (path === '/control' && req.method === 'POST') {
      const parsed = controlSchema.partial().safeParse(await readJson(req).catch(() => undefined));
      if (!parsed.success) return send(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`) });
      const next = demo.setControl(parsed.data);
      return send(res, 200, next);
    }
    if (path === '/') return send(res, 200, { service: 'demo', routes: ROUTES, control, counts, change: 'POST /control {"errorRate":0.3,"latencyMs":400,"rps":20}' });
    send(res, 404, { error: 'not found' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  // Bound to all interfaces (in a container), the service still calls itself over loopback.
  selfUrl = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  // The load generator: a tick every 50 ms sends the requests due at the current rate.
  let due = 0;
  let inFlight = 0;
  const ticker = setInterval(() => {
    due += control.rps / 20;
    while (due >= 1) {
      due -= 1;
      if (inFlight >= 200) continue; // the service is slower than the offered load: shed, do not pile up
      inFlight++;
      const route: Route = Math.random() < 0.4 ? '/checkout' : '/products';
      fetch(`${selfUrl}${route}`)
        .then((r) => r.arrayBuffer())
        .catch(() => {})
        .finally(() => inFlight--);
    }
  }, 50);

  const demo: Demo = {
    url: selfUrl,
    control: () => control,
    setControl(patch) {
      control = controlSchema.parse({ ...control, ...patch });
      log(`demo: errorRate=${control.errorRate} latencyMs=${control.latencyMs} rps=${control.rps}`);
      return control;
    },
    counts: () => ({ ...counts }),
    async stop() {
      clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      // Flush what is queued, but do not hang on a receiver that is already gone.
      const flushed = [provider, meterProvider, loggerProvider].map((p) => p.shutdown().catch(() => {}));
      await Promise.race([Promise.all(flushed), sleep(3000)]);
    },
  };
  return demo;
}
