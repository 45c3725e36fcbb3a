#!/usr/bin/env node
// `npm start`: burnrate on this machine without Docker. Installs the npm packages when missing,
// starts a private ClickHouse (by default the embedded current engine, no root and no apt needed),
// applies the migrations, then runs the collector, the SLO engine (API and web UI) with
// examples/slos, the demo service and a webhook sink that prints alerts, each line prefixed with its
// process name. Ctrl-C stops everything, in order.
//
// Two processes: this one (the outer) only relays signals; the supervisor (the inner, in a process
// group of its own) starts and stops the services. Nothing is left running when either dies:
// - the outer kills the supervisor's whole process group once the supervisor has exited;
// - the supervisor and every service end themselves when their parent is gone (BURNRATE_PARENT_PID);
// - output to a closed pipe (`npm start | tee log`, then Ctrl-C) is dropped, never a crash.
//
// Plain JavaScript on purpose: it must run before `npm ci` has installed tsx.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'burnrate.js');
const COLORS = [36, 33, 35, 32, 34, 31, 90];

// Every setting: flag, environment variable, default. Ports of 0 pick a free port.
const SETTINGS = {
  clickhouse: { env: 'BURNRATE_CLICKHOUSE', default: 'embedded', help: 'embedded (current ClickHouse in-process, default) or server (Debian\'s clickhouse-server)' },
  'clickhouse-port': { env: 'BURNRATE_CLICKHOUSE_PORT', default: '', help: 'HTTP port of the private ClickHouse (default 8123, or 18123 / any free one when taken)' },
  'otlp-http-port': { env: 'BURNRATE_HTTP_PORT', default: '4318', help: 'collector OTLP/HTTP and /metrics' },
  'otlp-grpc-port': { env: 'BURNRATE_GRPC_PORT', default: '4317', help: 'collector OTLP/gRPC' },
  'ui-port': { env: 'BURNRATE_UI_PORT', default: '9464', help: 'SLO engine: web UI, API and /metrics' },
  'demo-port': { env: 'BURNRATE_DEMO_PORT', default: '8080', help: 'demo service' },
  'sink-port': { env: 'BURNRATE_SINK_PORT', default: '9000', help: 'webhook sink that prints alerts (any free port when taken)' },
  'data-dir': { env: 'BURNRATE_DATA_DIR', default: '.burnrate', help: 'where the private ClickHouse keeps its data' },
  slos: { env: 'BURNRATE_SLOS', default: 'examples/slos', help: 'SLO files the engine loads' },
};

function usage() {
  const lines = ['usage: npm start [-- --FLAG VALUE ...]', '', 'Runs ClickHouse, the collector, the SLO engine, the demo and a webhook sink.', 'Every flag has an environment variable (the flag wins):', ''];
  for (const [flag, s] of Object.entries(SETTINGS)) lines.push(`  --${flag.padEnd(16)} ${s.env.padEnd(26)} ${s.help} (default ${s.default || 'see text'})`);
  lines.push('', 'CLICKHOUSE_URL (with CLICKHOUSE_USER / _PASSWORD / _DATABASE) uses that ClickHouse instead of starting one.');
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Output that survives a reader going away: once stdout is a closed pipe, lines are dropped.

let outputClosed = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE' || err.code === 'EBADF') outputClosed = true;
  });
}
function write(stream, text) {
  if (outputClosed || stream.destroyed) return;
  try {
    stream.write(text);
  } catch {
    outputClosed = true;
  }
}

const tty = process.stdout.isTTY;
/** `name | line` output, one colour per process. */
function prefixer(name) {
  const color = COLORS[[...name].reduce((h, c) => h + c.charCodeAt(0), 0) % COLORS.length];
  const tag = tty ? `\x1b[${color}m${name.padEnd(10)} |\x1b[0m` : `${name.padEnd(10)} |`;
  return (line) => write(process.stdout, `${tag} ${line}\n`);
}
const say = prefixer('burnrate');

class StartError extends Error {}

// ---------------------------------------------------------------------------------------------

/** The process the terminal sees: relays Ctrl-C to the supervisor and cleans up after it. */
function outer() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--supervised', ...process.argv.slice(2)], {
    stdio: 'inherit',
    // Its own process group: a Ctrl-C in the terminal reaches only this process, which stops the
    // services in order (the collector flushes into a ClickHouse that is still up).
    detached: true,
    env: { ...process.env, BURNRATE_PARENT_PID: String(process.pid) },
  });
  let firstSignalAt = 0;
  const forward = () => {
    const now = Date.now();
    if (!firstSignalAt) {
      firstSignalAt = now;
      write(process.stdout, '\nstopping (Ctrl-C again to kill everything now)...\n');
      child.kill('SIGTERM');
    } else if (now - firstSignalAt > 1000) {
      // A second Ctrl-C, not the same one relayed (npm forwards the terminal's SIGINT too).
      killGroup(child.pid, 'SIGKILL');
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    // Whatever the supervisor left behind (it crashed, or was killed) goes with it.
    const leftovers = groupAlive(child.pid);
    if (leftovers) killGroup(child.pid, 'SIGTERM');
    setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      process.exit(code ?? (signal ? 1 : 0));
    }, leftovers ? 3000 : 0);
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// The supervisor.

const children = [];
let clickhouse;
let stopping = false;

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const c of [...children].reverse()) await c.stop();
  if (clickhouse) {
    say('stopping ClickHouse');
    await clickhouse.stop().catch(() => {});
  }
  say('stopped');
  process.exit(code);
}

function readSettings() {
  const options = Object.fromEntries(Object.keys(SETTINGS).map((k) => [k, { type: 'string' }]));
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--supervised'), options, strict: true }));
  } catch (err) {
    throw new StartError(`${err.message}\n\n${usage()}`);
  }
  const settings = {};
  const problems = [];
  for (const [flag, s] of Object.entries(SETTINGS)) {
    const raw = values[flag] ?? process.env[s.env] ?? s.default;
    settings[flag] = { value: raw, explicit: values[flag] !== undefined || process.env[s.env] !== undefined, name: `--${flag} / ${s.env}` };
    if (flag.endsWith('-port') && raw !== '' && !(Number.isInteger(Number(raw)) && Number(raw) >= 0 && Number(raw) <= 65535)) problems.push(`${settings[flag].name}: "${raw}" is not a port number`);
  }
  if (!['embedded', 'server'].includes(settings.clickhouse.value)) problems.push(`${settings.clickhouse.name}: "${settings.clickhouse.value}" is neither embedded nor server`);
  if (problems.length) throw new StartError(`invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return settings;
}

/** The port a setting asks for; a taken port is an error naming the flag, or another free port where allowed. */
async function choosePort(setting, what, { fallbacks = [] } = {}) {
  const wanted = Number(setting.value);
  if (wanted === 0) return anyPort();
  if (await portFree(wanted)) return wanted;
  if (!setting.explicit) {
    for (const p of fallbacks) if (p === 0 ? true : await portFree(p)) return p === 0 ? anyPort() : p;
  }
  throw new StartError(`port ${wanted} (${what}) is in use: stop what listens there (is burnrate already running?) or choose another port with ${setting.name}.`);
}

async function supervised() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) throw new StartError(`Node ${process.versions.node} is too old: burnrate needs Node 20.19 or newer.`);
  process.on('SIGTERM', () => stopAll(0));
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGHUP', () => stopAll(0));
  // The outer launcher is our parent; if it disappears (SIGKILL, crash), stop everything.
  const parent = Number(process.env.BURNRATE_PARENT_PID);
  setInterval(() => process.ppid !== parent && stopAll(1), 500).unref();
  // Every service ends itself when this supervisor is gone (runtime/exit-with-parent.ts).
  process.env.BURNRATE_PARENT_PID = String(process.pid);

  const settings = readSettings();
  installNpmPackages();
  const { register } = await import('tsx/esm/api');
  register();

  const ports = {
    otlpHttp: await choosePort(settings['otlp-http-port'], 'OTLP/HTTP'),
    otlpGrpc: await choosePort(settings['otlp-grpc-port'], 'OTLP/gRPC'),
    ui: await choosePort(settings['ui-port'], 'SLO engine web UI'),
    demo: await choosePort(settings['demo-port'], 'demo'),
    sink: await choosePort(settings['sink-port'], 'webhook sink', { fallbacks: [0] }),
  };
  const dataDir = resolve(ROOT, settings['data-dir'].value);
  const slos = resolve(ROOT, settings.slos.value);
  const database = process.env.CLICKHOUSE_DATABASE ?? 'burnrate';

  const external = process.env.CLICKHOUSE_URL;
  let engineLine;
  if (external) {
    const version = await externalVersion(external);
    engineLine = `ClickHouse ${version} (yours, CLICKHOUSE_URL)   ${external}   database ${database}`;
    clickhouse = undefined;
  } else {
    // ClickHouse's usual HTTP port when it is free, so `burnrate status` and `burnrate sql` find it without settings.
    const chPort = settings['clickhouse-port'].value === ''
      ? await choosePort({ value: '8123', explicit: false, name: '--clickhouse-port / BURNRATE_CLICKHOUSE_PORT' }, 'ClickHouse', { fallbacks: [18123, 0] })
      : await choosePort(settings['clickhouse-port'], 'ClickHouse');
    const engine = settings.clickhouse.value;
    const dir = join(dataDir, engine === 'embedded' ? 'clickhouse-embedded' : 'clickhouse');
    mkdirSync(dir, { recursive: true });
    if (engine === 'embedded') {
      say(`starting the embedded ClickHouse (chdb), data in ${dir}`);
      const { startEmbeddedClickhouse } = await import('../storage/embedded/start.ts');
      clickhouse = await startEmbeddedClickhouse({ dir, httpPort: chPort, onStderr: prefixer('clickhouse') });
    } else {
      const { findClickhouseBinary, startLocalClickhouse } = await import('../storage/local-server.ts');
      const binary = findClickhouseBinary() ?? installClickhouse(findClickhouseBinary);
      say(`starting clickhouse-server (${binary}), data in ${dir}`);
      clickhouse = await startLocalClickhouse({ dir, httpPort: chPort, tcpPort: await anyPort(), binary });
    }
    engineLine = `ClickHouse ${clickhouse.version} (${engine === 'embedded' ? 'embedded current engine, chdb' : "Debian's clickhouse-server"})   ${clickhouse.url}   database ${database}, data in ${dir}`;
  }
  const clickhouseUrl = external ?? clickhouse.url;
  const env = { ...process.env, CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: database };

  const migrate = spawnSync(process.execPath, [CLI, 'migrate'], { env, cwd: ROOT, encoding: 'utf8' });
  const log = prefixer('migrate');
  for (const line of `${migrate.stdout}${migrate.stderr}`.split('\n').filter(Boolean)) log(line);
  if (migrate.status !== 0) throw new StartError('migrations failed');

  const sinkUrl = `http://127.0.0.1:${ports.sink}`;
  const steps = [
    ['alerts', ['webhook-sink', '--port', String(ports.sink)], `${sinkUrl}/received`, {}],
    ['collector', ['collector', '--host', '127.0.0.1', '--http-port', String(ports.otlpHttp), '--grpc-port', String(ports.otlpGrpc)], `http://127.0.0.1:${ports.otlpHttp}/readyz`, {}],
    ['slo-engine', ['slo-engine', '--slos', slos, '--port', String(ports.ui)], `http://127.0.0.1:${ports.ui}/healthz`, localNotifications(sinkUrl)],
    ['demo', ['demo', '--port', String(ports.demo), '--otlp-endpoint', `http://127.0.0.1:${ports.otlpHttp}`], `http://127.0.0.1:${ports.demo}/control`, {}],
  ];
  for (const [name, args, readyUrl, extraEnv] of steps) {
    const child = startChild(name, args, { ...env, ...extraEnv }, (exitCode) => {
      if (stopping) return;
      say(`${name} exited unexpectedly (code ${exitCode}); stopping everything`);
      stopAll(1);
    });
    children.push(child);
    if (!(await waitReady(readyUrl, child))) {
      if (stopping) return;
      throw new StartError(`${name} did not become ready at ${readyUrl}`);
    }
  }
  banner({ ports, sinkUrl, slos, engineLine, clickhouseUrl, database });
}

async function externalVersion(url) {
  try {
    const headers = {};
    if (process.env.CLICKHOUSE_USER || process.env.CLICKHOUSE_PASSWORD) {
      headers.authorization = `Basic ${Buffer.from(`${process.env.CLICKHOUSE_USER ?? 'default'}:${process.env.CLICKHOUSE_PASSWORD ?? ''}`).toString('base64')}`;
    }
    const res = await fetch(`${url.replace(/\/$/, '')}/?query=${encodeURIComponent('SELECT version()')}`, { headers });
    const text = (await res.text()).trim();
    if (!res.ok || !/^\d+\.\d+/.test(text)) throw new Error(res.ok ? 'it does not answer as ClickHouse' : text.split('\n')[0]);
    return text;
  } catch (err) {
    throw new StartError(`cannot use ClickHouse at CLICKHOUSE_URL=${url}: ${err instanceof Error ? err.message : String(err)}\nUnset CLICKHOUSE_URL to run a private ClickHouse instead.`);
  }
}

/**
 * Every notification channel the example SLOs use goes to the local sink unless the environment
 * names a real destination (the engine refuses to start with a channel it cannot reach).
 */
function localNotifications(sinkUrl) {
  const env = {};
  if (!process.env.WEBHOOK_URL) env.WEBHOOK_URL = `${sinkUrl}/alerts`;
  if (!process.env.SLACK_WEBHOOK_URL) env.SLACK_WEBHOOK_URL = `${sinkUrl}/slack`;
  if (!process.env.PAGERDUTY_ROUTING_KEY) {
    env.PAGERDUTY_ROUTING_KEY = 'local-demo';
    env.PAGERDUTY_EVENTS_URL = `${sinkUrl}/pagerduty`;
  }
  return env;
}

function installNpmPackages() {
  if (existsSync(join(ROOT, 'node_modules', 'tsx'))) return;
  say('installing npm packages (npm ci)...');
  const npm = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (npm.status !== 0) throw new StartError('npm ci failed (see above). Run it yourself in the repository folder, then npm start again.');
}

function installClickhouse(find) {
  const command = 'apt-get update && apt-get install -y clickhouse-server clickhouse-client';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!hasApt) throw new StartError('clickhouse-server is not installed and this is not a Debian/Ubuntu system: run npm start without --clickhouse server (the embedded engine needs nothing installed).');
  if (!isRoot) throw new StartError(`clickhouse-server is not installed. Install it with:\n\n  sudo ${command.replace('&& apt-get', '&& sudo apt-get')}\n\nor run npm start without --clickhouse server (the embedded engine needs nothing installed).`);
  say(`clickhouse-server is not installed: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'clickhouse-server', 'clickhouse-client']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new StartError(`apt-get ${args.join(' ')} failed (see above).`);
  }
  return find() ?? (() => { throw new StartError('clickhouse-server was installed but its binary was not found.'); })();
}

function startChild(name, args, env, onUnexpectedExit) {
  const out = prefixer(name);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', out);
  let exited = false;
  const exit = new Promise((resolveExit) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolveExit();
      onUnexpectedExit(code ?? signal);
    }),
  );
  return {
    name,
    pid: child.pid,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        out('did not stop within 15 s, killing it');
        child.kill('SIGKILL');
      }, 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function waitReady(url, child, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !child.exited) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function portFree(port) {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
  });
}

function anyPort() {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function banner({ ports, sinkUrl, slos, engineLine, clickhouseUrl, database }) {
  const chEnv = clickhouseUrl === 'http://127.0.0.1:8123' ? '' : `CLICKHOUSE_URL=${clickhouseUrl} `;
  const lines = [
    '',
    'burnrate is running. Ctrl-C stops everything.',
    '',
    `  Web UI       http://127.0.0.1:${ports.ui}/   your SLOs, their budgets and alerts (SLOs from ${slos})`,
    `  OTLP/HTTP    http://127.0.0.1:${ports.otlpHttp}   point an app here: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${ports.otlpHttp}`,
    `  OTLP/gRPC    127.0.0.1:${ports.otlpGrpc}`,
    `  collector    http://127.0.0.1:${ports.otlpHttp}/metrics  /healthz  /readyz`,
    `  SLO API      http://127.0.0.1:${ports.ui}/api/slos   /metrics`,
    `  demo         http://127.0.0.1:${ports.demo}   service "demo", ~20 req/s to /checkout and /products`,
    `  alerts       ${sinkUrl}   webhook sink: alerts appear below as "alerts | ..."`,
    `               (${Object.keys(localNotifications(sinkUrl)).filter((k) => k !== 'PAGERDUTY_EVENTS_URL').join(', ') || 'no channel'} unset: sent to the sink)`,
    `  ${engineLine}`,
    '',
    'Make the demo fail and watch an alert arrive here as "alerts | FIRING ...":',
    '  slow checkouts: SLO demo-checkout-latency pages in about 2-3 minutes',
    `    curl -X POST localhost:${ports.demo}/control -d '{"latencyMs":400}'`,
    '  server errors: SLO demo-availability pages within minutes on a fresh start',
    '  (its 1h window must pass 14.4% errors: ~17 minutes after an hour of clean traffic)',
    `    curl -X POST localhost:${ports.demo}/control -d '{"errorRate":0.5}'`,
    '  or: node bin/burnrate.js demo control --latency-ms 400 --error-rate 0.5',
    "Back to normal (an alert resolves when no tier's short window shows the failures: 5 to 30 minutes):",
    `    curl -X POST localhost:${ports.demo}/control -d '{"errorRate":0,"latencyMs":0}'`,
    '',
    'The SLOs and the stored data from another terminal:',
    `  ${chEnv}npx burnrate status`,
    `  ${chEnv}npx burnrate sql "SELECT service_name, count() FROM spans GROUP BY service_name"`,
    `  curl '${clickhouseUrl}/?database=${database}' --data-binary 'SELECT count() FROM spans'`,
    'Grafana dashboards: docker compose, or a Grafana of your own (dashboards/README.md).',
    '',
  ];
  for (const line of lines) say(line);
}

// ---------------------------------------------------------------------------------------------

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  write(process.stdout, `${usage()}\n`);
} else if (!process.argv.includes('--supervised')) {
  outer();
} else {
  await supervised().catch(async (err) => {
    write(process.stderr, `\nburnrate: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll(1);
  });
}
