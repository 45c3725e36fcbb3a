import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ExportResultCode } from '@opentelemetry/core';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { decodePartialSuccessProto, makeSpans, tracesJson, tracesProto } from '../support/otlp.ts';
import { sql } from '../../storage/sql.ts';

const TRACE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

/** A raw unary call with our bytes, to send what no SDK would. */
function rawExport(address: string, path: string, body: Uint8Array, options: { gzip?: boolean } = {}): Promise<{ code: grpc.status; details: string; response?: Buffer }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), options.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      (err, response) => {
        client.close();
        if (err) resolve({ code: err.code, details: err.details });
        else resolve({ code: grpc.status.OK, details: '', response });
      },
    );
  });
}

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

  it('answers UNAVAILABLE when ClickHouse is unreachable and RESOURCE_EXHAUSTED when the queue is full', async () => {
    const down = await startTestCollector({ ...db.config, url: 'http://127.0.0.1:1' }, { retryMaxElapsedMs: 300 });
    const full = await startTestCollector(db.config, { maxQueueBytes: 1_000 });
    try {
      const body = tracesProto(await makeSpans('grpc-down', 50));
      expect((await rawExport(down.grpcAddress, TRACE_EXPORT, body)).code).toBe(grpc.status.UNAVAILABLE);
      expect((await rawExport(full.grpcAddress, TRACE_EXPORT, body)).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      await down.stop();
      await full.stop();
    }
  });
});
