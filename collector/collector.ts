import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { serve } from '@hono/node-server';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../storage/client.ts';
import type { ClickhouseConfig } from '../storage/config.ts';
import { migrate } from '../storage/migrate.ts';
import { applyRetention } from '../storage/retention.ts';
import { loadTokens } from '../auth/tokens.ts';
import { createAuthenticator } from './auth.ts';
import { acceptedTimes } from './decode/item-times.ts';
import { maxJsonDepth } from './decode/json-shape.ts';
import { ingestTokenSources, type CollectorConfig } from './config.ts';
import type { DecodeLimits } from './rows/types.ts';
import { createHttpApp } from './http/app.ts';
import { trackForDrain } from './http/drain.ts';
import { httpServerOptions } from './http/server-options.ts';
import { createIngestor, type RowSink } from './ingest.ts';
import { SIGNALS } from './signals/index.ts';
import { CollectorTelemetry } from './telemetry.ts';
import { BatchWriter } from './writer/batch-writer.ts';
import { startGrpcServer } from './grpc/server.ts';
import { DEFAULT_SPOOL_OPTIONS, Spool } from './spool/spool.ts';

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
  /** The clock for the accepted window of item times (milliseconds since the epoch). */
  now?: () => number;
}

function decodeLimitsOf(config: CollectorConfig): DecodeLimits {
  const { maxAnyValueDepth, maxAttributesPerList, maxAttributeValueBytes, maxAttributeKeyBytes, maxEventsPerSpan, maxLinksPerSpan, maxNameBytes, maxStatusMessageBytes } = config;
  return { maxAnyValueDepth, maxAttributesPerList, maxAttributeValueBytes, maxAttributeKeyBytes, maxEventsPerSpan, maxLinksPerSpan, maxNameBytes, maxStatusMessageBytes };
}

/** Items older than the retention window would be dropped within the hour: the window is the shorter. */
function maxTimestampAgeSeconds(config: CollectorConfig): number {
  const days = config.retentionDays > 0 ? Math.min(config.retentionDays, config.maxTimestampAgeDays) : config.maxTimestampAgeDays;
  return days * 86_400;
}

export async function startCollector(config: CollectorConfig, clickhouseConfig: ClickhouseConfig, options: StartCollectorOptions = {}): Promise<RunningCollector> {
  const log = options.log ?? ((line: string) => console.log(line));
  // First, so a bad token configuration stops the start before anything else happens.
  const authenticate = createAuthenticator(loadTokens(ingestTokenSources(config)));
  const now = options.now ?? Date.now;
  if (config.migrate) {
    await ensureDatabase(clickhouseConfig);
  }
  const clickhouse = connectClickhouse(clickhouseConfig, { maxOpenConnections: config.maxConcurrentInserts + 4 });
  if (config.migrate) await migrate(clickhouse, undefined, log);

  const telemetry = new CollectorTelemetry({ defaultMetrics: options.defaultMetrics });
  const spooled = config.spoolDir !== '';
  const writerTelemetry = telemetry.writerObserver();
  const writer = new BatchWriter(
    clickhouse,
    {
      maxBatchRows: config.batchMaxRows,
      maxBatchBytes: config.batchMaxBytes,
      flushIntervalMs: config.flushIntervalMs,
      // With a spool, the spool bounds what the writer holds (what it loads per send round).
      maxQueueBytes: spooled ? Number.MAX_SAFE_INTEGER : config.maxQueueBytes,
      maxConcurrentInserts: config.maxConcurrentInserts,
      retry: { initialDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: config.retryMaxElapsedMs },
    },
    {
      ...writerTelemetry,
      failing(cause, errorClass, sinceMs) {
        writerTelemetry.failing?.(cause, errorClass, sinceMs);
        const what = errorClass === 'transient' ? 'ClickHouse is unavailable' : 'ClickHouse refuses inserts';
        const meanwhile = spooled ? 'requests are acknowledged into the spool, which retries until it works' : 'requests get 503 + Retry-After until it works';
        log(`collector: ${what} (${errorClass}, for ${Math.round(sinceMs / 1000)} s): ${cause}; ${meanwhile}`);
      },
      recovered(afterMs) {
        writerTelemetry.recovered?.(afterMs);
        log(`collector: ClickHouse takes inserts again after ${Math.round(afterMs / 1000)} s`);
      },
    },
  );
  const spool = spooled
    ? await Spool.open(
        {
          ...DEFAULT_SPOOL_OPTIONS,
          dir: config.spoolDir,
          maxBytes: config.spoolMaxBytes,
          segmentMaxAgeMs: config.flushIntervalMs,
          sendBatchBytes: config.batchMaxBytes,
        },
        writer,
        {
          bytes: (bytes) => telemetry.spoolBytes.set(bytes),
          corrupt: (region) => {
            telemetry.spoolCorruptRecords.inc();
            telemetry.spoolDamagedBytes.inc(region.length);
          },
          setAside: (table) => telemetry.spoolSetAsideRecords.inc({ table }),
          log,
        },
      )
    : undefined;
  const sink: RowSink = spool ?? { write: (batches) => writer.submitAll(batches) };
  const tls = config.tlsCert ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;
  const limits = decodeLimitsOf(config);
  const ingestor = createIngestor(sink, telemetry, limits, () => acceptedTimes(now(), maxTimestampAgeSeconds(config), config.maxTimestampFutureHours * 3600));
  // Ping alone answers without credentials: readiness also needs inserts to go through.
  const ready = async () => (await clickhouse.ping().catch(() => false)) && (await writer.ready());

  const app = createHttpApp({ signals: SIGNALS, ingestor, telemetry, maxBodyBytes: config.maxBodyBytes, maxJsonDepth: maxJsonDepth(limits), ready, authenticate });
  const serverOptions = httpServerOptions(config);
  const listen = { fetch: app.fetch, port: config.httpPort, hostname: config.host };
  const httpServer = await new Promise<Server>((resolve) => {
    const server = (
      tls
        ? serve({ ...listen, createServer: createHttpsServer, serverOptions: { ...serverOptions, ...tls } }, () => resolve(server))
        : serve({ ...listen, serverOptions }, () => resolve(server))
    ) as Server;
  });
  // Exporters keep connections open; keep them longer than typical client idle timeouts.
  httpServer.keepAliveTimeout = config.idleTimeoutMs;
  httpServer.maxConnections = config.maxConnections;
  const httpDrain = trackForDrain(httpServer);
  const httpPort = (httpServer.address() as AddressInfo).port;
  log(`collector: OTLP/HTTP on ${tls ? 'https' : 'http'}://${config.host}:${httpPort} (POST ${SIGNALS.map((s) => s.path).join(', ')}; GET /metrics /healthz /readyz)`);

  const grpcServer =
    !config.grpcDisabled
      ? await startGrpcServer(config.host, config.grpcPort, {
          signals: SIGNALS,
          ingestor,
          telemetry,
          maxMessageBytes: config.maxBodyBytes,
          authenticate,
          credentials: tls ? grpc.ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }], false) : undefined,
          headersTimeoutMs: config.headersTimeoutMs,
          requestTimeoutMs: config.requestTimeoutMs,
          idleTimeoutMs: config.idleTimeoutMs,
          maxConnections: config.maxConnections,
        })
      : undefined;
  if (grpcServer) log(`collector: OTLP/gRPC on ${config.host}:${grpcServer.port}${tls ? ' (TLS)' : ''}`);
  if (authenticate) log('collector: ingest requires a token (Authorization: Bearer or X-API-Key)');
  else log('collector: ingest authentication is off (no --auth-tokens / --auth-tokens-file)');
  if (spool) log(`collector: spool in ${config.spoolDir}: requests are acknowledged once fsynced there`);

  let retentionTimer: NodeJS.Timeout | undefined;
  if (config.retentionDays > 0) {
    const runRetention = () =>
      applyRetention(clickhouse, config.retentionDays)
        .then((r) => {
          if (r.dropped.length) log(`collector: retention dropped ${r.dropped.length} partition(s) before ${r.keepFrom}`);
          for (const f of r.failed) log(`collector: retention could not drop ${f.table} partition ${f.partition}: ${f.error}`);
        })
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
      const closed = httpDrain.close();
      // In-flight requests finish first (their batches flush on the timer, or they are fsynced into
      // the spool), then the spool drains for a bounded time, leaving the rest on disk, then the writer.
      await Promise.all([closed, grpcServer?.stop()]);
      if (spool) {
        const { remainingBytes } = await spool.close(config.shutdownFlushMs);
        if (remainingBytes > 0) log(`collector: spool: ${remainingBytes} bytes left in ${config.spoolDir}, sent at the next start`);
      }
      await writer.close();
      await clickhouse.close();
    },
  };
}
