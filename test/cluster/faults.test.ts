import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalCluster } from '../support/cluster.ts';
import { startCollectorProcess, type CollectorProcess } from '../support/collector-process.ts';
import { rawClient, sdkClient, tallyStored, union, type Tally } from '../support/span-load.ts';
import { connectClickhouse, ensureDatabase } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { freePort } from '../../storage/local-clickhouse.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';

// Faults on a real 2 shards x 2 replicas cluster under load from real SDK exporters and raw clients,
// through two collector processes (memory mode: a 200 means the rows are on their shard), each
// given every node's URL, starting from a different node.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function report(fault: string, tally: Tally, extra: string): void {
  console.log(`cluster fault "${fault}": acknowledged=${tally.acknowledged} stored=${tally.stored} missing=${tally.missing.length} duplicates=${tally.duplicates} ${extra}`);
}

describe('cluster mode under faults: a replica killed, a whole shard down', () => {
  let dir: string;
  let cluster: LocalCluster;
  let collectors: CollectorProcess[] = [];
  // One database per fault, so each tally counts its own spans.
  const databases = ['replica_killed', 'shard_down'];

  let failed = false;
  afterEach(({ task }) => {
    failed ||= task.result?.state === 'fail';
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-cluster-faults-'));
    cluster = await startLocalCluster(join(dir, 'cluster'), { timezone: inject('clickhouseTimezone') });
    for (const database of databases) {
      await ensureDatabase(cluster.config(database));
      const ch = connectClickhouse(cluster.config(database));
      await migrate(ch);
      await ch.close();
    }
  });

  afterAll(async () => {
    await stopCollectors();
    await cluster?.stop();
    if (failed) console.log(`cluster and collector logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  async function stopCollectors(): Promise<void> {
    await Promise.all(collectors.map((c) => c.kill('SIGKILL')));
    for (const [i, c] of collectors.entries()) writeFileSync(join(dir, `collector-${Date.now()}-${i}.log`), c.output.join(''));
    collectors = [];
  }

  /** Two collectors: one starting at shard 1's first replica, one at shard 2's second. */
  async function startCollectors(database: string): Promise<CollectorProcess[]> {
    const firsts = [cluster.node(1, 1), cluster.node(2, 2)];
    collectors = await Promise.all(
      firsts.map(async (first) => {
        const config: ClickhouseConfig = cluster.config(database, first);
        return startCollectorProcess(config, await freePort(), ['--flush-interval-ms', '200', '--retry-max-elapsed-ms', '3000'], { env: { CLICKHOUSE_CLUSTER: cluster.name } });
      }),
    );
    return collectors;
  }

  function startLoad(urls: string[]) {
    const clients = urls.flatMap((url, i) => [
      sdkClient(`${url}/v1/traces`, { service: `cluster-sdk-${i}`, spansPerSecond: 150 }),
      rawClient(`${url}/v1/traces`, { service: `cluster-raw-${i}`, spansPerRequest: 50, pauseMs: 100 }),
    ]);
    return {
      clients,
      acked: () => union(...clients.map((c) => c.stats.acked)),
      /** Spans acknowledged by the collector at `urls[i]`. */
      ackedVia: (i: number) => union(...clients.slice(2 * i, 2 * i + 2).map((c) => c.stats.acked)).size,
      stop: () => Promise.all(clients.map((c) => c.stop())),
    };
  }

  it('one replica killed under load: ingest continues and every acknowledged span is stored', async () => {
    const database = databases[0]!;
    const [a, b] = await startCollectors(database);
    const load = startLoad([a!.url, b!.url]);
    await sleep(4_000);
    // Shard 1's first replica: where every shard-1 insert goes, and collector A's first endpoint.
    const victim = cluster.node(1, 1);
    const before = load.acked().size;
    const beforeViaA = load.ackedVia(0);
    await victim.server.kill();
    await sleep(12_000);
    const during = load.acked().size - before;
    const duringViaA = load.ackedVia(0) - beforeViaA;
    const readableWhileDown = await tallyStored(cluster.config(database, cluster.node(2, 1)), load.acked(), 1);
    await victim.server.start();
    await sleep(4_000);
    await load.stop();
    const tally = await tallyStored(cluster.config(database), load.acked(), 90_000);
    const statuses = load.clients.map((c) => Object.fromEntries(c.stats.statuses));
    report('replica s1r1 killed for 12 s', tally, `(acknowledged while it was down: ${during}, ${duringViaA} of them by the collector whose first endpoint it was; not yet readable while it was down: ${readableWhileDown.missing.length}) statuses=${JSON.stringify(statuses)}`);
    expect(during, 'ingest continued').toBeGreaterThan(500);
    expect(duringViaA, 'the collector whose first URL is the killed node moved to the next').toBeGreaterThan(200);
    expect(tally.missing).toEqual([]);
    expect(statuses.every((s) => s['400'] === undefined), 'nothing refused').toBe(true);
    await stopCollectors();
  }, 200_000);

  it('a whole shard down: 503 with Retry-After while it is down, every acknowledged span stored once it is back', async () => {
    const database = databases[1]!;
    const [a, b] = await startCollectors(database);
    const load = startLoad([a!.url, b!.url]);
    await sleep(4_000);
    const shard2 = [cluster.node(2, 1), cluster.node(2, 2)];
    const before = load.acked().size;
    await Promise.all(shard2.map((n) => n.server.kill()));
    await sleep(12_000);
    const readyz = await fetch(`${a!.url}/readyz`);
    const ackedWhileDown = load.acked().size - before;
    const retryAfterSeen = load.clients.flatMap((c) => c.stats.retryAfter);
    await Promise.all(shard2.map((n) => n.server.start()));
    const back = load.acked().size;
    await sleep(8_000);
    const afterRecovery = load.acked().size - back;
    await load.stop();
    const tally = await tallyStored(cluster.config(database), load.acked(), 90_000);
    const statuses = load.clients.map((c) => Object.fromEntries(c.stats.statuses));
    report('shard 2 (both replicas) down for 12 s', tally, `(acknowledged while down: ${ackedWhileDown}, after recovery: ${afterRecovery}; /readyz while down: ${readyz.status}) statuses=${JSON.stringify(statuses)}`);
    expect(statuses.some((s) => (s['503'] ?? 0) > 0), 'raw clients got 503').toBe(true);
    expect(retryAfterSeen.length).toBeGreaterThan(0);
    expect(retryAfterSeen.every((v) => /^\d+$/.test(v)), `Retry-After values: ${retryAfterSeen.join(',')}`).toBe(true);
    expect(readyz.status).toBe(503);
    expect(afterRecovery, 'ingest recovered').toBeGreaterThan(500);
    expect(tally.missing).toEqual([]);
    expect(statuses.every((s) => s['400'] === undefined), 'nothing refused').toBe(true);
    await stopCollectors();
  }, 200_000);
});
