import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ExportResultCode } from '@opentelemetry/core';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { decodePartialSuccessProto, makeSpans, tracesJson, tracesProto } from '../support/otlp.ts';
import { sql } from '../../storage/sql.ts';
import { Reader } from '../../collector/decode/wire.ts';

const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** A raw unary call with our bytes, to send what no SDK would. */
function rawExport(address: string, path: string, body: Uint8Array, options: { gzip?: boolean } = {}): Promise<{ code: grpc.status; details: string; response?: Buffer; trailers?: grpc.Metadata }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      (err, response) => {
        client.close();
        if (err) resolve({ code: err.code, details: err.details, trailers: err.metadata });
        else resolve({ code: grpc.status.OK, details: '', response });
      },
    );
  });
}

/** google.rpc.Status (grpc-status-details-bin) → its code and the RetryInfo delay in seconds, if any. */
function decodeStatusDetails(bytes: Buffer): { code: number; retryDelaySeconds?: number } {
  const fields = (buf: Uint8Array) => {
    const reader = new Reader(buf);
    const out = new Map<number, (number | Uint8Array)[]>();
    while (reader.pos < reader.end) {
      const tag = reader.uint32();
      const value = (tag & 7) === 2 ? reader.bytes() : reader.uint32();
      out.set(tag >>> 3, [...(out.get(tag >>> 3) ?? []), value]);
    }
    return out;
  };
  const status = fields(bytes);
  const result: { code: number; retryDelaySeconds?: number } = { code: status.get(1)?.[0] as number };
  for (const detail of (status.get(3) ?? []) as Uint8Array[]) {
    const any = fields(detail);
    if (Buffer.from(any.get(1)![0] as Uint8Array).toString() !== 'type.googleapis.com/google.rpc.RetryInfo') continue;
    const duration = fields(fields(any.get(2)![0] as Uint8Array).get(1)![0] as Uint8Array);
    result.retryDelaySeconds = duration.get(1)![0] as number;
  }
  return result;
}

/**
 * A gRPC call over a bare HTTP/2 stream: sends the headers and `parts` of the message, keeps the
 * stream open, and waits up to `waitMs` for the call's status (grpc-status in headers or trailers).
 */
async function openCall(address: string, headers: Record<string, string>, parts: Buffer[], waitMs: number): Promise<{ status?: number; message?: string; ms: number }> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {});
  const started = performance.now();
  const stream = session.request({ ':method': 'POST', ':path': TRACE_EXPORT, 'content-type': 'application/grpc', te: 'trailers', ...headers }, { endStream: false });
  stream.on('error', () => {});
  for (const part of parts) stream.write(part);
  const status = await new Promise<http2.IncomingHttpHeaders | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), waitMs);
    const done = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] === undefined) return;
      clearTimeout(timer);
      resolve(h);
    };
    stream.on('response', done);
    stream.on('trailers', done);
  });
  const ms = performance.now() - started;
  session.destroy();
  return status ? { status: Number(status['grpc-status']), message: decodeURIComponent(String(status['grpc-message'] ?? '')), ms } : { ms };
}

/** A gRPC message prefix: not compressed, `length` bytes follow. */
const messagePrefix = (length: number) => Buffer.from([0, (length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255]);

describe('OTLP/gRPC receiver', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_grpc');
    collector = await startTestCollector(db.config, { maxBodyBytes: 256 * 1024 });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  const count = async (service: string) => Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${service}`))[0]!.n);

  it('accepts gzip-compressed exports from the SDK exporter', async () => {
    const exporter = new OTLPTraceExporter({ url: `http://${collector.grpcAddress}`, compression: CompressionAlgorithm.GZIP });
    const spans = await makeSpans('grpc-gzip', 5);
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    expect(await count('grpc-gzip')).toBe(5);
  });

  it('answers INVALID_ARGUMENT for garbage bytes', async () => {
    const res = await rawExport(collector.grpcAddress, TRACE_EXPORT, Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 1, 2]));
    expect(res.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.details).toMatch(/cannot decode/);
  });

  it('answers INVALID_ARGUMENT for JSON sent as protobuf', async () => {
    const res = await rawExport(collector.grpcAddress, TRACE_EXPORT, tracesJson(await makeSpans('grpc-json', 1)));
    expect(res.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('answers RESOURCE_EXHAUSTED for messages over the size limit', async () => {
    const res = await rawExport(collector.grpcAddress, TRACE_EXPORT, new Uint8Array(512 * 1024));
    expect(res.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('returns partial success for individually invalid spans and stores the rest', async () => {
    const spans = await makeSpans('grpc-partial', 3);
    const ctx = spans[1]!.spanContext();
    Object.defineProperty(spans[1], 'spanContext', { value: () => ({ ...ctx, spanId: ctx.spanId.slice(0, 10) }) });
    const res = await rawExport(collector.grpcAddress, TRACE_EXPORT, tracesProto(spans), { gzip: true });
    expect(res.code).toBe(grpc.status.OK);
    expect(decodePartialSuccessProto(res.response!)).toMatchObject({ rejected: 1 });
    expect(await count('grpc-partial')).toBe(2);
  });

  it('answers UNIMPLEMENTED for unknown services', async () => {
    const res = await rawExport(collector.grpcAddress, '/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', new Uint8Array(0));
    expect(res.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});

describe('OTLP/gRPC when ClickHouse cannot take the rows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_grpc_down');
  });
  afterAll(async () => db?.close());

  it('answers UNAVAILABLE with RetryInfo when ClickHouse is unreachable and when the queue is full (never RESOURCE_EXHAUSTED, which exporters drop)', async () => {
    const down = await startTestCollector({ ...db.config, url: 'http://127.0.0.1:1' }, { retryMaxElapsedMs: 300 });
    const full = await startTestCollector(db.config, { maxQueueBytes: 1_000 });
    try {
      const body = tracesProto(await makeSpans('grpc-down', 50));
      for (const collector of [down, full]) {
        const res = await rawExport(collector.grpcAddress, TRACE_EXPORT, body);
        expect(res.code).toBe(grpc.status.UNAVAILABLE);
        const [details] = res.trailers!.get('grpc-status-details-bin') as Buffer[];
        const decoded = decodeStatusDetails(details!);
        expect(decoded.code).toBe(grpc.status.UNAVAILABLE);
        expect(decoded.retryDelaySeconds).toBeGreaterThanOrEqual(1);
      }
      expect((await rawExport(full.grpcAddress, TRACE_EXPORT, body)).details).toMatch(/queue is full/);
    } finally {
      await down.stop();
      await full.stop();
    }
  });
});

describe('OTLP/gRPC admission from metadata, before the message is read', () => {
  const TOKEN = `grpc-admission-token-${'k'.repeat(32)}`;
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_grpc_admission');
    collector = await startTestCollector(db.config, { authTokens: TOKEN, requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('refuses a call without a valid token from its headers alone, while its 60 MiB message is still unsent', async () => {
    // The message prefix announces 60 MiB, and not one byte of it follows.
    for (const headers of [{}, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
      const res = await openCall(collector.grpcAddress, headers, [messagePrefix(60 * 1024 * 1024)], 5_000);
      expect(res.status).toBe(grpc.status.UNAUTHENTICATED);
      console.log(`unauthenticated gRPC call refused after ${res.ms.toFixed(0)} ms, message unsent`);
    }
  });

  it('ends a call whose message does not arrive within --request-timeout-ms with DEADLINE_EXCEEDED', async () => {
    const res = await openCall(collector.grpcAddress, { authorization: `Bearer ${TOKEN}` }, [messagePrefix(1_000), Buffer.alloc(10)], 5_000);
    expect(res.status).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(res.message).toBe('request message not received within 1000 ms');
    expect(res.ms).toBeGreaterThanOrEqual(900);
  });

  it('still serves authenticated calls, with the token in metadata', async () => {
    const client = new grpc.Client(collector.grpcAddress, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${TOKEN}`);
    const body = tracesProto(await makeSpans('grpc-admitted', 2));
    const code = await new Promise<grpc.status>((resolve) =>
      client.makeUnaryRequest(TRACE_EXPORT, (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b, body, metadata, (err) => resolve(err ? err.code : grpc.status.OK)),
    );
    client.close();
    expect(code).toBe(grpc.status.OK);
    expect(Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = 'grpc-admitted'`))[0]!.n)).toBe(2);
  });
});
