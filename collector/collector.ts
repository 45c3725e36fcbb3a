import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../storage/client.ts';
import type { ClickhouseConfig } from '../storage/config.ts';
import { migrate } from '../storage/migrate.ts';
import { applyRetention } from '../storage/retention.ts';
import type { CollectorConfig } from './config.ts';
import { createHttpApp } from './http/app.ts';
import { createIngestor, type RowSink } from './ingest.ts';
import { SIGNALS } from './signals/index.ts';
import { CollectorTelemetry } from './telemetry.ts';
import { BatchWriter } from './writer/batch-writer.ts';
import { startGrpcServer } from './grpc/server.ts';

export interface RunningCollector {
  httpPort: number;
  grpcPort: number;
  telemetry: CollectorTelemetry;
  clickhouse: Clickhouse;
  /** Graceful stop: refuse new requests, answer in-flight ones, flush, close. */
  stop(): Promise<void>;
}

export interface StartCollectorOptions {
  log?: (line: string) => void;
  /** Prometheus default process metrics (off in tests, where many collectors share a process). */
  defaultMetrics?: boolean;
}

export async function startCollector(config: CollectorConfig, clickhouseConfig: ClickhouseConfig, options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (config.migrate) {
    await ensureDatabase(clickhouseConfig);
  }
  const clickhouse = connectClickhouse(clickhouseConfig, { maxOpenConnections: config.maxConcurrentInserts + 4 });
  if (config.migrate) await migrate(clickhouse, undefined, log);

  const telemetry = new CollectorTelemetry({ defaultMetrics: options.defaultMetrics });
  const writer = new BatchWriter(
    clickhouse,
    {
      maxBatchRows: config.batchMaxRows,
      maxBatchBytes: config.batchMaxBytes,
      flushIntervalMs: config.flushIntervalMs,
      maxQueueBytes: config.maxQueueBytes,
      maxConcurrentInserts: config.maxConcurrentInserts,
      retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: config.retryMaxElapsedMs },
    },
    telemetry.writerObserver(),
  );
  const sink: RowSink = { write: (batches) => Promise.all(batches.map((b) => writer.submitEncoded(b))).then(() => {}) };
  const limits = {
    maxAnyValueDepth: config.maxAnyValueDepth,
    maxAttributesPerList: config.maxAttributesPerList,
    maxAttributeValueBytes: config.maxAttributeValueBytes,
  };
  const ingestor = createIngestor(sink, telemetry, limits);
  const ready = () => clickhouse.ping().catch(() => false);

  const app = createHttpApp({ signals: SIGNALS, ingestor, telemetry, maxBodyBytes: config.maxBodyBytes, ready });
  const httpServer = await new Promise<Server>((resolve) => {
    const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.host }, () => resolve(server as Server)) as Server;
  });
  // Exporters keep connections open; keep them longer than typical client idle timeouts.
  httpServer.keepAliveTimeout = 65_000;
  const httpPort = (httpServer.address() as AddressInfo).port;
  log(`collector: OTLP/HTTP on http://${config.host}:${httpPort} (POST ${SIGNALS.map((s) => s.path).join(', ')}; GET /metrics /healthz /readyz)`);

  const grpcServer =
    !config.grpcDisabled
      ? await startGrpcServer(config.host, config.grpcPort, { signals: SIGNALS, ingestor, telemetry, maxMessageBytes: config.maxBodyBytes })
      : undefined;
  if (grpcServer) log(`collector: OTLP/gRPC on ${config.host}:${grpcServer.port}`);

  let retentionTimer: NodeJS.Timeout | undefined;
  if (config.retentionDays > 0) {
    const runRetention = () =>
      applyRetention(clickhouse, config.retentionDays)
        .then((r) => r.dropped.length && log(`collector: retention dropped ${r.dropped.length} partition(s)`))
        .catch((err) => log(`collector: retention failed: ${(err as Error).message}`));
    void runRetention();
    retentionTimer = setInterval(runRetention, 3_600_000);
    retentionTimer.unref();
  }

  let stopped = false;
  return {
    httpPort,
    grpcPort: grpcServer?.port ?? 0,
    telemetry,
    clickhouse,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(retentionTimer);
      const closed = new Promise<void>((r) => httpServer.close(() => r()));
      httpServer.closeIdleConnections();
      // In-flight requests finish first (their batches flush on the timer), then the writer drains.
      await Promise.all([closed, grpcServer?.stop()]);
      await writer.close();
      await clickhouse.close();
    },
  };
}
