import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalClickhouse } from '../../storage/local-clickhouse.ts';
import { startTestClickhouse } from '../support/engine.ts';
import { connectClickhouse } from '../../storage/client.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.ts';
import { rawClient, sdkClient, tallyStored, union } from '../support/span-load.ts';

// Issue 13, finding 1: ClickHouse refusing every insert for a while is a condition of the
// environment, not of the data. A password change for 20 s (the case) and a table taken
// away and given back, under load: nothing acknowledged is lost or set aside, /readyz says not
// ready meanwhile, the log names the cause, memory mode answers 503 + Retry-After throughout.
// Own ClickHouse of the project's engine, whose password the test changes as an operator would.

const OUTAGE_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

const readyz = async (url: string) => (await fetch(`${url}/readyz`)).status;

/** Until `check` holds (polled every 100 ms), or fails the test after `ms`. */
async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('fault: ClickHouse refuses inserts for a while under load', () => {
  let dir: string;
  let clickhouse: LocalClickhouse;
  let running: CollectorProcess[] = [];
  const start = async (database: string, args: string[]) => {
    const config: ClickhouseConfig = { url: clickhouse.url, username: 'default', password: '', database };
    // A generous start-up bound: this file runs on both engines at once on a loaded machine.
    const collector = await startCollectorProcess(config, await freePort(), ['--migrate', '--flush-interval-ms', '200', ...args], { readyTimeoutMs: 60_000 });
    running.push(collector);
    return { config, collector, url: `${collector.url}/v1/traces` };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-fault-env-'));
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

  it('password changed for 20 s: spool mode loses and sets aside nothing, memory mode answers 503 + Retry-After, both report not ready', async () => {
    const spoolDir = join(dir, 'spool-password');
    const spooled = await start('env_spool', ['--spool-dir', spoolDir]);
    const memory = await start('env_memory', ['--retry-max-elapsed-ms', '2000']);
    const spoolLoad = [
      ...[0, 1].map((i) => sdkClient(spooled.url, { service: `pw-spool-sdk-${i}`, spansPerSecond: 300 })),
      rawClient(spooled.url, { service: 'pw-spool-raw', spansPerRequest: 50, pauseMs: 50 }),
    ];
    const memoryRaw = rawClient(memory.url, { service: 'pw-memory-raw', spansPerRequest: 50, pauseMs: 50, maxRetryAfterMs: 500 });
    const memorySdk = sdkClient(memory.url, { service: 'pw-memory-sdk', spansPerSecond: 200 });
    await sleep(3_000);

    await clickhouse.setPassword('default', 'changed-for-the-test');
    const ackedBefore = union(...spoolLoad.map((c) => c.stats.acked)).size;
    await sleep(OUTAGE_MS / 2);
    const midOutage = {
      spoolReady: await readyz(spooled.collector.url),
      memoryReady: await readyz(memory.collector.url),
      spoolFailing: await metric(spooled.collector.url, 'burnrate_collector_clickhouse_failing'),
      memoryFailing: await metric(memory.collector.url, 'burnrate_collector_clickhouse_failing'),
    };
    await sleep(OUTAGE_MS / 2);
    const ackedDuringOutage = union(...spoolLoad.map((c) => c.stats.acked)).size - ackedBefore;
    await clickhouse.setPassword('default', '');
    await until('both collectors to be ready again', async () => (await readyz(spooled.collector.url)) === 200 && (await readyz(memory.collector.url)) === 200);
    await sleep(2_000);
    await Promise.all([...spoolLoad.map((c) => c.stop()), memoryRaw.stop(), memorySdk.stop()]);

    const spoolTally = await tallyStored(spooled.config, union(...spoolLoad.map((c) => c.stats.acked)), 60_000);
    const memoryTally = await tallyStored(memory.config, union(memoryRaw.stats.acked, memorySdk.stats.acked), 10_000);
    const statuses = Object.fromEntries(memoryRaw.stats.statuses);
    console.log(
      `fault: password changed ${OUTAGE_MS / 1000} s: spool acknowledged=${spoolTally.acknowledged} (during ${ackedDuringOutage}) stored=${spoolTally.stored} ` +
        `missing=${spoolTally.missing.length}; memory acknowledged=${memoryTally.acknowledged} missing=${memoryTally.missing.length} ` +
        `statuses=${JSON.stringify(statuses)} mid-outage=${JSON.stringify(midOutage)}`,
    );
    expect(ackedDuringOutage).toBeGreaterThan(1_000);
    expect(spoolTally.missing).toEqual([]);
    expect(memoryTally.missing).toEqual([]);
    // Nothing set aside: no rejected/ records, no segment renamed out of the replay set.
    expect(existsSync(join(spoolDir, 'rejected')) ? readdirSync(join(spoolDir, 'rejected')) : []).toEqual([]);
    expect(readdirSync(spoolDir).filter((f) => !f.endsWith('.seg'))).toEqual([]);
    expect(midOutage).toEqual({ spoolReady: 503, memoryReady: 503, spoolFailing: 1, memoryFailing: 1 });
    // Memory mode: 503 with a Retry-After while it lasted, never an error that makes clients drop data.
    expect(statuses['503']).toBeGreaterThan(0);
    expect(Object.keys(statuses).filter((s) => !['200', '503'].includes(s))).toEqual([]);
    expect(memoryRaw.stats.retryAfter.every((v) => /^\d+$/.test(v))).toBe(true);
    for (const c of [spooled.collector, memory.collector]) {
      const output = c.output.join('');
      // 18.16 says the password is required, current servers that authentication failed.
      expect(output).toMatch(/ClickHouse refuses inserts \(environmental, for 0 s\): Code (194 REQUIRED_PASSWORD: Password required for user default|516 AUTHENTICATION_FAILED)/);
      expect(output).toMatch(/ClickHouse takes inserts again after \d+ s/);
    }
    expect(await metric(spooled.collector.url, 'burnrate_collector_clickhouse_failing')).toBe(0);
  }, 150_000);

  it('table detached for 6 s and attached again: spool mode stores every acknowledged span and sets nothing aside', async () => {
    const spoolDir = join(dir, 'spool-detach');
    const spooled = await start('env_detach', ['--spool-dir', spoolDir]);
    const load = [sdkClient(spooled.url, { service: 'detach-sdk', spansPerSecond: 300 }), rawClient(spooled.url, { service: 'detach-raw', spansPerRequest: 50, pauseMs: 50 })];
    await sleep(1_500);
    const admin = connectClickhouse(spooled.config);
    try {
      await admin.command('DETACH TABLE spans');
      await sleep(3_000);
      const ready = await readyz(spooled.collector.url);
      await sleep(3_000);
      await admin.command('ATTACH TABLE spans');
      await sleep(2_000);
      await Promise.all(load.map((c) => c.stop()));
      const tally = await tallyStored(spooled.config, union(...load.map((c) => c.stats.acked)), 60_000);
      console.log(`fault: spans detached 6 s: acknowledged=${tally.acknowledged} stored=${tally.stored} missing=${tally.missing.length} duplicates=${tally.duplicates}`);
      expect(ready).toBe(503);
      expect(tally.missing).toEqual([]);
      expect(tally.acknowledged).toBeGreaterThan(1_000);
      expect(existsSync(join(spoolDir, 'rejected'))).toBe(false);
      expect(spooled.collector.output.join('')).toMatch(/ClickHouse refuses inserts \(environmental, .*\): Code 60 UNKNOWN_TABLE/);
    } finally {
      await admin.close();
    }
  }, 120_000);
});
