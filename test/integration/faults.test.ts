import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalClickhouse } from '../../storage/local-clickhouse.ts';
import { startTestClickhouse } from '../support/engine.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.ts';
import { rawClient, sdkClient, SpanBatches, tallyStored, union } from '../support/span-load.ts';
import { startThrottleProxy } from '../support/throttle-proxy.ts';

// Faults (b) SIGKILL, (c) slow ClickHouse, (d) SIGTERM, each against a collector child process
// (`node bin/burnrate.js collector`) and a private ClickHouse. Counting is by span id: a span is
// acknowledged when its request got 200 (raw clients) or its SDK export reported SUCCESS.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault tests against a collector process', () => {
  let dir: string;
  let clickhouse: LocalClickhouse;
  let running: CollectorProcess[] = [];
  let database = 0;

  /** A fresh database per test, so counts are per scenario. */
  const freshConfig = (): ClickhouseConfig => ({ url: clickhouse.url, username: 'default', password: '', database: `faults_${++database}` });
  const start = async (config: ClickhouseConfig, port: number, args: string[]) => {
    const collector = await startCollectorProcess(config, port, ['--migrate', '--flush-interval-ms', '200', ...args]);
    running.push(collector);
    return collector;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-faults-'));
    clickhouse = await startTestClickhouse(join(dir, 'clickhouse'));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(running.map((c) => c.kill('SIGKILL')));
    running = [];
  });
  afterAll(async () => {
    await clickhouse?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('(b) loses no acknowledged span when the collector is SIGKILLed under load and restarted on its spool', async () => {
    const config = freshConfig();
    const port = await freePort();
    const spool = join(dir, 'spool-kill');
    const first = await start(config, port, ['--spool-dir', spool]);
    const url = `${first.url}/v1/traces`;
    const sdk = [0, 1, 2].map((i) => sdkClient(url, { service: `kill-sdk-${i}`, spansPerSecond: 500 }));
    const raw = [0, 1].map((i) => rawClient(url, { service: `kill-raw-${i}`, spansPerRequest: 100 }));
    await sleep(4_000);
    const killed = await first.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const leftOnDisk = readdirSync(spool).filter((f) => f.endsWith('.seg')).length;
    await sleep(500);
    const second = await start(config, port, ['--spool-dir', spool]);
    await sleep(4_000);
    await Promise.all([...raw.map((c) => c.stop()), ...sdk.map((c) => c.stop())]);

    const acked = union(...raw.map((c) => c.stats.acked), ...sdk.map((c) => c.stats.acked));
    const tally = await tallyStored(config, acked, 30_000);
    console.log(
      `fault (b) SIGKILL: acknowledged=${tally.acknowledged} stored=${tally.stored} missing=${tally.missing.length} ` +
        `duplicates=${tally.duplicates} segments left by the killed process=${leftOnDisk}`,
    );
    expect(tally.missing).toEqual([]);
    expect(tally.acknowledged).toBeGreaterThan(5_000);
    if (leftOnDisk > 0) expect(second.output.join('')).toMatch(/spool: replaying \d+ segment/);
  }, 60_000);

  it('(c) keeps memory bounded and loses nothing acknowledged when ClickHouse is slow', async () => {
    const config = freshConfig();
    // Migrate at full speed, then put the throttle in front for the collector.
    const setup = await start(config, await freePort(), []);
    await setup.kill('SIGTERM');
    const proxy = await startThrottleProxy(clickhouse.httpPort, 256 * 1024);
    try {
      const throttled = { ...config, url: `http://127.0.0.1:${proxy.port}` };
      const collector = await start(throttled, await freePort(), ['--max-queue-bytes', String(2 * 1024 * 1024), '--retry-max-elapsed-ms', '4000']);
      const baseline = collector.rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, collector.rss())), 100);
      const url = `${collector.url}/v1/traces`;
      const clients = Array.from({ length: 12 }, (_, i) =>
        rawClient(url, { service: `slow-${i}`, spansPerRequest: 400, attributeBytes: 200, maxRetryAfterMs: 500 }),
      );
      await sleep(15_000);
      await Promise.all(clients.map((c) => c.stop()));
      clearInterval(sampler);
      proxy.setRate(1024 * 1024 * 1024);

      const statuses: Record<string, number> = {};
      for (const c of clients) for (const [k, v] of c.stats.statuses) statuses[k] = (statuses[k] ?? 0) + v;
      const retryAfter = clients.flatMap((c) => c.stats.retryAfter);
      const tally = await tallyStored(config, union(...clients.map((c) => c.stats.acked)), 30_000);
      const mib = (n: number) => (n / 1024 / 1024).toFixed(0);
      console.log(
        `fault (c) slow ClickHouse (256 KiB/s): acknowledged=${tally.acknowledged} stored=${tally.stored} missing=${tally.missing.length} ` +
          `duplicates=${tally.duplicates} statuses=${JSON.stringify(statuses)} rss baseline=${mib(baseline)} MiB peak=${mib(peak)} MiB`,
      );
      expect(tally.missing).toEqual([]);
      expect(tally.acknowledged).toBeGreaterThan(0);
      expect((statuses['503'] ?? 0) + (statuses['429'] ?? 0)).toBeGreaterThan(0);
      expect(retryAfter.every((v) => /^\d+$/.test(v))).toBe(true);
      expect(Object.keys(statuses).every((s) => ['200', '429', '503'].includes(s))).toBe(true);
      // The queue bound is 2 MiB; requests in flight and their decoded rows add a few MiB each.
      expect(peak - baseline).toBeLessThan(160 * 1024 * 1024);
    } finally {
      await proxy.close();
    }
  }, 90_000);

  it('(d) on SIGTERM stops accepting, answers the request in flight, flushes and exits 0', async () => {
    const config = freshConfig();
    const port = await freePort();
    const spool = join(dir, 'spool-term');
    const collector = await start(config, port, ['--spool-dir', spool]);
    const url = `${collector.url}/v1/traces`;
    const raw = rawClient(url, { service: 'term-raw', spansPerRequest: 50, pauseMs: 20 });
    await sleep(1_500);

    // A request whose body is half sent when the signal arrives.
    const { payload, spanIds } = new SpanBatches('term-inflight').next(100);
    const half = Math.floor(payload.length / 2);
    let answered: { status: number; body: string } | undefined;
    let finishBody = () => {};
    const inflight = new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': payload.length } }, (res) => {
        let body = '';
        res.setEncoding('latin1').on('data', (d: string) => (body += d));
        res.on('end', () => {
          answered = { status: res.statusCode!, body };
          resolve();
        });
      });
      req.on('error', reject);
      req.write(payload.subarray(0, half));
      finishBody = () => req.end(payload.subarray(half));
    });
    // Signal once the collector is reading this request; finish the body after it stopped listening.
    await sleep(300);
    collector.child.kill('SIGTERM');
    const deadline = Date.now() + 15_000;
    while (!collector.output.join('').includes('SIGTERM, draining') && Date.now() < deadline) await sleep(50);
    await sleep(100);
    // A new connection is refused. (Pooled keep-alive connections are closed by the drain; the
    // unit test of collector/http/drain.ts covers those.)
    const refused = await new Promise<string>((resolve) => {
      request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/x-protobuf' } }, (res) => {
        res.resume();
        resolve(`status ${res.statusCode}`);
      })
        .on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message))
        .end();
    });
    finishBody();
    await inflight;
    const exit = await Promise.race([collector.exited, sleep(30_000).then(() => 'timeout' as const)]);
    await raw.stop();

    expect(refused).toBe('ECONNREFUSED');
    expect(answered?.status).toBe(200);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(collector.output.join('')).toMatch(/SIGTERM, draining[\s\S]*collector: stopped/);
    // Flushed: nothing left in the spool, every acknowledged span stored (no wait needed).
    expect(readdirSync(spool).filter((f) => f.endsWith('.seg'))).toEqual([]);
    const acked = union(raw.stats.acked, new Set(spanIds));
    const tally = await tallyStored(config, acked, 0);
    console.log(`fault (d) SIGTERM: acknowledged=${tally.acknowledged} stored=${tally.stored} missing=${tally.missing.length} duplicates=${tally.duplicates}`);
    expect(tally.missing).toEqual([]);
  }, 60_000);
});
