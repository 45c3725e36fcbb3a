import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { deflateSync, gzipSync } from 'node:zlib';
import { compress as snappyBlock } from 'snappyjs';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { decodePartialSuccessProto, decodeStatusProto, makeSpans, tracesJson, tracesProto } from '../support/otlp.ts';
import { sql } from '../../storage/sql.ts';

const PROTO = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

async function post(url: string, body: Uint8Array | string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body: body as BodyInit, headers });
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const countSpans = async (db: TestDatabase, service: string) =>
  Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${service}`))[0]!.n);

describe('OTLP/HTTP /v1/traces status codes and bodies', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_http');
    collector = await startTestCollector(db.config, { maxBodyBytes: 1024 * 1024, grpcDisabled: true });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('answers 200 with an empty ExportTraceServiceResponse and stores the spans (protobuf)', async () => {
    const res = await post(`${collector.url}/v1/traces`, tracesProto(await makeSpans('ok-proto', 3)), PROTO);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect(res.bytes.length).toBe(0);
    expect(await countSpans(db, 'ok-proto')).toBe(3);
  });

  it('accepts JSON with a charset parameter and answers in JSON', async () => {
    const res = await post(`${collector.url}/v1/traces`, tracesJson(await makeSpans('ok-json', 2)), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(Buffer.from(res.bytes).toString())).toEqual({});
    expect(await countSpans(db, 'ok-json')).toBe(2);
  });

  it('accepts gzip-compressed bodies', async () => {
    const res = await post(`${collector.url}/v1/traces`, gzipSync(tracesProto(await makeSpans('ok-gzip', 4))), { ...PROTO, 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await countSpans(db, 'ok-gzip')).toBe(4);
  });

  it('treats an empty request as a success', async () => {
    expect((await post(`${collector.url}/v1/traces`, new Uint8Array(0), PROTO)).status).toBe(200);
    expect((await post(`${collector.url}/v1/traces`, '{}', JSON_TYPE)).status).toBe(200);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    expect((await post(`${collector.url}/v1/nope`, '{}', JSON_TYPE)).status).toBe(404);
    const get = await fetch(`${collector.url}/v1/traces`);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ code: 12 });
  });

  it('answers 415 naming the supported content types', async () => {
    const res = await post(`${collector.url}/v1/traces`, 'hello', { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(415);
    const status = JSON.parse(Buffer.from(res.bytes).toString());
    expect(status.message).toContain('application/x-protobuf');
    expect(status.message).toContain('application/json');
  });

  it('answers 400 with a protobuf google.rpc.Status for undecodable protobuf', async () => {
    const res = await post(`${collector.url}/v1/traces`, Uint8Array.from([0x0a, 0xff, 0xff, 0x01, 0x02]), PROTO);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const status = decodeStatusProto(res.bytes);
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/cannot decode/);
  });

  it('answers 400 with a JSON google.rpc.Status for malformed JSON and for bad gzip', async () => {
    const res = await post(`${collector.url}/v1/traces`, '{"resourceSpans": [', JSON_TYPE);
    expect(res.status).toBe(400);
    expect(JSON.parse(Buffer.from(res.bytes).toString())).toMatchObject({ code: 3 });
    const gz = await post(`${collector.url}/v1/traces`, 'not gzip', { ...JSON_TYPE, 'Content-Encoding': 'gzip' });
    expect(gz.status).toBe(400);
  });

  it('answers 413 when the body is over the limit, before or after decompression', async () => {
    const big = new Uint8Array(2 * 1024 * 1024);
    expect((await post(`${collector.url}/v1/traces`, big, PROTO)).status).toBe(413);
    // 1 GiB of zeros would inflate from ~1 MiB; 64 MiB of zeros is ~64 KiB gzipped.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    const started = Date.now();
    const res = await post(`${collector.url}/v1/traces`, bomb, { ...PROTO, 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('stores the valid spans of a mixed batch and reports the invalid ones as partial success', async () => {
    const spans = await makeSpans('mixed', 3);
    const payload = JSON.parse(Buffer.from(tracesJson(spans)).toString());
    const list = payload.resourceSpans[0].scopeSpans[0].spans;
    list[0].traceId = 'abc'; // wrong length
    list[1].spanId = '00000000000000'; // 7 bytes
    const res = await post(`${collector.url}/v1/traces`, JSON.stringify(payload), JSON_TYPE);
    expect(res.status).toBe(200);
    const body = JSON.parse(Buffer.from(res.bytes).toString());
    expect(body.partialSuccess.rejectedSpans).toBe('2');
    expect(body.partialSuccess.errorMessage).toMatch(/2 spans rejected/);
    expect(await countSpans(db, 'mixed')).toBe(1);
  });

  it('reports partial success in protobuf too', async () => {
    const sdkSpans = await makeSpans('mixed-proto2', 2);
    // The official serializer writes whatever hex it is given: a 30-digit trace id becomes 15 bytes.
    const ctx = sdkSpans[0]!.spanContext();
    Object.defineProperty(sdkSpans[0], 'spanContext', { value: () => ({ ...ctx, traceId: ctx.traceId.slice(0, 30) }) });
    const res = await post(`${collector.url}/v1/traces`, tracesProto(sdkSpans), PROTO);
    expect(res.status).toBe(200);
    expect(decodePartialSuccessProto(res.bytes)).toMatchObject({ rejected: 1 });
    expect(await countSpans(db, 'mixed-proto2')).toBe(1);
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${collector.url}/readyz`)).status).toBe(200);
  });
});

describe('OTLP/HTTP when ClickHouse cannot take the rows', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_unavail');
  });
  afterAll(async () => db?.close());

  it('answers 503 with Retry-After when ClickHouse is unreachable, and /readyz is 503', async () => {
    const collector = await startTestCollector({ ...db.config, url: 'http://127.0.0.1:1' }, { retryMaxElapsedMs: 300, grpcDisabled: true });
    try {
      const res = await post(`${collector.url}/v1/traces`, tracesProto(await makeSpans('down', 1)), PROTO);
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(decodeStatusProto(res.bytes).code).toBe(14);
      expect((await fetch(`${collector.url}/readyz`)).status).toBe(503);
    } finally {
      await collector.stop();
    }
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const collector = await startTestCollector(db.config, { maxQueueBytes: 1_000, grpcDisabled: true });
    try {
      const res = await post(`${collector.url}/v1/traces`, tracesProto(await makeSpans('full', 50)), PROTO);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      const metrics = await (await fetch(`${collector.url}/metrics`)).text();
      expect(metrics).toMatch(/burnrate_collector_items_rejected_total\{signal="traces",reason="queue_full"\} 50/);
    } finally {
      await collector.stop();
    }
  });
});

describe('OTLP/HTTP Content-Encoding: gzip, deflate, zstd, snappy, lz4', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('otlp_http_encodings');
    collector = await startTestCollector(db.config, { maxBodyBytes: 1024 * 1024, grpcDisabled: true });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  // The reference command-line compressors (Debian's zstd and lz4 packages) and snappyjs for snappy.
  const cli = (tool: string, args: string[], input: Uint8Array) => execFileSync(tool, [...args, '-q', '-c'], { input, maxBuffer: 64 * 1024 * 1024 });
  /** The snappy framing format around one compressed chunk per 64 KiB (checksums as the format defines them). */
  const snappyFramed = (data: Uint8Array) => {
    const parts = [Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])];
    for (let at = 0; at < data.length; at += 65_536) {
      const piece = data.subarray(at, at + 65_536);
      let crc = -1;
      for (const byte of piece) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? 0x82f63b78 ^ (crc >>> 1) : crc >>> 1;
      }
      crc = (crc ^ -1) >>> 0;
      const compressed = Buffer.from(snappyBlock(Uint8Array.from(piece)));
      const header = Buffer.alloc(8);
      header.writeUIntLE(compressed.length + 4, 1, 3);
      header.writeUInt32LE(((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0, 4);
      parts.push(header, compressed);
    }
    return Buffer.concat(parts);
  };
  const ENCODINGS: [string, (data: Uint8Array) => Uint8Array][] = [
    ['deflate', (d) => deflateSync(d)],
    ['zlib', (d) => deflateSync(d)],
    ['zstd', (d) => cli('zstd', ['-3'], d)],
    ['snappy', (d) => Buffer.from(snappyBlock(Uint8Array.from(d)))],
    ['x-snappy-framed', snappyFramed],
    ['lz4', (d) => cli('lz4', [], d)],
  ];

  for (const [encoding, compress] of ENCODINGS) {
    it(`stores a ${encoding} body (protobuf and JSON) and refuses a ${encoding} bomb with 413`, async () => {
      const service = `enc-${encoding}`;
      const proto = await post(`${collector.url}/v1/traces`, compress(tracesProto(await makeSpans(service, 3))), { ...PROTO, 'Content-Encoding': encoding });
      const json = await post(`${collector.url}/v1/traces`, compress(tracesJson(await makeSpans(service, 2))), { ...JSON_TYPE, 'Content-Encoding': encoding });
      expect([proto.status, json.status]).toEqual([200, 200]);
      expect(await countSpans(db, service)).toBe(5);

      const bomb = compress(new Uint8Array(8 * 1024 * 1024));
      const refused = await post(`${collector.url}/v1/traces`, bomb, { ...PROTO, 'Content-Encoding': encoding });
      expect(refused.status).toBe(413);
      expect(decodeStatusProto(refused.bytes).message).toBe('request body exceeds the limit of 1048576 bytes after decompression');
    });
  }

  it('also reads snappy framed bodies sent as "snappy" (older Collectors)', async () => {
    const res = await post(`${collector.url}/v1/traces`, snappyFramed(tracesProto(await makeSpans('enc-snappy-framed', 2))), { ...PROTO, 'Content-Encoding': 'snappy' });
    expect(res.status).toBe(200);
    expect(await countSpans(db, 'enc-snappy-framed')).toBe(2);
  });
});

