import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type ClusterNode, type LocalCluster } from '../support/cluster.ts';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { ALL_MIGRATIONS } from '../../storage/migrations/index.ts';
import type { Migration } from '../../storage/migrations/types.ts';
import { alter } from '../../storage/cluster/ddl.ts';
import { MIGRATION_LOCK_TABLE, releaseStatement } from '../../storage/cluster/migration-lock.ts';
import { applyRetention } from '../../storage/retention.ts';
import { partitionState, settleDays } from '../../slo-engine/sli/partitions.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';

// Cluster mode's schema on a real 2 shards x 2 replicas cluster (ZooKeeper + four clickhouse-server
// 18.16): migrations from two migrators at once, the tables on every node, retention on every shard,
// and the SLO engine's part listing across shards.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ROOT = join(import.meta.dirname, '..', '..');

/** `node bin/burnrate.js ARGS`: exit code and output. */
async function burnrate(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/burnrate.js', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('cluster mode: schema, retention and part listing on a 2x2 cluster', () => {
  let dir: string;
  let cluster: LocalCluster;
  const open: Clickhouse[] = [];
  /** Cluster mode through `first` (and the other nodes after it). */
  const clusterClient = (database: string, first?: ClusterNode) => {
    const ch = connectClickhouse(cluster.config(database, first));
    open.push(ch);
    return ch;
  };
  /** One node alone, as a plain server: what is stored on that node. */
  const nodeClient = (node: ClusterNode, database: string) => {
    const ch = connectClickhouse({ url: node.server.url, username: 'default', password: '', database });
    open.push(ch);
    return ch;
  };
  const migrated = async (database: string) => {
    await ensureDatabase(cluster.config(database));
    const ch = clusterClient(database);
    await migrate(ch);
    return ch;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-cluster-schema-'));
    cluster = await startLocalCluster(join(dir, 'cluster'), { timezone: inject('clickhouseTimezone') });
  });

  let failed = false;
  afterEach(({ task }) => {
    failed ||= task.result?.state === 'fail';
  });
  afterAll(async () => {
    await Promise.all(open.map((ch) => ch.close().catch(() => {})));
    await cluster?.stop();
    // The nodes' logs explain a failure: kept then.
    if (failed) console.log(`cluster logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('two migrators started at once apply every step once, and every node gets every table', async () => {
    const database = 'migrations';
    await ensureDatabase(cluster.config(database));
    // The real migrations and one step that fails when it runs twice (ADD COLUMN without IF NOT EXISTS),
    // which also recreates the Distributed table over the changed local one.
    const migrations: Migration[] = [...ALL_MIGRATIONS, { version: 9001, name: 'probe column', up: () => [alter(TABLES.spans, 'ADD COLUMN probe String')] }];
    const lines: string[] = [];
    const [a, b] = await Promise.all([
      migrate(clusterClient(database, cluster.node(1, 1)), migrations, (l) => lines.push(`A ${l}`)),
      migrate(clusterClient(database, cluster.node(2, 2)), migrations, (l) => lines.push(`B ${l}`)),
    ]);
    const versions = migrations.map((m) => m.version).sort((x, y) => x - y);
    // One of them held the lock and applied everything; the other waited and found it done.
    expect([a.applied, b.applied].sort((x, y) => y.length - x.length)).toEqual([versions, []]);
    expect([a.alreadyApplied, b.alreadyApplied].sort((x, y) => x.length - y.length)).toEqual([[], versions]);
    expect(lines.some((l) => l.includes('waiting for another migrator'))).toBe(true);

    const names = Object.values(TABLES).filter((t) => t !== TABLES.migrations);
    for (const node of cluster.nodes) {
      const ch = nodeClient(node, database);
      const recorded = await ch.query<{ version: number; n: string }>('SELECT version, count() AS n FROM schema_migrations GROUP BY version ORDER BY version');
      expect(recorded.map((r) => [Number(r.version), Number(r.n)]), node.name).toEqual(versions.map((v) => [v, 1]));
      const tables = await ch.query<{ name: string; engine: string }>(sql`SELECT name, engine FROM system.tables WHERE database = ${database}`);
      const engine = new Map(tables.map((t) => [t.name, t.engine]));
      for (const t of names) {
        expect(engine.get(t), `${node.name} ${t}`).toBe('Distributed');
        expect(engine.get(`${t}_local`), `${node.name} ${t}_local`).toMatch(/^Replicated(Replacing|Aggregating)?MergeTree$/);
      }
      expect(engine.get(MIGRATION_LOCK_TABLE), 'the lock is released').toBeUndefined();
      // Documented ZooKeeper paths: one per shard and table, one replica per node.
      const replicas = await ch.query<{ table: string; zookeeper_path: string; replica_name: string }>(
        sql`SELECT table, zookeeper_path, replica_name FROM system.replicas WHERE database = ${database} AND table = 'spans_local'`,
      );
      expect(replicas).toEqual([{ table: 'spans_local', zookeeper_path: `/clickhouse/${cluster.name}/tables/${node.shard}/${database}/spans_local`, replica_name: node.name }]);
      const columns = await ch.query<{ table: string }>(sql`SELECT table FROM system.columns WHERE database = ${database} AND name = 'probe' ORDER BY table`);
      expect(columns.map((c) => c.table), node.name).toEqual(['spans', 'spans_local']);
    }
  });

  it('`burnrate migrate --cluster NAME` creates the schema on the cluster; an unknown cluster name is refused with the known ones', async () => {
    const env = { CLICKHOUSE_URL: cluster.urls.join(','), CLICKHOUSE_DATABASE: 'cli' };
    const first = await burnrate(['migrate', '--cluster', cluster.name], env);
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/database cli on cluster burnrate: \d+ migration\(s\) applied, 0 already applied/);
    const again = await burnrate(['migrate', '--clickhouse-cluster', cluster.name], env);
    expect(again.out).toMatch(/database cli on cluster burnrate: 0 migration\(s\) applied/);
    const wrong = await burnrate(['migrate', '--cluster', 'nope'], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain('cluster "nope" is not in the remote_servers of');
    expect(wrong.out).toContain('burnrate');
  });

  it('a migrator waits for a held lock, then names its holder and the statement that removes it', async () => {
    const database = 'locked';
    const ch = await migrated(database);
    await ch.command(`CREATE TABLE ${database}.${MIGRATION_LOCK_TABLE} ON CLUSTER ${cluster.name} (owner String DEFAULT 'crashed-host pid 1', since String DEFAULT '2026-01-01 00:00:00 UTC') ENGINE = Log`);
    const started = Date.now();
    await expect(migrate(clusterClient(database, cluster.node(2, 1)), undefined, () => {}, { lockWaitMs: 2_000 })).rejects.toThrow(
      /another migrator holds the lock of cluster burnrate \(crashed-host pid 1 since 2026-01-01 00:00:00 UTC\).*DROP TABLE IF EXISTS `locked`\.`schema_migrations_lock` ON CLUSTER `burnrate`/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    await ch.command(releaseStatement(ch, cluster.name));
    expect((await migrate(ch)).applied).toEqual([]);
  });

  it('an insert through the Distributed tables returns once every shard has its rows: all of them are readable at once', async () => {
    const ch = await migrated('sync_insert');
    for (let round = 0; round < 5; round++) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ timestamp: '2026-03-10 10:00:00', trace_id: `r${round}-${i}`, span_id: `${i}`, service_name: 'sync' }));
      await ch.insertJson(TABLES.spans, rows);
      const [row] = await ch.query<{ n: string }>("SELECT toString(count()) AS n FROM spans WHERE service_name = 'sync'");
      expect(row!.n, `round ${round}`).toBe(String(1000 * (round + 1)));
    }
  });

  it('retention drops old day partitions on every shard and keeps the kept days', async () => {
    const database = 'retention';
    const ch = await migrated(database);
    const now = new Date('2026-03-10T12:00:00Z');
    // 40 traces on an old day and 40 on the kept day: sharded by trace id, both shards get both days.
    const spans = (day: string, tag: string) =>
      Array.from({ length: 40 }, (_, i) => ({ timestamp: `${day} 10:00:00`, trace_id: `${tag}-${i}`, span_id: `${tag}-${i}`, service_name: tag }));
    await ch.insertJson(TABLES.spans, [...spans('2026-03-01', 'old'), ...spans('2026-03-10', 'new')]);
    await ch.insertJson(TABLES.logs, [{ timestamp: '2026-03-01 10:00:00', service_name: 'old', trace_id: 'old-0', body: 'x' }]);
    const perNode = async (node: ClusterNode) => {
      const rows = await nodeClient(node, database).query<{ service_name: string; n: string }>(
        'SELECT service_name, count() AS n FROM spans_local GROUP BY service_name ORDER BY service_name',
      );
      return Object.fromEntries(rows.map((r) => [r.service_name, Number(r.n)]));
    };
    const firstReplicas = [cluster.node(1, 1), cluster.node(2, 1)];
    const before = await Promise.all(firstReplicas.map(perNode));
    for (const counts of before) expect(counts.old, 'each shard holds old rows').toBeGreaterThan(0);
    expect(before.reduce((s, c) => s + c.old!, 0)).toBe(40);

    const result = await applyRetention(ch, 3, { now });
    expect(result.failed).toEqual([]);
    expect(result.dropped).toContainEqual({ table: TABLES.spans, partition: '20260301' });
    expect(result.dropped).toContainEqual({ table: TABLES.logs, partition: '20260301' });
    expect(result.dropped.some((d) => d.partition === '20260310')).toBe(false);
    // Every replica of every shard, once replication has caught up.
    for (const node of cluster.nodes) {
      const shardBefore = before[node.shard - 1]!;
      let after: Record<string, number> = {};
      for (let i = 0; i < 100; i++) {
        after = await perNode(node);
        if (after.old === undefined && after.new === shardBefore.new) break;
        await sleep(100);
      }
      expect(after, node.name).toEqual({ new: shardBefore.new });
    }
    expect(await ch.query('SELECT 1 FROM logs')).toEqual([]);
  });

  it("the SLO engine's part listing counts parts per shard, for minutes and hourly sums, and settling merges them on every shard", async () => {
    const database = 'parts';
    const ch = await migrated(database);
    // Two SLO ids that land on different shards.
    const ids: string[] = [];
    const shards = new Set<string>();
    for (let i = 0; ids.length < 2; i++) {
      const [row] = await ch.query<{ s: string }>(sql`SELECT toString(cityHash64(${`slo-${i}`}) % 2) AS s`);
      if (!shards.has(row!.s)) {
        shards.add(row!.s);
        ids.push(`slo-${i}`);
      }
    }
    const minute = (day: number) => Date.UTC(2026, 0, day, 12) / 1000;
    const row = (id: string, version: number) => ({ slo_id: id, sli_hash: 'h', minute: minute(5), good: 1, total: 1, version });
    const hourRow = (id: string, version: number) => ({ slo_id: id, sli_hash: 'h', hour: minute(6), good: 1, total: 1, first_minute: minute(6), version });
    // One part per shard for that day: summed without FINAL, although the cluster holds two parts.
    for (const id of ids) {
      await ch.insertJson(TABLES.sloSli1m, [row(id, 1)]);
      await ch.insertJson(TABLES.sloSli1h, [hourRow(id, 1)]);
    }
    expect((await partitionState(ch)).dirty).toEqual({ [TABLES.sloSli1m]: [], [TABLES.sloSli1h]: [] });
    // A second version on one shard: that day needs FINAL.
    await ch.insertJson(TABLES.sloSli1m, [row(ids[1]!, 2)]);
    await ch.insertJson(TABLES.sloSli1h, [hourRow(ids[0]!, 2)]);
    expect((await partitionState(ch)).dirty).toEqual({ [TABLES.sloSli1m]: [[minute(5), minute(5) + 60]], [TABLES.sloSli1h]: [[minute(6), minute(6) + 3600]] });
    // One partition per table.
    expect(await settleDays(ch, minute(10), 0)).toBe(2);
    let state = await partitionState(ch);
    for (let i = 0; i < 100 && state.dirtyIds.size > 0; i++) {
      await sleep(100);
      state = await partitionState(ch);
    }
    expect(state.dirtyIds.size).toBe(0);
    for (const table of [TABLES.sloSli1m, TABLES.sloSli1h]) {
      const [sums] = await ch.query<{ good: string; n: string }>(sql`SELECT toString(sum(good)) AS good, toString(count()) AS n FROM ${ident(table)}`);
      expect(sums, table).toEqual({ good: '2', n: '2' });
    }
  });
});
