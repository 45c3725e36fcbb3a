import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { makeSpans, tracesProto } from '../support/otlp.ts';

// Slow and idle clients (slowloris) and connection floods, on both ports, through raw sockets. The
// collector here runs with short timeouts and a small cap so the test is quick; the defaults and
// their flags are in docs/durability.md. Waits are bounded generously: a connection that is never
// closed fails the test, how long closing took is printed as information.

const LIMITS = { headersTimeoutMs: 400, requestTimeoutMs: 800, idleTimeoutMs: 1_200, maxConnections: 3 };
const NEVER_MS = 6_000;

interface Probe {
  socket: net.Socket;
  /** Resolves when the server closes the connection: after how long, and what it said first. */
  closed: Promise<{ ms: number; received: string } | undefined>;
}

/** Connects, writes `send`, and watches for the server closing the connection (undefined: it never did). */
async function probe(port: number, send: string | Buffer = ''): Promise<Probe> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const started = performance.now();
  if (send) socket.write(send);
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  const closed = new Promise<{ ms: number; received: string } | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), NEVER_MS);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - started, received });
    });
  });
  return { socket, closed };
}

describe('slow and idle clients, connection cap', () => {
  let db: TestDatabase;
  let collector: TestCollector;
  let grpcPort: number;
  beforeAll(async () => {
    db = await createTestDatabase('slow_clients');
    collector = await startTestCollector(db.config, LIMITS);
    grpcPort = collector.grpcPort;
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
  });

  it('HTTP: closes connections that send nothing, half their headers, or half their body, with 408', async () => {
    const cases = {
      nothing: await probe(collector.httpPort),
      'partial headers': await probe(collector.httpPort, 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n'),
      'partial body': await probe(collector.httpPort, 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\nabc'),
    };
    for (const [label, { closed }] of Object.entries(cases)) {
      const result = await closed;
      expect(result, label).toBeDefined();
      expect(result!.received, label).toMatch(/^HTTP\/1.1 408 /);
      console.log(`HTTP, ${label}: closed after ${result!.ms.toFixed(0)} ms`);
    }
  });

  it('HTTP: closes keep-alive connections idle for --idle-timeout-ms', async () => {
    const body = Buffer.from(tracesProto(await makeSpans('slow-idle', 1)));
    const head = `POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { closed } = await probe(collector.httpPort, Buffer.concat([Buffer.from(head), body]));
    const result = await closed;
    expect(result?.received).toMatch(/^HTTP\/1.1 200 /);
    expect(result!.ms).toBeGreaterThanOrEqual(LIMITS.idleTimeoutMs - 100);
  });

  it('gRPC: closes connections that do not send the HTTP/2 preface within --headers-timeout-ms', async () => {
    for (const [label, send] of [['nothing', ''], ['one byte', 'P']]) {
      const result = await (await probe(grpcPort, send)).closed;
      expect(result, label).toBeDefined();
      console.log(`gRPC, ${label}: closed after ${result!.ms.toFixed(0)} ms`);
    }
  });

  it('gRPC: closes connections that sent the preface but make no call, after --idle-timeout-ms', async () => {
    const result = await (await probe(grpcPort, 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00')).closed;
    expect(result).toBeDefined();
    expect(result!.ms).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs);
    console.log(`gRPC, preface and no call: closed after ${result!.ms.toFixed(0)} ms`);
  });

  for (const port of ['HTTP', 'gRPC'] as const) {
    it(`${port}: refuses connections beyond --max-connections at once, and takes new ones when some close`, async () => {
      const target = port === 'HTTP' ? collector.httpPort : grpcPort;
      const open = [await probe(target), await probe(target), await probe(target)];
      const extra = await probe(target);
      const refused = await extra.closed;
      expect(refused).toBeDefined();
      // Refused while the first three were still open: the cap, not a timeout, closed it.
      expect(open.every((p) => !p.socket.destroyed && p.socket.readyState === 'open')).toBe(true);
      expect(refused!.received).toBe('');
      for (const p of open) p.socket.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const later = await probe(target);
      expect(later.socket.readyState).toBe('open');
      later.socket.destroy();
    });
  }
});
