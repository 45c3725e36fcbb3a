import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { connectClickhouse } from '../../storage/client.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';

// Load for the fault tests, with exact bookkeeping: a span counts as acknowledged only when the
// request carrying it got 200 (raw clients) or the SDK exporter reported SUCCESS (SDK clients).

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spans made by the real SDK and encoded by the official serializer, `count` at a time. */
export class SpanBatches {
  private readonly memory = new InMemorySpanExporter();
  private readonly provider: BasicTracerProvider;

  constructor(service: string, private readonly attributeBytes = 64) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [{ onStart() {}, onEnd: (s: ReadableSpan) => this.memory.export([s], () => {}), forceFlush: async () => {}, shutdown: async () => {} }],
    });
  }

  next(count: number): { payload: Uint8Array; spanIds: string[] } {
    const tracer = this.provider.getTracer('fault-load');
    const filler = 'x'.repeat(this.attributeBytes);
    for (let i = 0; i < count; i++) tracer.startSpan('GET /load', { attributes: { 'http.route': '/load', filler, n: i } }).end();
    const spans = this.memory.getFinishedSpans();
    this.memory.reset();
    return { payload: ProtobufTraceSerializer.serializeRequest(spans as ReadableSpan[])!, spanIds: spans.map((s) => s.spanContext().spanId) };
  }
}

export interface ClientStats {
  acked: Set<string>;
  statuses: Map<string, number>;
  /** Retry-After values seen on 429/503 answers. */
  retryAfter: string[];
}

const newStats = (): ClientStats => ({ acked: new Set(), statuses: new Map(), retryAfter: [] });
const count = (stats: ClientStats, key: string) => stats.statuses.set(key, (stats.statuses.get(key) ?? 0) + 1);

/**
 * A client POSTing protobuf payloads in a loop. 429/503 are retried after Retry-After (capped),
 * connection errors after a short pause; other answers fail the test later through `statuses`.
 */
export function rawClient(url: string, options: { spansPerRequest: number; service: string; attributeBytes?: number; maxRetryAfterMs?: number; pauseMs?: number; headers?: Record<string, string> }) {
  const stats = newStats();
  const batches = new SpanBatches(options.service, options.attributeBytes);
  let running = true;
  const loop = (async () => {
    while (running) {
      const { payload, spanIds } = batches.next(options.spansPerRequest);
      for (let attempt = 0; running || attempt === 0; attempt++) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-protobuf', ...options.headers },
            body: payload as unknown as BodyInit,
            signal: AbortSignal.timeout(30_000),
          });
          await res.arrayBuffer();
          count(stats, String(res.status));
          if (res.status === 200) {
            for (const id of spanIds) stats.acked.add(id);
            break;
          }
          if (res.status !== 429 && res.status !== 503) break;
          const retryAfter = res.headers.get('retry-after');
          stats.retryAfter.push(retryAfter ?? '(none)');
          await sleep(Math.min(Number(retryAfter ?? 1) * 1000, options.maxRetryAfterMs ?? 1_000));
        } catch (err) {
          count(stats, `error:${(err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name}`);
          await sleep(200);
          if (!running) break;
        }
      }
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  })();
  return {
    stats,
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Records the spans of every export the wrapped exporter reports as SUCCESS. */
class AckRecordingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly stats: ClientStats,
  ) {}
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      count(this.stats, result.code === ExportResultCode.SUCCESS ? 'success' : 'failed');
      if (result.code === ExportResultCode.SUCCESS) for (const s of spans) this.stats.acked.add(s.spanContext().spanId);
      done(result);
    });
  }
  shutdown() {
    return this.inner.shutdown();
  }
  forceFlush() {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** A real SDK pipeline (BatchSpanProcessor → OTLP/HTTP protobuf exporter) fed `spansPerSecond`. */
export function sdkClient(url: string, options: { service: string; spansPerSecond: number }) {
  const stats = newStats();
  const exporter = new AckRecordingExporter(new OTLPTraceExporter({ url, timeoutMillis: 10_000 }), stats);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 200, maxExportBatchSize: 200, maxQueueSize: 100_000, exportTimeoutMillis: 15_000 })],
  });
  const tracer = provider.getTracer('fault-load');
  const perTick = Math.max(1, Math.round(options.spansPerSecond / 10));
  const timer = setInterval(() => {
    for (let i = 0; i < perTick; i++) tracer.startSpan('GET /sdk', { attributes: { 'http.route': '/sdk' } }).end();
  }, 100);
  return {
    stats,
    async stop() {
      clearInterval(timer);
      await provider.forceFlush().catch(() => {});
      await provider.shutdown().catch(() => {});
    },
  };
}

export interface Tally {
  acknowledged: number;
  stored: number;
  missing: string[];
  duplicates: number;
}

/** Waits until every acknowledged span id is stored (or the deadline passes), then counts. */
export async function tallyStored(clickhouse: ClickhouseConfig, acked: Set<string>, timeoutMs: number): Promise<Tally> {
  const ch = connectClickhouse(clickhouse);
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await ch.query<{ span_id: string; n: string }>('SELECT span_id, count() AS n FROM spans GROUP BY span_id');
      const stored = new Map(rows.map((r) => [r.span_id, Number(r.n)]));
      const missing = [...acked].filter((id) => !stored.has(id));
      if (missing.length === 0 || Date.now() > deadline) {
        let duplicates = 0;
        for (const n of stored.values()) duplicates += n - 1;
        return { acknowledged: acked.size, stored: stored.size, missing, duplicates };
      }
      await sleep(500);
    }
  } finally {
    await ch.close();
  }
}

export const union = (...sets: Set<string>[]) => new Set(sets.flatMap((s) => [...s]));
