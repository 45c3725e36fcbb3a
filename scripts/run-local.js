#!/usr/bin/env node
// `npm start`: burnrate on this machine without Docker. Installs what is missing (npm packages;
// ClickHouse through apt when running as root, otherwise it says what to run), starts a private
// ClickHouse with its data in .burnrate/clickhouse, applies the migrations, then runs the collector,
// the SLO engine with examples/slos, the demo service and a webhook sink that prints alerts, each
// line prefixed with its process name. Ctrl-C stops everything, in order.
//
// Plain JavaScript on purpose: it must run before `npm ci` has installed tsx.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = join(ROOT, '.burnrate', 'clickhouse');
const CLI = join(ROOT, 'bin', 'burnrate.js');
const DATABASE = process.env.CLICKHOUSE_DATABASE ?? 'burnrate';
/** The SLO files the engine loads; BURNRATE_SLOS=dir runs your own instead of the examples. */
const SLOS = process.env.BURNRATE_SLOS ?? join(ROOT, 'examples', 'slos');
const PORTS = { otlpHttp: 4318, otlpGrpc: 4317, sloEngine: 9464, demo: 8080, sink: 9000, clickhouseHttp: 18123, clickhouseTcp: 19000 };
const COLORS = [36, 33, 35, 32, 34, 31, 90];
const tty = process.stdout.isTTY;

/** `name | line` output, one colour per process. */
function prefixer(name) {
  const color = COLORS[[...name].reduce((h, c) => h + c.charCodeAt(0), 0) % COLORS.length];
  const tag = tty ? `\x1b[${color}m${name.padEnd(10)} |\x1b[0m` : `${name.padEnd(10)} |`;
  return (line) => process.stdout.write(`${tag} ${line}\n`);
}
const say = prefixer('burnrate');

function fail(message) {
  process.stderr.write(`\nburnrate: ${message}\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// The process tree gets its own process group, so a Ctrl-C in the terminal reaches only this
// supervisor, which then stops the services one by one (the collector flushes into a ClickHouse
// that is still up) instead of every process dying at once.
if (!process.argv.includes('--supervised')) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--supervised', ...process.argv.slice(2)], { stdio: 'inherit', detached: true });
  let firstSignalAt = 0;
  const forward = () => {
    const now = Date.now();
    if (!firstSignalAt) {
      firstSignalAt = now;
      process.stdout.write('\nstopping (Ctrl-C again to kill everything now)...\n');
      child.kill('SIGTERM');
    } else if (now - firstSignalAt > 1000) {
      // A second Ctrl-C, not the same one relayed (npm forwards the terminal's SIGINT too).
      process.kill(-child.pid, 'SIGKILL');
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await supervised().catch((err) => fail(err instanceof Error ? err.message : String(err)));
}

// ---------------------------------------------------------------------------------------------

async function supervised() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old: burnrate needs Node 20.19 or newer.`);

  installNpmPackages();
  const { register } = await import('tsx/esm/api');
  register();
  const { findClickhouseBinary, startLocalClickhouse } = await import('../storage/local-server.ts');
  const binary = findClickhouseBinary() ?? installClickhouse(findClickhouseBinary);

  for (const [what, port] of Object.entries({ 'OTLP/HTTP': PORTS.otlpHttp, 'OTLP/gRPC': PORTS.otlpGrpc, 'SLO engine': PORTS.sloEngine, demo: PORTS.demo })) {
    if (!(await portFree(port))) fail(`port ${port} (${what}) is in use: stop what listens there (is burnrate already running?) and try again.`);
  }
  const sinkPort = (await portFree(PORTS.sink)) ? PORTS.sink : await anyPort();
  // ClickHouse's usual HTTP port when it is free, so `burnrate status` finds it without settings.
  const chHttp = (await portFree(8123)) ? 8123 : (await portFree(PORTS.clickhouseHttp)) ? PORTS.clickhouseHttp : await anyPort();
  const chTcp = (await portFree(PORTS.clickhouseTcp)) ? PORTS.clickhouseTcp : await anyPort();

  const children = [];
  let clickhouse;
  let stopping = false;

  async function shutdown(code) {
    if (stopping) return;
    stopping = true;
    for (const c of [...children].reverse()) await c.stop();
    if (clickhouse) {
      say('stopping ClickHouse');
      await clickhouse.stop();
    }
    say('stopped');
    process.exit(code);
  }
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));

  mkdirSync(DATA_DIR, { recursive: true });
  say(`starting ClickHouse (${binary}), data in ${DATA_DIR}`);
  clickhouse = await startLocalClickhouse({ dir: DATA_DIR, httpPort: chHttp, tcpPort: chTcp, binary });
  const env = { ...process.env, CLICKHOUSE_URL: clickhouse.url, CLICKHOUSE_DATABASE: DATABASE };

  const run = (name, args, extraEnv = {}) => {
    const c = startChild(name, args, { ...env, ...extraEnv }, (exitCode) => {
      if (stopping) return;
      say(`${name} exited unexpectedly (code ${exitCode}); stopping everything`);
      shutdown(1);
    });
    children.push(c);
    return c;
  };

  const migrate = spawnSync(process.execPath, [CLI, 'migrate'], { env, cwd: ROOT, encoding: 'utf8' });
  const log = prefixer('migrate');
  for (const line of `${migrate.stdout}${migrate.stderr}`.split('\n').filter(Boolean)) log(line);
  if (migrate.status !== 0) {
    say('migrations failed');
    return shutdown(1);
  }

  const sinkUrl = `http://127.0.0.1:${sinkPort}`;
  const steps = [
    ['alerts', ['webhook-sink', '--port', String(sinkPort)], `${sinkUrl}/received`, {}],
    ['collector', ['collector', '--host', '127.0.0.1', '--http-port', String(PORTS.otlpHttp), '--grpc-port', String(PORTS.otlpGrpc)], `http://127.0.0.1:${PORTS.otlpHttp}/readyz`, {}],
    [
      'slo-engine',
      ['slo-engine', '--slos', SLOS, '--port', String(PORTS.sloEngine)],
      `http://127.0.0.1:${PORTS.sloEngine}/healthz`,
      localNotifications(sinkUrl),
    ],
    ['demo', ['demo', '--port', String(PORTS.demo), '--otlp-endpoint', `http://127.0.0.1:${PORTS.otlpHttp}`], `http://127.0.0.1:${PORTS.demo}/control`, {}],
  ];
  for (const [name, args, readyUrl, extraEnv] of steps) {
    const child = run(name, args, extraEnv);
    if (!(await waitReady(readyUrl, child))) {
      if (stopping) return;
      say(`${name} did not become ready at ${readyUrl}`);
      return shutdown(1);
    }
  }
  banner(clickhouse.url, sinkUrl);
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
  if (npm.status !== 0) fail('npm ci failed (see above). Run it yourself in the repository folder, then npm start again.');
}

function installClickhouse(find) {
  const command = 'apt-get update && apt-get install -y clickhouse-server clickhouse-client';
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!hasApt) fail('ClickHouse is not installed and this is not a Debian/Ubuntu system. Install clickhouse-server (https://clickhouse.com/docs/install) or use docker compose (see README).');
  if (!isRoot) fail(`ClickHouse is not installed. Install it with:\n\n  sudo ${command.replace('&& apt-get', '&& sudo apt-get')}\n\nthen run npm start again.`);
  say(`ClickHouse is not installed: ${command}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'clickhouse-server', 'clickhouse-client']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) fail(`apt-get ${args.join(' ')} failed (see above).`);
  }
  return find() ?? fail('clickhouse-server was installed but its binary was not found.');
}

function startChild(name, args, env, onUnexpectedExit) {
  const out = prefixer(name);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', out);
  let exited = false;
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve();
      onUnexpectedExit(code ?? signal);
    }),
  );
  return {
    name,
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
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function anyPort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function banner(clickhouseUrl, sinkUrl) {
  const lines = [
    '',
    'burnrate is running. Ctrl-C stops everything.',
    '',
    `  OTLP/HTTP    http://127.0.0.1:${PORTS.otlpHttp}   point an app here: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${PORTS.otlpHttp}`,
    `  OTLP/gRPC    127.0.0.1:${PORTS.otlpGrpc}`,
    `  collector    http://127.0.0.1:${PORTS.otlpHttp}/metrics  /healthz  /readyz`,
    `  SLO engine   http://127.0.0.1:${PORTS.sloEngine}   SLOs from ${SLOS}`,
    `  demo         http://127.0.0.1:${PORTS.demo}   service "demo", ~20 req/s to /checkout and /products`,
    `  alerts       ${sinkUrl}   webhook sink: alerts appear below as "alerts | ..."`,
    `               (${Object.keys(localNotifications(sinkUrl)).filter((k) => k !== 'PAGERDUTY_EVENTS_URL').join(', ') || 'no channel'} unset: sent to the sink)`,
    `  ClickHouse   ${clickhouseUrl}   database ${DATABASE}, data in .burnrate/clickhouse`,
    '',
    'Make the demo fail and watch an alert arrive here as "alerts | FIRING ...":',
    '  slow checkouts: SLO demo-checkout-latency pages in about 2-3 minutes',
    `    curl -X POST localhost:${PORTS.demo}/control -d '{"latencyMs":400}'`,
    '  server errors: SLO demo-availability pages within minutes on a fresh start',
    '  (its 1h window must pass 14.4% errors: ~17 minutes after an hour of clean traffic)',
    `    curl -X POST localhost:${PORTS.demo}/control -d '{"errorRate":0.5}'`,
    '  or: node bin/burnrate.js demo control --latency-ms 400 --error-rate 0.5',
    "Back to normal (an alert resolves when no tier's short window shows the failures: 5 to 30 minutes):",
    `    curl -X POST localhost:${PORTS.demo}/control -d '{"errorRate":0,"latencyMs":0}'`,
    '',
    'The SLOs from another terminal:',
    `  ${clickhouseUrl === 'http://127.0.0.1:8123' ? '' : `CLICKHOUSE_URL=${clickhouseUrl} `}node bin/burnrate.js status`,
    'Grafana dashboards: docker compose, or a Grafana of your own (dashboards/README.md).',
    '',
  ];
  for (const line of lines) say(line);
}
