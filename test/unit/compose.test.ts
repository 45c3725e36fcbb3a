import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';

// docker-compose.yml and the Dockerfile, checked without a Docker engine: the Compose rules that
// matter for this file, plus what only this repository can know (commands, flags, paths, ports).
// When Debian's `docker-compose` is installed, its own `config -q` validation runs as well.

const ROOT = join(import.meta.dirname, '..', '..');
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const compose = parseYaml(composeText, { merge: true }) as Compose;
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  [key: string]: unknown;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

const services = Object.entries(compose.services);
const byName = (name: string) => compose.services[name]!;
const burnrateServices = services.filter(([, s]) => s.build !== undefined);

// Keys of the Compose specification's service definition that this file may use.
const SERVICE_KEYS = new Set(['image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'volumes', 'depends_on', 'healthcheck', 'restart', 'ulimits', 'user', 'networks', 'expose', 'labels', 'profiles', 'working_dir', 'stop_grace_period', 'logging']);
const RESTART = new Set(['no', 'always', 'on-failure', 'unless-stopped']);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);
const PORT = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/;

/** Subcommands registered in cli/main.ts. */
const CLI_COMMANDS = [...readFileSync(join(ROOT, 'cli/main.ts'), 'utf8').matchAll(/^\s+'?([\w-]+)'?: \(\) => import\('\.\/commands\/([\w-]+)\.ts'\)/gm)].map((m) => ({ name: m[1]!, file: m[2]! }));

async function usageOf(subcommand: string): Promise<string> {
  const entry = CLI_COMMANDS.find((c) => c.name === subcommand);
  if (!entry) throw new Error(`burnrate ${subcommand} is not a CLI command`);
  const { command } = (await import(`../../cli/commands/${entry.file}.ts`)) as { command: { usage: string } };
  return command.usage;
}

/** The default of a flag as its usage text states it: "--http-port ... (default 4318)" or "[--port 9464]". */
const defaultOf = (usage: string, flag: string) =>
  (new RegExp(`${flag}\\b[^\\n]*\\(default (\\d+)`).exec(usage) ?? new RegExp(`\\[${flag} (\\d+)\\]`).exec(usage))?.[1];

describe('docker-compose.yml', () => {
  it('uses only top-level keys and service keys of the Compose specification', () => {
    for (const key of Object.keys(compose)) expect(['services', 'volumes', 'networks', 'configs', 'secrets'].includes(key) || key.startsWith('x-'), key).toBe(true);
    for (const [name, s] of services) {
      for (const key of Object.keys(s)) expect(SERVICE_KEYS.has(key), `${name}.${key}`).toBe(true);
      expect(s.image !== undefined || s.build !== undefined, `${name} needs image or build`).toBe(true);
      if (s.restart) expect(RESTART.has(s.restart as string), `${name}.restart`).toBe(true);
      for (const p of s.ports ?? []) expect(p, `${name} port`).toMatch(PORT);
      for (const [k, v] of Object.entries(s.environment ?? {})) expect(typeof v === 'string' || typeof v === 'number', `${name}.environment.${k} must be a string`).toBe(true);
    }
  });

  it('runs the five services of the stack', () => {
    for (const name of ['clickhouse', 'grafana', 'collector', 'slo-engine', 'demo']) expect(compose.services[name], name).toBeDefined();
  });

  it('depends only on existing services, waiting for health only where there is a healthcheck', () => {
    const hasHealthcheck = (s: Service) => s.healthcheck !== undefined || (s.build !== undefined && /^HEALTHCHECK /m.test(dockerfile));
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        expect(CONDITIONS.has(condition), `${name} -> ${dep}: ${condition}`).toBe(true);
        if (condition === 'service_healthy') expect(hasHealthcheck(byName(dep)), `${dep} has no healthcheck`).toBe(true);
      }
    }
  });

  it('pins every image to a version', () => {
    for (const [name, s] of services) {
      if (!s.image || s.build) continue;
      expect(s.image, name).toMatch(/:\d+(\.\d+)+$/);
    }
    expect(byName('clickhouse').image).toMatch(/^clickhouse\/clickhouse-server:\d+\.\d+/);
    expect(byName('grafana').image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    // GF_PLUGINS_PREINSTALL_SYNC takes id@version; GF_INSTALL_PLUGINS takes "id version" and would
    // read "grafana-clickhouse-datasource@4.20.0" as a plugin id that does not exist.
    expect(byName('grafana').environment!.GF_PLUGINS_PREINSTALL_SYNC).toMatch(/^grafana-clickhouse-datasource@\d+\.\d+\.\d+$/);
    expect(byName('grafana').environment).not.toHaveProperty('GF_INSTALL_PLUGINS');
  });

  it('keeps ClickHouse data in a declared named volume and checks its health', () => {
    const ch = byName('clickhouse');
    expect(ch.healthcheck?.test.length).toBeGreaterThan(0);
    const data = ch.volumes!.find((v) => v.split(':')[1] === '/var/lib/clickhouse');
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.split(':')[0]);
  });

  it('declares every named volume it mounts, and every mounted repo path exists', () => {
    for (const [name, s] of services) {
      for (const v of s.volumes ?? []) {
        const [source] = v.split(':');
        if (source!.startsWith('.') || source!.startsWith('/')) expect(existsSync(join(ROOT, source!)), `${name}: ${source} missing`).toBe(true);
        else expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${source}`).toContain(source);
      }
    }
  });

  it('gives Grafana the provisioning read-only, the dashboards, and ClickHouse healthy first', () => {
    const g = byName('grafana');
    expect(g.volumes).toContain('./dashboards/provisioning:/etc/grafana/provisioning:ro');
    const dashboards = g.volumes!.find((v) => v.startsWith('./dashboards/json:'))!;
    expect(dashboards.split(':')[1]).toBe(g.environment!.BURNRATE_DASHBOARDS_DIR);
    expect(g.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!.startsWith(g.environment!.BURNRATE_DASHBOARDS_DIR!)).toBe(true);
    expect(existsSync(join(ROOT, 'dashboards/json', g.environment!.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!.split('/').pop()!))).toBe(true);
    expect(g.depends_on?.clickhouse?.condition).toBe('service_healthy');
    // Every ${VAR} the provisioning files read is set on the Grafana service.
    for (const file of ['dashboards/provisioning/datasources/clickhouse.yaml', 'dashboards/provisioning/dashboards/burnrate.yaml']) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\$\{(\w+)\}/g)) expect(g.environment, `${file}: ${m[1]}`).toHaveProperty(m[1]!);
    }
  });

  it('runs real CLI subcommands with flags they document', async () => {
    expect(burnrateServices.length).toBeGreaterThanOrEqual(3);
    for (const [name, s] of burnrateServices) {
      const [subcommand, ...args] = s.command!;
      const usage = await usageOf(subcommand!);
      for (const flag of args.filter((a) => a.startsWith('--'))) expect(usage, `${name}: burnrate ${subcommand} ${flag}`).toContain(flag);
    }
  });

  it('publishes the ports the CLI listens on by default', async () => {
    const published = (s: Service) => (s.ports ?? []).map((p) => PORT.exec(p)![3]);
    const collector = await usageOf('collector');
    expect(published(byName('collector')).sort()).toEqual([defaultOf(collector, '--grpc-port'), defaultOf(collector, '--http-port')].sort());
    expect(published(byName('demo'))).toEqual([defaultOf(await usageOf('demo'), '--port')]);
    expect(published(byName('slo-engine'))).toEqual([defaultOf(await usageOf('slo-engine'), '--port')]);
    // ... and the command line agrees with the published port where it names one.
    for (const [name, s] of burnrateServices) {
      const cmd = s.command!;
      for (const flag of ['--port', '--http-port', '--grpc-port']) {
        const i = cmd.indexOf(flag);
        if (i >= 0) expect(published(s), `${name} ${flag}`).toContain(cmd[i + 1]);
      }
    }
  });

  it('sends the demo to the collector and the health checks to ports the services listen on', () => {
    expect(byName('demo').command).toContain('http://collector:4318');
    for (const [name, s] of burnrateServices) {
      const port = /:(\d+)\//.exec(s.environment!.BURNRATE_HEALTH_URL!)?.[1];
      expect(published(s), `${name} health check port`).toContain(port);
    }
    function published(s: Service) {
      return (s.ports ?? []).map((p) => PORT.exec(p)![3]);
    }
  });

  it('mounts the example SLOs into the SLO engine and passes the alert destinations from the environment', () => {
    const e = byName('slo-engine');
    const mount = e.volumes!.find((v) => v.startsWith('./examples/slos:'))!;
    expect(e.command).toContain(mount.split(':')[1]);
    expect(e.environment!.SLACK_WEBHOOK_URL).toMatch(/^\$\{SLACK_WEBHOOK_URL/);
    expect(e.environment!.WEBHOOK_URL).toMatch(/^\$\{WEBHOOK_URL/);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  it.skipIf(dockerCompose.status !== 0)('passes docker-compose config -q', () => {
    const result = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', cwd: ROOT });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

/** Top-level folders reached by relative imports from the given folders, transitively. */
function importedTopLevelFolders(start: string[]): Set<string> {
  const seen = new Set<string>(start);
  const queue = [...start];
  while (queue.length) {
    const dir = queue.pop()!;
    for (const file of readdirSync(join(ROOT, dir), { recursive: true }) as string[]) {
      if (!/\.(ts|js)$/.test(file)) continue;
      const text = readFileSync(join(ROOT, dir, file), 'utf8');
      for (const m of text.matchAll(/(?:from |import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = relative(ROOT, resolve(join(ROOT, dir, dirname(file)), m[1]!)).split(sep)[0]!;
        if (target && !target.startsWith('..') && !target.includes('.') && !seen.has(target) && target !== 'node_modules') {
          seen.add(target);
          queue.push(target);
        }
      }
    }
  }
  return seen;
}

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const final = stages.at(-1)!;

  it('is multi-stage on a pinned Node 20 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^node:20[\w.-]*-(bookworm|bullseye)-slim\b/);
  });

  it('installs production dependencies only in the runtime stage, from the lock file', () => {
    expect(final).toMatch(/npm ci --omit=dev/);
    expect(final).toContain('COPY package.json package-lock.json ./');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
    // The embedded ClickHouse (~550 MB) is for npm start and the tests, never in the image.
    expect(Object.keys(pkg.dependencies)).not.toContain('chdb');
    expect(Object.keys(pkg.devDependencies)).toContain('chdb');
  });

  it('runs as a non-root user with a healthcheck and the CLI as entrypoint', () => {
    expect(final).toMatch(/^USER (?!root\b|0\b)\w+/m);
    expect(final).toMatch(/^HEALTHCHECK /m);
    expect(final).toContain('ENTRYPOINT ["node", "bin/burnrate.js"]');
  });

  it('copies only paths that exist, and everything the CLI imports', () => {
    const copied = [...final.matchAll(/^COPY --from=\w+ \/app\/([\w.-]+) /gm)].map((m) => m[1]!);
    for (const p of copied) expect(existsSync(join(ROOT, p)), p).toBe(true);
    // Every top-level folder that runtime code imports from (relative imports, followed from bin/).
    for (const dir of ['bin', 'cli', 'collector', 'slo-engine', 'storage', 'demo']) expect(copied).toContain(dir);
    for (const dir of importedTopLevelFolders(['bin', 'cli'])) expect(copied, `${dir} is imported by runtime code`).toContain(dir);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of copied) expect(ignored, `${p} is excluded from the build context`).not.toContain(p);
  });
});
