import * as grpc from '@grpc/grpc-js';
import type { Ingestor } from '../ingest.ts';
import type { SignalSpec } from '../signals/signal.ts';
import type { CollectorTelemetry } from '../telemetry.ts';
import { exportResponseProto } from '../otlp-responses.ts';
import { toHttpError } from '../http/app.ts';

const SERVICE_PATHS: Record<string, string> = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};

const identity = (b: Buffer) => b;

/** A service definition that hands the raw request bytes to our own decoder (no protobuf runtime). */
function rawExportService(path: string): grpc.ServiceDefinition {
  return {
    Export: {
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      responseDeserialize: identity,
    },
  };
}

export interface GrpcServerOptions {
  signals: SignalSpec<unknown>[];
  ingestor: Ingestor;
  telemetry: CollectorTelemetry;
  maxMessageBytes: number;
  authenticate?: (authorization: string | undefined, apiKey: string | undefined) => string;
  credentials?: grpc.ServerCredentials;
}

const HTTP_TO_GRPC_STATUS: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  413: grpc.status.RESOURCE_EXHAUSTED,
  429: grpc.status.RESOURCE_EXHAUSTED,
  500: grpc.status.INTERNAL,
};

/** Same errors as HTTP, in gRPC terms: queue full → RESOURCE_EXHAUSTED, ClickHouse down → UNAVAILABLE. */
function grpcStatusOf(err: unknown): { code: grpc.status; message: string } {
  const error = toHttpError(err);
  if (error.status === 503) {
    const queueFull = err instanceof Error && err.name === 'QueueFullError';
    return { code: queueFull ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.UNAVAILABLE, message: error.message };
  }
  return { code: HTTP_TO_GRPC_STATUS[error.status] ?? grpc.status.INTERNAL, message: error.message };
}

function firstMetadata(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

/** OTLP/gRPC receiver: the same decoders, ingestor and writer as HTTP. */
export async function startGrpcServer(host: string, port: number, options: GrpcServerOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  for (const signal of options.signals) {
    const path = SERVICE_PATHS[signal.signal];
    if (!path) continue;
    server.addService(rawExportService(path), {
      Export: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
        const done = (code: grpc.status, err: { code: grpc.status; message: string } | null, response?: Uint8Array) => {
          options.telemetry.requests.inc({ signal: signal.signal, transport: 'grpc', code: grpc.status[code] ?? String(code) });
          if (err) callback({ code: err.code, details: err.message });
          else callback(null, response);
        };
        Promise.resolve()
          .then(() => {
            const tenant = options.authenticate
              ? options.authenticate(firstMetadata(call.metadata, 'authorization'), firstMetadata(call.metadata, 'x-api-key'))
              : '';
            return options.ingestor.ingest(signal, call.request, 'proto', tenant);
          })
          .then(
            (result) => done(grpc.status.OK, null, exportResponseProto(result.rejected, result.errorMessage)),
            (err: unknown) => {
              const status = grpcStatusOf(err);
              done(status.code, status);
            },
          );
      },
    });
  }
  const boundPort = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, options.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        // Let in-flight calls finish; force after a grace period.
        const timer = setTimeout(() => server.forceShutdown(), 15_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
