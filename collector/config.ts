import { z } from 'zod';
import { TokenConfigError, loadTokens, type TokenSource } from '../auth/tokens.ts';
import { DEFAULT_DECODE_LIMITS } from './rows/types.ts';
import { DEFAULT_BATCH_WRITER_OPTIONS } from './writer/batch-writer.ts';
import { DEFAULT_RETRY } from './writer/retry.ts';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

/** Every collector setting with its default, in one place. */
export const collectorConfigSchema = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  httpPort: port.default(4318),
  /** 0 picks a free port (tests); use grpcDisabled to turn gRPC off. */
  grpcPort: port.default(4317),
  grpcDisabled: z.boolean().default(false),
  maxBodyBytes: positiveInt.default(64 * 1024 * 1024),
  batchMaxRows: positiveInt.default(DEFAULT_BATCH_WRITER_OPTIONS.maxBatchRows),
  batchMaxBytes: positiveInt.default(DEFAULT_BATCH_WRITER_OPTIONS.maxBatchBytes),
  flushIntervalMs: positiveInt.default(DEFAULT_BATCH_WRITER_OPTIONS.flushIntervalMs),
  maxQueueBytes: positiveInt.default(DEFAULT_BATCH_WRITER_OPTIONS.maxQueueBytes),
  maxConcurrentInserts: positiveInt.default(DEFAULT_BATCH_WRITER_OPTIONS.maxConcurrentInserts),
  retryMaxElapsedMs: positiveInt.default(DEFAULT_RETRY.maxElapsedMs),
  /** Days of data to keep; 0 disables the hourly retention job. */
  retentionDays: z.coerce.number().int().min(0).default(0),
  maxAnyValueDepth: positiveInt.default(DEFAULT_DECODE_LIMITS.maxAnyValueDepth),
  maxAttributesPerList: positiveInt.default(DEFAULT_DECODE_LIMITS.maxAttributesPerList),
  maxAttributeValueBytes: positiveInt.default(DEFAULT_DECODE_LIMITS.maxAttributeValueBytes),
  // Per-span and per-field input limits (see DecodeLimits), and the accepted item times.
  maxAttributeKeyBytes: positiveInt.default(DEFAULT_DECODE_LIMITS.maxAttributeKeyBytes),
  maxEventsPerSpan: nonNegativeInt.default(DEFAULT_DECODE_LIMITS.maxEventsPerSpan),
  maxLinksPerSpan: nonNegativeInt.default(DEFAULT_DECODE_LIMITS.maxLinksPerSpan),
  maxNameBytes: positiveInt.default(DEFAULT_DECODE_LIMITS.maxNameBytes),
  maxStatusMessageBytes: positiveInt.default(DEFAULT_DECODE_LIMITS.maxStatusMessageBytes),
  /** Items older than this (or than --retention-days, when shorter) are rejected. */
  maxTimestampAgeDays: positiveInt.max(36_500).default(3650),
  maxTimestampFutureHours: positiveInt.max(8760).default(24),
  // Slow or idle clients on both ports (slowloris), and a cap on open connections per port.
  headersTimeoutMs: positiveInt.default(10_000),
  requestTimeoutMs: positiveInt.default(60_000),
  idleTimeoutMs: positiveInt.default(65_000),
  maxConnections: positiveInt.default(4096),
  migrate: z.boolean().default(false),
  /** Disk spool directory; '' = memory-only mode (acknowledged after the ClickHouse insert). */
  spoolDir: z.string().default(''),
  spoolMaxBytes: positiveInt.default(1024 * 1024 * 1024),
  /** How long stop() lets the spool drain into ClickHouse; the rest stays on disk. */
  shutdownFlushMs: z.coerce.number().int().min(0).default(10_000),
  /** `TOKEN [tenant=NAME]` entries, one per line (auth/tokens.ts; secret: prefer the env variable or the file). */
  authTokens: z.string().default(''),
  /** File of `TOKEN [tenant=NAME]` entries, one per line; lines starting with `#` are comments. */
  authTokensFile: z.string().default(''),
  /** PEM files; both set = TLS on the HTTP and gRPC ports. */
  tlsCert: z.string().default(''),
  tlsKey: z.string().default(''),
})
  .refine((c) => (c.tlsCert === '') === (c.tlsKey === ''), { message: 'set both --tls-cert and --tls-key, or neither', path: ['tlsCert'] })
  .refine((c) => c.headersTimeoutMs <= c.requestTimeoutMs, { message: 'must not exceed --request-timeout-ms', path: ['headersTimeoutMs'] })
  .superRefine((c, ctx) => {
    // Token problems are configuration problems: reported with the others, before anything starts.
    try {
      loadTokens(ingestTokenSources(c));
    } catch (err) {
      if (!(err instanceof TokenConfigError)) throw err;
      for (const problem of err.problems) ctx.addIssue({ code: 'custom', message: problem, path: [] });
    }
  });

/** The ingest token sources as configured: set but empty means "off"; set and yielding nothing is an error. */
export function ingestTokenSources(config: { authTokens: string; authTokensFile: string }): TokenSource[] {
  const sources: TokenSource[] = [];
  if (config.authTokens !== '') sources.push({ name: '--auth-tokens / BURNRATE_AUTH_TOKENS', text: config.authTokens });
  if (config.authTokensFile !== '') sources.push({ name: '--auth-tokens-file / BURNRATE_AUTH_TOKENS_FILE', path: config.authTokensFile });
  return sources;
}

export type CollectorConfig = z.infer<typeof collectorConfigSchema>;
export type CollectorConfigInput = z.input<typeof collectorConfigSchema>;

/** Flag name and environment variable of each setting (for `--help` and error messages). */
export const COLLECTOR_SETTINGS: Record<keyof CollectorConfig, { flag: string; env: string; help: string }> = {
  host: { flag: 'host', env: 'BURNRATE_HOST', help: 'address to listen on (default 0.0.0.0)' },
  httpPort: { flag: 'http-port', env: 'BURNRATE_HTTP_PORT', help: 'OTLP/HTTP port, also /metrics /healthz /readyz (default 4318)' },
  grpcPort: { flag: 'grpc-port', env: 'BURNRATE_GRPC_PORT', help: 'OTLP/gRPC port (default 4317)' },
  grpcDisabled: { flag: 'no-grpc', env: 'BURNRATE_NO_GRPC', help: 'do not start the gRPC receiver' },
  maxBodyBytes: { flag: 'max-body-bytes', env: 'BURNRATE_MAX_BODY_BYTES', help: 'request size limit, after decompression too (default 64 MiB)' },
  batchMaxRows: { flag: 'batch-max-rows', env: 'BURNRATE_BATCH_MAX_ROWS', help: 'flush a table batch at this many rows (default 50000)' },
  batchMaxBytes: { flag: 'batch-max-bytes', env: 'BURNRATE_BATCH_MAX_BYTES', help: 'flush a table batch at this many bytes (default 16 MiB)' },
  flushIntervalMs: { flag: 'flush-interval-ms', env: 'BURNRATE_FLUSH_INTERVAL_MS', help: 'flush a batch after this long (default 200)' },
  maxQueueBytes: { flag: 'max-queue-bytes', env: 'BURNRATE_MAX_QUEUE_BYTES', help: 'bound on bytes waiting for ClickHouse; over it 503 (default 128 MiB)' },
  maxConcurrentInserts: { flag: 'max-concurrent-inserts', env: 'BURNRATE_MAX_CONCURRENT_INSERTS', help: 'ClickHouse inserts in flight (default 2)' },
  retryMaxElapsedMs: { flag: 'retry-max-elapsed-ms', env: 'BURNRATE_RETRY_MAX_ELAPSED_MS', help: 'give up retrying an insert after this long, answer 503 (default 8000)' },
  retentionDays: { flag: 'retention-days', env: 'BURNRATE_RETENTION_DAYS', help: 'drop day partitions older than this, hourly; 0 = keep all (default 0)' },
  maxAnyValueDepth: { flag: 'max-any-value-depth', env: 'BURNRATE_MAX_ANY_VALUE_DEPTH', help: 'nesting limit of array/kvlist values (default 16)' },
  maxAttributesPerList: { flag: 'max-attributes', env: 'BURNRATE_MAX_ATTRIBUTES', help: 'attributes kept per list; the rest are counted as dropped (default 1024)' },
  maxAttributeValueBytes: { flag: 'max-attribute-value-bytes', env: 'BURNRATE_MAX_ATTRIBUTE_VALUE_BYTES', help: 'attribute values are truncated to this size (default 65536)' },
  maxAttributeKeyBytes: { flag: 'max-attribute-key-bytes', env: 'BURNRATE_MAX_ATTRIBUTE_KEY_BYTES', help: 'attributes with longer keys are dropped and counted (default 4096)' },
  maxEventsPerSpan: { flag: 'max-events-per-span', env: 'BURNRATE_MAX_EVENTS_PER_SPAN', help: 'events kept per span; the rest count in dropped_events_count (default 128)' },
  maxLinksPerSpan: { flag: 'max-links-per-span', env: 'BURNRATE_MAX_LINKS_PER_SPAN', help: 'links kept per span; the rest count in dropped_links_count (default 128)' },
  maxNameBytes: { flag: 'max-name-bytes', env: 'BURNRATE_MAX_NAME_BYTES', help: 'span and event names are truncated to this size (default 4096)' },
  maxStatusMessageBytes: { flag: 'max-status-message-bytes', env: 'BURNRATE_MAX_STATUS_MESSAGE_BYTES', help: 'span status messages are truncated to this size (default 8192)' },
  maxTimestampAgeDays: { flag: 'max-timestamp-age-days', env: 'BURNRATE_MAX_TIMESTAMP_AGE_DAYS', help: 'reject items older than this, or than --retention-days (default 3650)' },
  maxTimestampFutureHours: { flag: 'max-timestamp-future-hours', env: 'BURNRATE_MAX_TIMESTAMP_FUTURE_HOURS', help: 'reject items further ahead of the clock than this (default 24)' },
  headersTimeoutMs: { flag: 'headers-timeout-ms', env: 'BURNRATE_HEADERS_TIMEOUT_MS', help: 'close a connection whose request headers (gRPC: first bytes) take longer (default 10000)' },
  requestTimeoutMs: { flag: 'request-timeout-ms', env: 'BURNRATE_REQUEST_TIMEOUT_MS', help: 'close a request whose body (gRPC: message) takes longer to arrive (default 60000)' },
  idleTimeoutMs: { flag: 'idle-timeout-ms', env: 'BURNRATE_IDLE_TIMEOUT_MS', help: 'close keep-alive connections idle this long (default 65000)' },
  maxConnections: { flag: 'max-connections', env: 'BURNRATE_MAX_CONNECTIONS', help: 'open connections per port; more are refused at once (default 4096)' },
  migrate: { flag: 'migrate', env: 'BURNRATE_MIGRATE', help: 'run migrations at start' },
  spoolDir: { flag: 'spool-dir', env: 'BURNRATE_SPOOL_DIR', help: 'disk spool: acknowledge once fsynced here (default: memory-only, see docs/durability.md)' },
  spoolMaxBytes: { flag: 'spool-max-bytes', env: 'BURNRATE_SPOOL_MAX_BYTES', help: 'bound on spool bytes on disk; over it 503 (default 1 GiB)' },
  shutdownFlushMs: { flag: 'shutdown-flush-ms', env: 'BURNRATE_SHUTDOWN_FLUSH_MS', help: 'on stop, wait this long for the spool to drain; the rest stays on disk (default 10000)' },
  authTokens: { flag: 'auth-tokens', env: 'BURNRATE_AUTH_TOKENS', help: 'require a token: "TOKEN [tenant=NAME]" per line, 16+ chars (Bearer or X-API-Key; prefer the env variable)' },
  authTokensFile: { flag: 'auth-tokens-file', env: 'BURNRATE_AUTH_TOKENS_FILE', help: 'file of "TOKEN [tenant=NAME]" lines; # starts a comment line' },
  tlsCert: { flag: 'tls-cert', env: 'BURNRATE_TLS_CERT', help: 'PEM certificate (chain) for TLS on both ports' },
  tlsKey: { flag: 'tls-key', env: 'BURNRATE_TLS_KEY', help: 'PEM private key for TLS on both ports' },
};
