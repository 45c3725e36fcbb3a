import * as grpc from '@grpc/grpc-js';
import type { Authenticate } from '../auth.ts';
import type { Ingestor } from '../ingest.ts';
import type { SignalSpec } from '../signals/signal.ts';
import type { CollectorTelemetry } from '../telemetry.ts';
import { exportResponseProto } from '../otlp-responses.ts';
import { admissionInterceptor, firstMetadata } from './admission.ts';
import { listenGrpc } from './listener.ts';
import { grpcErrorOf } from './status.ts';

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
  authenticate?: Authenticate;
  credentials?: grpc.ServerCredentials;
  /** Slow and idle clients, and the connection cap (see listener.ts and admission.ts). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxConnections: number;
}

/** OTLP/gRPC receiver: the same decoders, ingestor and writer as HTTP. */
export async function startGrpcServer(host: string, port: number, options: GrpcServerOptions): Promise<{ port: number; stop(): Promise<void> }> {
  const signalOf = new Map(options.signals.map((s) => [SERVICE_PATHS[s.signal], s.signal]));
  const count = (signal: string, code: grpc.status) => options.telemetry.requests.inc({ signal, transport: 'grpc', code: grpc.status[code] ?? String(code) });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
    'grpc.max_connection_idle_ms': options.idleTimeoutMs,
    interceptors: [
      admissionInterceptor({
        authenticate: options.authenticate,
        messageTimeoutMs: options.requestTimeoutMs,
        refused: (path, code) => {
          const signal = signalOf.get(path);
          if (signal) count(signal, code);
        },
      }),
    ],
  });
  for (const signal of options.signals) {
    const path = SERVICE_PATHS[signal.signal];
    if (!path) continue;
    server.addService(rawExportService(path), {
      Export: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => {
        Promise.resolve()
          .then(() => {
            // Admitted by the interceptor; this resolves the token's tenant.
            const tenant = options.authenticate ? options.authenticate(firstMetadata(call.metadata, 'authorization'), firstMetadata(call.metadata, 'x-api-key')) : '';
            return options.ingestor.ingest(signal, call.request, 'proto', tenant);
          })
          .then(
            (result) => {
              count(signal.signal, grpc.status.OK);
              callback(null, exportResponseProto(result.rejected, result.errorMessage));
            },
            (err: unknown) => {
              const error = grpcErrorOf(err);
              count(signal.signal, error.code ?? grpc.status.UNKNOWN);
              callback(error);
            },
          );
      },
    });
  }
  const listener = await listenGrpc(server, {
    host,
    port,
    credentials: options.credentials ?? grpc.ServerCredentials.createInsecure(),
    maxConnections: options.maxConnections,
    headersTimeoutMs: options.headersTimeoutMs,
  });
  return {
    port: listener.port,
    async stop() {
      // Stop accepting first; the listener closes once grpc-js has closed the connections it holds.
      const listenerClosed = listener.close();
      await new Promise<void>((resolve) => {
        // Let in-flight calls finish; force after a grace period.
        const timer = setTimeout(() => server.forceShutdown(), 15_000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await listenerClosed;
    },
  };
}
