import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { freePort, processControls, waitForQuery, withControls, type LocalClickhouse, type ProcessControls, type StartOptions } from './local-clickhouse.ts';
import { join, resolve } from 'node:path';

/** A private clickhouse-server: the system binary, its own config, data under `dir`, loopback only. */
export interface ServerClickhouse extends LocalClickhouse {
  tcpPort: number;
}

export function findClickhouseBinary(): string | undefined {
  for (const candidate of ['/usr/bin/clickhouse-server', '/usr/sbin/clickhouse-server', '/usr/bin/clickhouse', '/usr/local/bin/clickhouse']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v clickhouse-server || command -v clickhouse'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return found || undefined;
}

function configXml(dir: string, httpPort: number, tcpPort: number, timezone: string | undefined, extra: string): string {
  return `<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>${dir}/log/clickhouse-server.log</log>
    <errorlog>${dir}/log/clickhouse-server.err.log</errorlog>
    <size>50M</size>
    <count>2</count>
  </logger>
  <http_port>${httpPort}</http_port>
  <tcp_port>${tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
${timezone ? `  <timezone>${timezone}</timezone>\n` : ''}  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
${extra}</yandex>
`;
}

const usersXml = (passwords: Record<string, string>) => `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>8000000000</max_memory_usage></default></profiles>
  <users>
${Object.entries(passwords).map(([name, password]) => `    <${name}>
      <password>${xmlText(password)}</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </${name}>`).join('\n')}
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number, logDir: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/ping`);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const errLog = join(logDir, 'clickhouse-server.err.log');
  const tail = existsSync(errLog) ? readFileSync(errLog, 'utf8').split('\n').slice(-15).join('\n') : '(no error log)';
  throw new Error(`clickhouse-server did not answer ${url}/ping within ${timeoutMs} ms (exit code ${child.exitCode}).\n${tail}`);
}

export interface ServerStartOptions extends StartOptions {
  tcpPort?: number;
  binary?: string;
  /** Elements added inside <yandex> (a cluster node's remote_servers, macros, zookeeper, ...). */
  extraConfigXml?: string;
}

export async function startLocalClickhouse(options: ServerStartOptions): Promise<ServerClickhouse> {
  const binary = options.binary ?? findClickhouseBinary();
  if (!binary) {
    throw new Error('clickhouse-server is not installed. On Debian/Ubuntu run: sudo apt-get update && sudo apt-get install -y clickhouse-server clickhouse-client');
  }
  const dir = resolve(options.dir);
  for (const sub of ['data', 'tmp', 'log', 'user_files', 'format_schemas']) mkdirSync(join(dir, sub), { recursive: true });
  const httpPort = options.httpPort ?? (await freePort());
  const tcpPort = options.tcpPort ?? (await freePort());
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort, options.timezone, options.extraConfigXml ?? ''));
  const passwords: Record<string, string> = { default: '' };
  writeFileSync(join(dir, 'users.xml'), usersXml(passwords));
  const url = `http://127.0.0.1:${httpPort}`;
  const args = binary.endsWith('/clickhouse') ? ['server', `--config-file=${join(dir, 'config.xml')}`] : [`--config-file=${join(dir, 'config.xml')}`];

  const controls = processControls(async () => {
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    child.stderr?.resume();
    await waitForPing(url, child, options.timeoutMs ?? 30_000, join(dir, 'log'));
    return child;
  });
  await controls.start();
  const version = await queryVersion(url);

  return withControls<Omit<ServerClickhouse, keyof ProcessControls>>({
    engine: 'server' as const,
    version,
    url,
    httpPort,
    tcpPort,
    dir,
    async setPassword(user, password) {
      passwords[user] = password;
      // The server re-reads users.xml by itself every few seconds, when its mtime changed by at least a
      // whole second (18.16): two changes within one second would look like one, so move the mtime on.
      const file = join(dir, 'users.xml');
      const before = statSync(file).mtimeMs;
      writeFileSync(file, usersXml(passwords));
      const next = new Date(Math.max(Date.now(), before + 2000));
      utimesSync(file, next, next);
      await waitForQuery(url, user, password, 30_000);
    },
  }, controls);
}

async function queryVersion(url: string): Promise<string> {
  const res = await fetch(`${url}/?query=${encodeURIComponent('SELECT version()')}`);
  return (await res.text()).trim();
}
