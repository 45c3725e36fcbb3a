// A real local ClickHouse cluster for the `cluster` test project: one private ZooKeeper and
// clickhouse-server 18.16 processes (2 shards x 2 replicas by default) on free loopback ports, each
// with `remote_servers`, `macros` and `zookeeper` in its config. The embedded engine has no cluster,
// so this runs on Debian's server only.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../storage/local-clickhouse.ts';
import { startLocalClickhouse, type ServerClickhouse } from '../../storage/local-server.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';
import { startZookeeper, type LocalZookeeper } from './zookeeper.ts';

export interface ClusterNode {
  shard: number;
  replica: number;
  /** The `{replica}` macro: unique across the cluster (`s1r2`). */
  name: string;
  server: ServerClickhouse;
}

export interface LocalCluster {
  /** The name in `remote_servers` (what `--clickhouse-cluster` takes). */
  name: string;
  zookeeper: LocalZookeeper;
  nodes: ClusterNode[];
  /** Every node's HTTP URL, shard by shard. */
  urls: string[];
  node(shard: number, replica: number): ClusterNode;
  /** Cluster mode for `database`, connecting to `first` and failing over to the other nodes in order. */
  config(database: string, first?: ClusterNode): ClickhouseConfig;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  name?: string;
  shards?: number;
  replicas?: number;
  timezone?: string;
}

interface Ports {
  http: number;
  tcp: number;
  interserver: number;
}

function nodeConfigXml(cluster: string, ports: Ports[][], zk: LocalZookeeper, shard: number, replica: number): string {
  const shards = ports
    .map(
      (replicas) => `      <shard>
        <internal_replication>true</internal_replication>
${replicas.map((p) => `        <replica><host>127.0.0.1</host><port>${p.tcp}</port></replica>`).join('\n')}
      </shard>`,
    )
    .join('\n');
  const own = ports[shard - 1]![replica - 1]!;
  return `  <interserver_http_host>127.0.0.1</interserver_http_host>
  <interserver_http_port>${own.interserver}</interserver_http_port>
  <remote_servers>
    <${cluster}>
${shards}
    </${cluster}>
  </remote_servers>
  <zookeeper>
    <node><host>${zk.host}</host><port>${zk.port}</port></node>
    <session_timeout_ms>15000</session_timeout_ms>
  </zookeeper>
  <!-- Longer than the client's idle-socket time (2.5 s) even when this 2-core machine is loaded. -->
  <keep_alive_timeout>10</keep_alive_timeout>
  <!-- Merged-away parts (about 100 files each, thousands under load) go after 10 s, not 8 minutes:
       a test's data directory stays small enough to delete quickly. -->
  <merge_tree><old_parts_lifetime>10</old_parts_lifetime></merge_tree>
  <macros>
    <shard>${shard}</shard>
    <replica>s${shard}r${replica}</replica>
  </macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
`;
}

/** Resolves once the node reads ZooKeeper (its replicated tables and ON CLUSTER need it). */
async function waitForZookeeper(node: ClusterNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${node.server.url}/?query=${encodeURIComponent("SELECT count() FROM system.zookeeper WHERE path = '/'")}`);
      if (res.ok) return;
      last = await res.text();
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${node.name} (${node.server.url}) did not reach ZooKeeper within ${timeoutMs} ms: ${last.slice(0, 300)}`);
}

export async function startLocalCluster(dir: string, options: ClusterOptions = {}): Promise<LocalCluster> {
  const root = resolve(dir);
  const name = options.name ?? 'burnrate';
  const shardCount = options.shards ?? 2;
  const replicaCount = options.replicas ?? 2;
  const zookeeper = await startZookeeper(join(root, 'zookeeper'));
  const nodes: ClusterNode[] = [];
  try {
    // Every node lists every other one, so all ports are chosen before the first starts.
    const ports: Ports[][] = [];
    for (let s = 0; s < shardCount; s++) {
      const replicas: Ports[] = [];
      for (let r = 0; r < replicaCount; r++) replicas.push({ http: await freePort(), tcp: await freePort(), interserver: await freePort() });
      ports.push(replicas);
    }
    const starts: Promise<void>[] = [];
    for (let s = 1; s <= shardCount; s++) {
      for (let r = 1; r <= replicaCount; r++) {
        const nodeDir = join(root, `s${s}r${r}`);
        mkdirSync(nodeDir, { recursive: true });
        const p = ports[s - 1]![r - 1]!;
        starts.push(
          startLocalClickhouse({
            dir: nodeDir,
            httpPort: p.http,
            tcpPort: p.tcp,
            timezone: options.timezone,
            timeoutMs: 90_000,
            extraConfigXml: nodeConfigXml(name, ports, zookeeper, s, r),
          }).then((server) => {
            nodes.push({ shard: s, replica: r, name: `s${s}r${r}`, server });
          }),
        );
      }
    }
    const results = await Promise.allSettled(starts);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await Promise.all(nodes.map((n) => waitForZookeeper(n, 60_000)));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.server.kill()));
    await zookeeper.stop();
    throw err;
  }
  nodes.sort((a, b) => a.shard - b.shard || a.replica - b.replica);
  return {
    name,
    zookeeper,
    nodes,
    urls: nodes.map((n) => n.server.url),
    node(shard, replica) {
      const found = nodes.find((n) => n.shard === shard && n.replica === replica);
      if (!found) throw new Error(`no node s${shard}r${replica}`);
      return found;
    },
    config(database, first = nodes[0]) {
      const ordered = [first!, ...nodes.filter((n) => n !== first)];
      return { url: ordered.map((n) => n.server.url).join(','), username: 'default', password: '', database, cluster: name };
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.server.stop()));
      await zookeeper.stop();
    },
  };
}
