import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type LocalClickhouse } from '../../storage/local-clickhouse.ts';
import { startTestClickhouse } from '../support/engine.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.ts';
import { rawClient, sdkClient, tallyStored, union } from '../support/span-load.ts';

// Fault (a): ClickHouse is stopped for 60 s under sustained load, then restarted. With the disk
// spool the collector keeps acknowledging while ClickHouse is away; every acknowledged span must be
// stored once it is back. Its own private ClickHouse, since this test stops it.

const OUTAGE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

describe('fault: ClickHouse down for 60 s under load', () => {
  let dir: string;
  let clickhouse: LocalClickhouse;
  let config: ClickhouseConfig;
  let collector: CollectorProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-fault-outage-'));
    clickhouse = await startTestClickhouse(join(dir, 'clickhouse'));
    config = { url: clickhouse.url, username: 'default', password: '', database: 'faults' };
  }, 60_000);

  afterAll(async () => {
    await collector?.kill('SIGKILL');
    await clickhouse?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('stores every acknowledged span once ClickHouse is back', async () => {
    const port = await freePort();
    collector = await startCollectorProcess(config, port, ['--migrate', '--spool-dir', join(dir, 'spool'), '--flush-interval-ms', '200']);
    const url = `${collector.url}/v1/traces`;
    const sdk = [0, 1, 2].map((i) => sdkClient(url, { service: `outage-sdk-${i}`, spansPerSecond: 200 }));
    const raw = rawClient(url, { service: 'outage-raw', spansPerRequest: 50, pauseMs: 100 });
    await sleep(3_000);

    await clickhouse.stop();
    const ackedBefore = union(raw.stats.acked, ...sdk.map((c) => c.stats.acked)).size;
    await sleep(OUTAGE_MS / 2);
    const spooledMidOutage = await metric(collector.url, 'burnrate_collector_spool_bytes');
    await sleep(OUTAGE_MS / 2);
    const ackedDuringOutage = union(raw.stats.acked, ...sdk.map((c) => c.stats.acked)).size - ackedBefore;
    await clickhouse.start();

    await sleep(3_000);
    await Promise.all([raw.stop(), ...sdk.map((c) => c.stop())]);
    const acked = union(raw.stats.acked, ...sdk.map((c) => c.stats.acked));
    const tally = await tallyStored(config, acked, 60_000);
    console.log(
      `fault (a) ClickHouse down ${OUTAGE_MS / 1000} s: acknowledged=${tally.acknowledged} (during the outage ${ackedDuringOutage}) ` +
        `stored=${tally.stored} missing=${tally.missing.length} duplicates=${tally.duplicates} ` +
        `spool mid-outage=${spooledMidOutage} B raw statuses=${JSON.stringify(Object.fromEntries(raw.stats.statuses))} ` +
        `sdk=${JSON.stringify(sdk.map((c) => Object.fromEntries(c.stats.statuses)))}`,
    );
    expect(ackedDuringOutage).toBeGreaterThan(1_000);
    expect(spooledMidOutage).toBeGreaterThan(0);
    expect(tally.missing).toEqual([]);
    expect(collector.output.join('')).not.toMatch(/shutdown failed|internal error/);
  }, 150_000);
});
