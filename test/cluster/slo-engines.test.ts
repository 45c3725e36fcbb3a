import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type ClusterNode, type LocalCluster } from '../support/cluster.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { sql } from '../../storage/sql.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { createDeliverer, type DeliveryOutcome } from '../../slo-engine/notify/deliverer.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { sloFromYaml } from '../unit/slo-fixtures.ts';

// Several SLO engines on a cluster, each talking to a different node. They coordinate through
// claims and alert states in replicated tables, and must read what another engine wrote a moment
// before even where replication lags: here the second replica of every shard does not replicate at
// all (SYSTEM STOP FETCHES), and both engines are connected to such a stale node.

const T = Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 2 * 86_400 + 12 * 3600;
const slo = sloFromYaml('id: cluster-page\nservice: shop\nobjective: 99\nperiod: 30d\nsli: { kind: availability }\nalerting: { ingestDelay: 0s, minEvents: 100 }\n');

describe('SLO engines on different nodes of a cluster', () => {
  let dir: string;
  let cluster: LocalCluster;
  let sink: Receiver;
  const open: Clickhouse[] = [];
  const database = 'engines';
  const stale = () => [cluster.node(1, 2), cluster.node(2, 2)];
  const nodeClient = (node: ClusterNode) => {
    const ch = connectClickhouse({ url: node.server.url, username: 'default', password: '', database });
    open.push(ch);
    return ch;
  };

  let failed = false;
  afterEach(({ task }) => {
    failed ||= task.result?.state === 'fail';
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-cluster-engines-'));
    cluster = await startLocalCluster(join(dir, 'cluster'), { timezone: inject('clickhouseTimezone') });
    await ensureDatabase(cluster.config(database));
    const ch = connectClickhouse(cluster.config(database));
    open.push(ch);
    await migrate(ch);
    // The second replicas stop replicating before anything is written: they hold nothing.
    for (const node of stale()) {
      const tables = await nodeClient(node).query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${database} AND engine LIKE 'Replicated%'`);
      for (const { name } of tables) await nodeClient(node).command(`SYSTEM STOP FETCHES ${database}.${name}`);
    }
    // 200 spans a minute for the hour before T and two minutes after, half of them errors: the page fires.
    await ch.command(sql`INSERT INTO spans (timestamp, trace_id, span_id, name, kind, status_code, service_name, http_route, http_status_code, duration_ns)
      SELECT toDateTime(${T - 3600} + intDiv(number, 200) * 60 + 1), toString(number), toString(number), 'GET /', 2, if(number % 200 < 100, 2, 1), 'shop', '/', 200, 1000000
      FROM numbers(${62 * 200})`);
    sink = await startReceiver();
  });

  afterAll(async () => {
    await sink?.close();
    await Promise.all(open.map((ch) => ch.close().catch(() => {})));
    await cluster?.stop();
    if (failed) console.log(`cluster logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  function engineOn(node: ClusterNode, replicaId: string) {
    const ch = connectClickhouse(cluster.config(database, node));
    open.push(ch);
    const { router } = buildRouter([slo], { SLACK_WEBHOOK_URL: `${sink.url}/slack` });
    const time = { now: T + 5 };
    const clock = () => time.now * 1000;
    const outcomes: DeliveryOutcome[] = [];
    const engine = createEngine({ ch, slos: [slo], router, clock, replicaId });
    const deliverer = createDeliverer({ ch, router, clock, replicaId, settleMs: 1100, timeoutMs: 5000, onOutcome: (o) => outcomes.push(o) });
    return { engine, deliverer, time, outcomes };
  }

  it('see the same counts, and send a page once, through nodes whose replicas are stale', async () => {
    // The stale nodes hold no spans at all; the engines connected to them must not read them.
    for (const node of stale()) expect(await nodeClient(node).query('SELECT 1 FROM spans_local LIMIT 1'), node.name).toEqual([]);
    const a = engineOn(cluster.node(1, 2), 'engine-a');
    const b = engineOn(cluster.node(2, 2), 'engine-b');
    const [ta, tb] = await Promise.all([a.engine.tick(), b.engine.tick()]);
    for (const t of [ta, tb]) {
      const burn = Object.fromEntries(t.results[0]!.evaluation!.windows.map((w) => [w.seconds, w.burnRate]));
      expect(burn[300]).toBe(50); // half of the minute's requests fail: 50% / 1% budget
    }
    // Each engine fires the page, unless the other one's tick ended before it read the alert states
    // (then it reads the page as firing already): one or both report it, never anything else.
    const transitions = [ta, tb].map((t) => t.transitions.map((x) => `${x.kind} ${x.status}`));
    expect(transitions.flat()).toContain('page firing');
    for (const seen of transitions) expect([[], ['page firing']]).toContainEqual(seen);
    await Promise.all([a.deliverer.poll(), b.deliverer.poll()]);
    a.time.now += 600;
    b.time.now += 600;
    await Promise.all([a.deliverer.poll(), b.deliverer.poll()]);
    expect(sink.received.map((r) => r.path)).toEqual(['/slack']);
    expect([...a.outcomes, ...b.outcomes].map((o) => o.outcome)).toEqual(['sent']);
  });
});
