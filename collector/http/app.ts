import { Hono, type Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import type { Ingestor } from '../ingest.ts';
import type { SignalSpec } from '../signals/signal.ts';
import type { CollectorTelemetry } from '../telemetry.ts';
import { PayloadError } from '../rows/types.ts';
import { QueueFullError, RowsRefusedError, ShuttingDownError, StorageUnavailableError } from '../writer/errors.ts';
import { GRPC, exportResponseJson, exportResponseProto, statusJson, statusProto } from '../otlp-responses.ts';
import { HttpError } from './http-error.ts';
import { readRawBody } from './body.ts';
import { decodeContentEncoding } from './content-encoding/index.ts';
import { JsonShapeScanner, maxJsonContainers } from '../decode/json-shape.ts';

type Encoding = 'proto' | 'json';
type Env = { Bindings: HttpBindings; Variables: { encoding: Encoding; signal?: string } };

export interface HttpAppOptions {
  signals: SignalSpec<unknown>[];
  ingestor: Ingestor;
  telemetry: CollectorTelemetry;
  maxBodyBytes: number;
  /** Deepest OTLP/JSON nesting accepted (json-shape.ts): compressed JSON is checked as it inflates. */
  maxJsonDepth: number;
  /** Resolves the tenant for a request, or throws HttpError(401). Absent: no authentication. */
  authenticate?: (authorization: string | undefined, apiKey: string | undefined) => string;
  ready: () => Promise<boolean>;
}

const CONTENT_TYPES: Record<Encoding, string> = { proto: 'application/x-protobuf', json: 'application/json' };

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'proto';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

function respond(c: Context<Env>, status: number, encoding: Encoding, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const payload = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return c.body(payload as never, status as never, { 'Content-Type': CONTENT_TYPES[encoding], ...headers });
}

/** Maps any failure to an OTLP HTTP status with a google.rpc.Status body. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof PayloadError) return new HttpError(400, GRPC.INVALID_ARGUMENT, `cannot decode request: ${err.message}`);
  if (err instanceof QueueFullError) return new HttpError(503, GRPC.UNAVAILABLE, err.message, err.retryAfterSeconds);
  if (err instanceof StorageUnavailableError) return new HttpError(503, GRPC.UNAVAILABLE, err.message, err.retryAfterSeconds);
  if (err instanceof ShuttingDownError) return new HttpError(503, GRPC.UNAVAILABLE, err.message, 1);
  if (err instanceof RowsRefusedError) return new HttpError(400, GRPC.INVALID_ARGUMENT, err.message);
  return new HttpError(500, GRPC.INTERNAL, 'internal error');
}

/** OTLP/HTTP receiver plus the collector's own /metrics, /healthz and /readyz. */
export function createHttpApp(options: HttpAppOptions): Hono<Env> {
  const app = new Hono<Env>();
  const { telemetry } = options;

  app.get('/healthz', (c) => c.text('ok'));
  app.get('/readyz', async (c) => ((await options.ready()) ? c.text('ready') : c.text('ClickHouse is not reachable', 503)));
  app.get('/metrics', async (c) => c.body(await telemetry.registry.metrics(), 200, { 'Content-Type': telemetry.registry.contentType }));

  for (const signal of options.signals) {
    app.all(signal.path, async function otlpExport(c) {
      c.set('signal', signal.signal);
      const contentType = c.req.header('content-type');
      const encoding = encodingOf(contentType);
      c.set('encoding', encoding ?? 'json');
      if (c.req.method !== 'POST') throw new HttpError(405, GRPC.UNIMPLEMENTED, `method ${c.req.method} not allowed on ${signal.path}; use POST`);
      if (!encoding) {
        throw new HttpError(415, GRPC.INVALID_ARGUMENT, `unsupported Content-Type "${contentType ?? ''}"; supported: application/x-protobuf, application/json`);
      }
      const tenant = options.authenticate ? options.authenticate(c.req.header('authorization'), c.req.header('x-api-key')) : '';
      const raw = await readRawBody(c.env.incoming, options.maxBodyBytes);
      // A JSON bomb is refused at its first decompressed chunk; the decoder checks the whole body again.
      const shape = encoding === 'json' ? new JsonShapeScanner(options.maxJsonDepth, maxJsonContainers(options.maxBodyBytes)) : undefined;
      const body = await decodeContentEncoding(raw, c.req.header('content-encoding'), options.maxBodyBytes, shape && ((chunk) => shape.feed(chunk)));
      const result = await options.ingestor.ingest(signal, body, encoding, tenant);
      telemetry.requests.inc({ signal: signal.signal, transport: 'http', code: '200' });
      return encoding === 'proto'
        ? respond(c, 200, encoding, exportResponseProto(result.rejected, result.errorMessage))
        : respond(c, 200, encoding, exportResponseJson(signal.rejectedJsonField, result.rejected, result.errorMessage));
    });
  }

  app.notFound((c) => respond(c, 404, encodingOf(c.req.header('content-type')) ?? 'json', statusJson(GRPC.NOT_FOUND, `no route for ${c.req.path}`)));

  app.onError((err, c) => {
    const error = toHttpError(err);
    if (error.status === 500) console.error(`collector: ${err instanceof Error ? err.message : String(err)}`);
    const encoding = c.get('encoding') ?? 'json';
    const signal = c.get('signal');
    if (signal) telemetry.requests.inc({ signal, transport: 'http', code: String(error.status) });
    const headers: Record<string, string> = error.retryAfterSeconds ? { 'Retry-After': String(error.retryAfterSeconds) } : {};
    // Unread bodies (413 before reading, 415, 405) must not leave the keep-alive socket stuck.
    c.env?.incoming?.resume();
    return encoding === 'proto'
      ? respond(c, error.status, 'proto', statusProto(error.grpcCode, error.message), headers)
      : respond(c, error.status, 'json', statusJson(error.grpcCode, error.message), headers);
  });

  return app;
}
