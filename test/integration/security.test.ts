import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.ts';
import { SpanBatches } from '../support/span-load.ts';
import { freePort } from '../../storage/local-clickhouse.ts';
import { sql } from '../../storage/sql.ts';
import { createAuthenticator } from '../../collector/auth.ts';
import { parseTokens } from '../../auth/tokens.ts';
import { HttpError } from '../../collector/http/http-error.ts';

const TOKEN_A = 'tok-A-7f3c9e1d2b4a';
const TOKEN_B = 'tok-B-0a9b8c7d6e5f';
const TRACE_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

const post = (url: string, headers: Record<string, string>, body: Uint8Array) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', ...headers }, body: body as unknown as BodyInit });

async function spanCount(db: TestDatabase, where: ReturnType<typeof sql>) {
  const rows = await db.ch.query<{ tenant: string; n: string }>(sql`SELECT tenant, count() AS n FROM spans WHERE ${where} GROUP BY tenant`);
  return Object.fromEntries(rows.map((r) => [r.tenant, Number(r.n)]));
}

describe('ingest authentication (unit)', () => {
  it('accepts Bearer and X-API-Key, rejects the rest with 401 / UNAUTHENTICATED and no secret in the message', () => {
    const authenticate = createAuthenticator(parseTokens(`${TOKEN_A} tenant=acme\n${TOKEN_B}`, 'test').entries)!;
    expect(authenticate(`Bearer ${TOKEN_A}`, undefined)).toBe('acme');
    expect(authenticate(`bearer  ${TOKEN_B} `, undefined)).toBe('');
    expect(authenticate(undefined, TOKEN_A)).toBe('acme');
    for (const [authorization, key] of [[undefined, undefined], ['Bearer wrong', undefined], [`Basic ${TOKEN_A}`, undefined], [undefined, `${TOKEN_A}x`], [`Bearer ${TOKEN_A.slice(0, -1)}`, undefined]] as const) {
      const error = (() => {
        try {
          authenticate(authorization, key);
        } catch (e) {
          return e;
        }
      })() as HttpError;
      expect(error).toBeInstanceOf(HttpError);
      expect([error.status, error.grpcCode]).toEqual([401, 16]);
      expect(error.message).not.toContain('tok-');
    }
    expect(createAuthenticator([])).toBeUndefined();
  });
});

describe('ingest authentication and tenants over HTTP and gRPC', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('security_auth');
    collector = await startTestCollector(db.config, { authTokens: `${TOKEN_A} tenant=acme\n${TOKEN_B}` });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('answers 401 with an OTLP Status when the token is missing or wrong, and stores tenant-tagged rows otherwise', async () => {
    const batches = new SpanBatches('auth-http');
    const url = `${collector.url}/v1/traces`;
    const missing = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ code: 16, message: expect.stringContaining('missing credentials') });
    const wrong = await post(url, { Authorization: 'Bearer nope', 'Content-Type': 'application/x-protobuf' }, batches.next(1).payload);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/x-protobuf');
    // google.rpc.Status: field 1 (code) = 16 UNAUTHENTICATED.
    expect([...new Uint8Array(await wrong.arrayBuffer()).subarray(0, 2)]).toEqual([0x08, 16]);

    const a = batches.next(3);
    const b = batches.next(2);
    expect((await post(url, { Authorization: `Bearer ${TOKEN_A}` }, a.payload)).status).toBe(200);
    expect((await post(url, { 'X-API-Key': TOKEN_B }, b.payload)).status).toBe(200);
    expect(await spanCount(db, sql`service_name = 'auth-http'`)).toEqual({ acme: 3, '': 2 });
  });

  it('accepts the SDK exporter with an Authorization header', async () => {
    const exporter = new OTLPTraceExporter({ url: `${collector.url}/v1/traces`, headers: { Authorization: `Bearer ${TOKEN_A}` } });
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'auth-sdk' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.getTracer('t').startSpan('s').end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(await spanCount(db, sql`service_name = 'auth-sdk'`)).toEqual({ acme: 1 });
  });

  it('answers UNAUTHENTICATED on gRPC without a valid token and accepts one in metadata', async () => {
    const client = new grpc.Client(collector.grpcAddress, grpc.credentials.createInsecure());
    const call = (metadata: grpc.Metadata, payload: Uint8Array) =>
      new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(TRACE_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(payload), metadata, (err) => resolve(err)),
      );
    const batches = new SpanBatches('auth-grpc');
    const none = await call(new grpc.Metadata(), batches.next(1).payload);
    expect(none?.code).toBe(grpc.status.UNAUTHENTICATED);
    const bad = new grpc.Metadata();
    bad.set('authorization', 'Bearer nope');
    expect((await call(bad, batches.next(1).payload))?.code).toBe(grpc.status.UNAUTHENTICATED);
    const good = new grpc.Metadata();
    good.set('x-api-key', TOKEN_A);
    expect(await call(good, batches.next(4).payload)).toBeNull();
    client.close();
    expect(await spanCount(db, sql`service_name = 'auth-grpc'`)).toEqual({ acme: 4 });
  });
});

describe('TLS on both ports', () => {
  let dir: string;
  let db: TestDatabase;
  let collector: TestCollector;
  let ca: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    ca = readFileSync(join(dir, 'cert.pem'));
    db = await createTestDatabase('security_tls');
    collector = await startTestCollector(db.config, { tlsCert: join(dir, 'cert.pem'), tlsKey: join(dir, 'key.pem') });
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves OTLP/HTTP over https to the SDK exporter trusting the CA, and refuses plain http', async () => {
    const url = `https://127.0.0.1:${collector.httpPort}/v1/traces`;
    const exporter = new OTLPTraceExporter({ url, httpAgentOptions: { ca } });
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'tls-sdk' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.getTracer('t').startSpan('s').end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(await spanCount(db, sql`service_name = 'tls-sdk'`)).toEqual({ '': 1 });

    const status = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`https://127.0.0.1:${collector.httpPort}/healthz`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject).end();
    });
    expect(status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${collector.httpPort}/healthz`)).rejects.toThrow();
  });

  it('serves OTLP/gRPC over TLS to a client trusting the CA', async () => {
    const client = new grpc.Client(collector.grpcAddress, grpc.credentials.createSsl(ca));
    const payload = new SpanBatches('tls-grpc').next(2).payload;
    const err = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(TRACE_PATH, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(payload), new grpc.Metadata(), (e) => resolve(e)),
    );
    client.close();
    expect(err).toBeNull();
    expect(await spanCount(db, sql`service_name = 'tls-grpc'`)).toEqual({ '': 2 });
  });
});

describe('secrets stay out of logs, errors and /metrics', () => {
  let db: TestDatabase;
  let child: CollectorProcess;
  afterAll(async () => {
    await child?.kill('SIGKILL');
    await db?.close();
  });

  it('never prints the token or the ClickHouse password, even on auth failures and config errors', async () => {
    db = await createTestDatabase('security_secrets');
    const password = 'ch-pass-5e6f7a8b';
    // A wrong ClickHouse password makes every insert fail: its error paths must not echo it.
    child = await startCollectorProcess({ ...db.config, password }, await freePort(), ['--retry-max-elapsed-ms', '300'], {
      env: { BURNRATE_AUTH_TOKENS: `${TOKEN_A} tenant=acme` },
    });
    const url = `${child.url}/v1/traces`;
    const batches = new SpanBatches('secrets');
    expect((await post(url, { Authorization: `Bearer ${TOKEN_A}x` }, batches.next(1).payload)).status).toBe(401);
    const failed = await post(url, { Authorization: `Bearer ${TOKEN_A}` }, batches.next(1).payload);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    const failedBody = await failed.text();
    const metrics = await (await fetch(`${child.url}/metrics`)).text();
    await child.kill('SIGTERM');

    // A configuration error names the setting, not the value.
    const bad = await startCollectorProcess(db.config, await freePort(), ['--tls-cert', '/nonexistent'], { env: { BURNRATE_AUTH_TOKENS: TOKEN_B } }).then(
      () => 'started',
      (e: Error) => e.message,
    );
    const everything = [child.output.join(''), failedBody, metrics, bad].join('\n');
    expect(everything).toContain('burnrate_collector_requests_total');
    expect(bad).toMatch(/--tls-cert/);
    for (const secret of [TOKEN_A, TOKEN_B, password]) expect(everything).not.toContain(secret);
  });
});

describe('hostile names and values round-trip exactly', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  beforeAll(async () => {
    db = await createTestDatabase('security_escaping');
    collector = await startTestCollector(db.config);
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  const HOSTILE = ["'); DROP TABLE spans; --", 'quote \' double " back \\ slash \\\\', 'tab\tnew\nline\rcr', 'nul\u0000byte', "\\'; SELECT 1; --", '{"json":"like"}', 'ünï 漢字 🔥', '`backtick` $1 ${x} %s'];

  it('stores service names, span names and attribute values with SQL and TSV metacharacters verbatim', async () => {
    const resource = { resourceSpans: [] as unknown[] };
    HOSTILE.forEach((value, i) => {
      resource.resourceSpans.push({
        resource: { attributes: [{ key: 'service.name', value: { stringValue: value } }] },
        scopeSpans: [{ spans: [{ traceId: 'ab'.repeat(16), spanId: (i + 1).toString(16).padStart(16, '0'), name: value, startTimeUnixNano: '1780000000000000000', endTimeUnixNano: '1780000000000000001', attributes: [{ key: value, value: { stringValue: value } }] }] }],
      });
    });
    const res = await fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(resource) });
    expect(res.status).toBe(200);
    const rows = await db.ch.query<{ span_id: string; service_name: string; name: string; 'attributes.key': string[]; 'attributes.value': string[] }>(
      sql`SELECT span_id, service_name, name, attributes.key, attributes.value FROM spans WHERE trace_id = ${'ab'.repeat(16)} ORDER BY span_id`,
    );
    expect(rows.map((r) => [r.service_name, r.name, r['attributes.key'], r['attributes.value']])).toEqual(HOSTILE.map((v) => [v, v, [v], [v]]));
    // Looked up by the hostile value through the escaping helper: exactly its own row.
    for (const value of HOSTILE) {
      const found = await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${value}`);
      expect(found[0]!.n).toBe('1');
    }
    expect(await db.ch.query(sql`EXISTS TABLE spans`)).toEqual([{ result: 1 }]);
  });
});
