import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { clickhouseUrls } from '../../storage/config.ts';

// docker-compose.cluster.yml and the files it mounts (deploy/cluster/), checked without a Docker
// engine: Compose rules, the cluster's shape (2 shards x 2 replicas, Keeper), and that every burnrate
// service is in cluster mode with every node to fail over to. `docker-compose config -q` too when
// Debian's docker-compose is installed.

const ROOT = join(import.meta.dirname, '..', '..');
const FILE = 'docker-compose.cluster.yml';
const compose = parseYaml(readFileSync(join(ROOT, FILE), 'utf8'), { merge: true }) as Compose;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const clusterXml = read('deploy/cluster/clickhouse/cluster.xml');
const keeperXml = read('deploy/cluster/keeper/keeper.xml');
const nginxConf = read('deploy/cluster/nginx.conf');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  entrypoint?: string[];
  hostname?: string;
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  [key: string]: unknown;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const services = Object.entries(compose.services);
const service = (name: string) => compose.services[name]!;
const burnrate = services.filter(([, s]) => s.build !== undefined);
const SERVICE_KEYS = new Set(['image', 'build', 'command', 'entrypoint', 'environment', 'ports', 'volumes', 'depends_on', 'healthcheck', 'restart', 'ulimits', 'hostname']);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

/** The cluster in cluster.xml: its name and each shard's replica hosts. */
const cluster = (() => {
  const body = /<remote_servers>\s*<([\w.-]+)>([\s\S]*?)<\/\1>\s*<\/remote_servers>/.exec(clusterXml)!;
  const shards = [...body[2]!.matchAll(/<shard>([\s\S]*?)<\/shard>/g)].map((s) => ({
    internalReplication: /<internal_replication>true<\/internal_replication>/.test(s[1]!),
    replicas: [...s[1]!.matchAll(/<replica><host>([\w.-]+)<\/host><port>(\d+)<\/port>/g)].map((r) => ({ host: r[1]!, port: r[2]! })),
  }));
  return { name: body[1]!, shards };
})();
const nodes = cluster.shards.flatMap((s, i) => s.replicas.map((r) => ({ ...r, shard: String(i + 1) })));

describe(FILE, () => {
  it('uses only keys of the Compose specification and pins every image', () => {
    for (const [name, s] of services) {
      for (const key of Object.keys(s)) expect(SERVICE_KEYS.has(key), `${name}.${key}`).toBe(true);
      if (!s.build) expect(s.image, name).toMatch(/:\d+(\.\d+)+$/);
      for (const [k, v] of Object.entries(s.environment ?? {})) expect(typeof v === 'string', `${name}.environment.${k} must be a string`).toBe(true);
    }
  });

  it('runs 2 shards x 2 replicas of the current ClickHouse, each node with its shard and a cluster-wide unique replica name', () => {
    expect(cluster.shards.map((s) => s.replicas.length)).toEqual([2, 2]);
    expect(cluster.shards.every((s) => s.internalReplication)).toBe(true);
    for (const node of nodes) {
      const s = service(node.host);
      expect(s.image, node.host).toMatch(/^clickhouse\/clickhouse-server:(2[4-9]|[3-9]\d)\.\d+/);
      expect(s.hostname).toBe(node.host);
      expect(s.environment).toMatchObject({ SHARD: node.shard, REPLICA: node.host });
      expect(s.volumes).toContain('./deploy/cluster/clickhouse/cluster.xml:/etc/clickhouse-server/config.d/cluster.xml:ro');
      expect(s.healthcheck?.test.join(' '), 'healthy means it reaches Keeper').toContain('system.zookeeper');
      const data = s.volumes!.find((v) => v.endsWith(':/var/lib/clickhouse'))!;
      expect(Object.keys(compose.volumes ?? {})).toContain(data.split(':')[0]);
      expect(node.port).toBe('9000');
    }
    expect(new Set(nodes.map((n) => n.host)).size).toBe(4);
    // Macros and the interserver name come from each node's environment.
    expect(clusterXml).toMatch(/<macros>\s*<shard from_env="SHARD"\/>\s*<replica from_env="REPLICA"\/>\s*<\/macros>/);
    expect(clusterXml).toContain('<interserver_http_host from_env="REPLICA"/>');
    expect(clusterXml).toContain('<distributed_ddl>');
  });

  it('points every node at the Keeper service, which listens where they look', () => {
    const zk = /<zookeeper>\s*<node><host>([\w.-]+)<\/host><port>(\d+)<\/port><\/node>/.exec(clusterXml)!;
    const keeper = service(zk[1]!);
    expect(keeper.image).toBe(service(nodes[0]!.host).image);
    expect(keeper.entrypoint?.slice(0, 2)).toEqual(['clickhouse', 'keeper']);
    expect(keeperXml).toContain(`<tcp_port>${zk[2]}</tcp_port>`);
    expect(keeperXml).toContain(`<hostname>${zk[1]}</hostname>`);
    expect(keeper.healthcheck?.test.join(' ')).toContain(`/dev/tcp/127.0.0.1/${zk[2]}`);
    for (const node of nodes) expect(service(node.host).depends_on?.[zk[1]!]?.condition).toBe('service_healthy');
    // Inter-server queries log in as the burnrate user.
    expect(clusterXml.match(/<user from_env="CLICKHOUSE_USER"\/><password from_env="CLICKHOUSE_PASSWORD"\/>/g)).toHaveLength(4);
  });

  it('runs every burnrate service in cluster mode with every node to fail over to, starting from different nodes', () => {
    const firsts = new Set<string>();
    for (const [name, s] of burnrate.filter(([, x]) => x.environment?.CLICKHOUSE_URL)) {
      expect(s.environment!.CLICKHOUSE_CLUSTER, name).toBe(cluster.name);
      const hosts = clickhouseUrls(s.environment!.CLICKHOUSE_URL!).map((u) => new URL(u));
      expect(hosts.map((u) => u.hostname).sort(), name).toEqual(nodes.map((n) => n.host).sort());
      expect(hosts.every((u) => u.port === '8123')).toBe(true);
      if (name !== 'migrate') firsts.add(hosts[0]!.hostname);
    }
    expect(firsts.size, 'collectors and engines start from different nodes').toBe(4);
  });

  it('makes the schema once with migrate --cluster before anything else starts', () => {
    const migrate = service('migrate');
    expect(migrate.command).toEqual(['migrate', '--cluster', cluster.name]);
    expect(migrate.restart).toBe('no');
    for (const node of nodes) expect(migrate.depends_on?.[node.host]?.condition).toBe('service_healthy');
    for (const [name, s] of burnrate) {
      if (s.command![0] === 'collector' || s.command![0] === 'slo-engine') {
        expect(s.command, `${name} migrates nothing itself`).not.toContain('--migrate');
        expect(s.depends_on?.migrate?.condition, name).toBe('service_completed_successfully');
      }
    }
  });

  it('puts two collectors behind the load balancer, which publishes their ports; runs two SLO engines', () => {
    const collectors = burnrate.filter(([, s]) => s.command![0] === 'collector');
    expect(collectors).toHaveLength(2);
    expect(burnrate.filter(([, s]) => s.command![0] === 'slo-engine')).toHaveLength(2);
    for (const port of ['4318', '4317']) {
      const upstream = new RegExp(`upstream (\\w+) \\{([^}]*)\\}[\\s\\S]*listen ${port};\\s*proxy_pass \\1;`).exec(nginxConf);
      expect(upstream, `nginx listens on ${port}`).not.toBeNull();
      const servers = [...upstream![2]!.matchAll(/server ([\w.-]+):(\d+);/g)].map((m) => `${m[1]}:${m[2]}`);
      const flag = port === '4318' ? '--http-port' : '--grpc-port';
      expect(servers.sort()).toEqual(collectors.map(([name, s]) => `${name}:${s.command![s.command!.indexOf(flag) + 1]}`).sort());
    }
    const lb = services.find(([, s]) => s.volumes?.some((v) => v.startsWith('./deploy/cluster/nginx.conf:')))!;
    expect(lb[1].ports?.sort()).toEqual(['4317:4317', '4318:4318']);
    expect(service('demo').command).toContain(`http://${lb[0]}:4318`);
  });

  it('lets Grafana run the dashboards against a node, with IN / JOIN subqueries allowed over Distributed tables', () => {
    const g = service('grafana');
    expect(nodes.map((n) => n.host)).toContain(g.environment!.CLICKHOUSE_HOST);
    for (const m of read('dashboards/provisioning/datasources/clickhouse.yaml').matchAll(/\$\{(\w+)\}/g)) expect(g.environment).toHaveProperty(m[1]!);
    expect(read('deploy/cluster/clickhouse/profile.xml')).toMatch(/<default>\s*<distributed_product_mode>global<\/distributed_product_mode>/);
    for (const node of nodes) expect(service(node.host).volumes).toContain('./deploy/cluster/clickhouse/profile.xml:/etc/clickhouse-server/users.d/profile.xml:ro');
  });

  it('runs real CLI subcommands with flags they document', async () => {
    for (const [name, s] of burnrate) {
      const [subcommand, ...args] = s.command!;
      const { command } = (await import(`../../cli/commands/${subcommand}.ts`)) as { command: { usage: string } };
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(command.usage, `${name}: burnrate ${subcommand} ${flag}`).toContain(flag);
    }
  });

  it('depends only on existing services, mounts only existing paths and declared volumes', () => {
    const hasHealthcheck = (s: Service) => s.healthcheck !== undefined || s.build !== undefined;
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(CONDITIONS.has(condition)).toBe(true);
        if (condition === 'service_healthy') expect(hasHealthcheck(service(dep)), dep).toBe(true);
      }
      for (const v of s.volumes ?? []) {
        const [source] = v.split(':');
        if (source!.startsWith('.')) expect(existsSync(join(ROOT, source!)), `${name}: ${source}`).toBe(true);
        else expect(Object.keys(compose.volumes ?? {}), `${name}: ${source}`).toContain(source);
      }
    }
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  it.skipIf(dockerCompose.status !== 0)('passes docker-compose config -q', () => {
    const result = spawnSync('docker-compose', ['-f', join(ROOT, FILE), 'config', '-q'], { encoding: 'utf8', cwd: ROOT });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
