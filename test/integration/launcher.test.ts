import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../storage/local-clickhouse.ts';

// `npm start` (scripts/run-local.js) on this project's engine: nothing may be left running, whatever
// its stdout is and however it ends. Each case starts the whole stack on free ports.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const engine = inject('clickhouseEngine');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
// Whatever a failed case left behind (the very defect these tests look for) is killed, so one failure
// does not leave a stack running for the rest of the suite.
const started: { outer: number; known: Set<number> }[] = [];
afterEach(() => {
  for (const { outer, known } of started.splice(0)) {
    for (const pid of [outer, ...known, ...descendants(outer)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});
// Starting the whole stack takes seconds on a quiet machine, much longer on a loaded one.
const CASE_TIMEOUT_MS = 240_000;

interface Launch {
  outer: ChildProcess;
  /** Every process the launcher started (the supervisor and its services, ClickHouse included). */
  tree: () => number[];
  ports: Record<string, number>;
  exited: Promise<number | null>;
}

/** pid → parent pid, from /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      out.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  return out;
}

function descendants(root: number): number[] {
  const map = parents();
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const [child, parent] of map) if (parent === pid) {
      found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}

/** Starts the launcher with every port free and its own data dir; `stdout` decides where its output goes. */
async function launch(stdout: 'pipe' | { file: string } | 'tty'): Promise<Launch & { output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-launcher-'));
  dirs.push(dir);
  const ports = { 'otlp-http-port': await freePort(), 'otlp-grpc-port': await freePort(), 'ui-port': await freePort(), 'demo-port': await freePort(), 'sink-port': await freePort(), 'clickhouse-port': await freePort() };
  const args = ['scripts/run-local.js', '--data-dir', dir, '--clickhouse', engine, ...Object.entries(ports).flatMap(([k, v]) => [`--${k}`, String(v)])];
  let outer: ChildProcess;
  let text = '';
  const env = { ...process.env, CLICKHOUSE_URL: '', CLICKHOUSE_DATABASE: 'burnrate' };
  delete (env as Record<string, string | undefined>).CLICKHOUSE_URL;
  if (stdout === 'tty') {
    // A real terminal: util-linux `script` gives the launcher a pty; a Ctrl-C is the byte 0x03 typed into it.
    outer = spawn('script', ['-qfec', ['node', ...args].join(' '), '/dev/null'], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  } else if (stdout === 'pipe') {
    outer = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    const fd = openSync(stdout.file, 'w');
    outer = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
  }
  outer.stdout?.setEncoding('utf8').on('data', (d: string) => (text += d));
  outer.stderr?.setEncoding('utf8').on('data', (d: string) => (text += d));
  const exited = new Promise<number | null>((r) => outer.once('exit', (code) => r(code)));
  const output = () => (typeof stdout === 'object' ? readFileSync(stdout.file, 'utf8') : text);
  const record = { outer: outer.pid!, known: new Set<number>() };
  started.push(record);
  const ready = await waitUntil(() => {
    for (const pid of descendants(outer.pid!)) record.known.add(pid);
    return output().includes('burnrate is running');
  }, 180_000);
  expect(ready, `launcher did not come up:\n${output().slice(-3000)}`).toBe(true);
  return { outer, tree: () => descendants(outer.pid!), ports, exited, output };
}

async function expectAllGone(l: Launch, pids: number[]) {
  expect(pids.length, 'the launcher started its processes').toBeGreaterThanOrEqual(6);
  const gone = await waitUntil(() => pids.every((p) => !alive(p)), 60_000);
  const left = pids.filter(alive).map((p) => `${p}: ${readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
  expect(left, 'processes left running').toEqual([]);
  expect(gone).toBe(true);
  // And the ports are free again for the next npm start.
  for (const port of [l.ports['otlp-http-port'], l.ports['ui-port'], l.ports['clickhouse-port']]) {
    await expect(fetch(`http://127.0.0.1:${port}/`).then(() => 'answered', () => 'refused')).resolves.toBe('refused');
  }
}

describe(`npm start on the ${engine} engine leaves nothing running`, () => {
  it('after Ctrl-C when its stdout is a pipe whose reader went away (npm start | tee log)', async () => {
    const l = await launch('pipe');
    expect(l.output()).toMatch(/Web UI\s+http:\/\/127\.0\.0\.1:\d+\//);
    expect(l.output()).toContain(`:${l.ports['otlp-http-port']}`);
    expect(l.output()).toMatch(engine === 'embedded' ? /ClickHouse 2\d\.\d+\.\S+ \(embedded current engine, chdb\)/ : /ClickHouse 18\.16\.\S+ \(Debian's clickhouse-server\)/);
    const pids = l.tree();
    // tee died with the Ctrl-C: every later write of the launcher hits a closed pipe.
    l.outer.stdout!.destroy();
    l.outer.stderr!.destroy();
    l.outer.kill('SIGINT');
    expect(await l.exited).toBe(0);
    await expectAllGone(l, pids);
  }, CASE_TIMEOUT_MS);

  it('after Ctrl-C typed in a terminal', async () => {
    const l = await launch('tty');
    const pids = l.tree();
    l.outer.stdin!.write('\x03');
    await l.exited;
    await expectAllGone(l, pids);
    expect(l.output()).toContain('stopped');
  }, CASE_TIMEOUT_MS);

  it('when the supervisor crashes (SIGKILL), with its output going to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'burnrate-launcher-out-'));
    dirs.push(dir);
    const l = await launch({ file: join(dir, 'out.log') });
    const pids = l.tree();
    const supervisor = descendants(l.outer.pid!).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--supervised'))!;
    process.kill(supervisor, 'SIGKILL');
    await l.exited;
    await expectAllGone(l, pids);
  }, CASE_TIMEOUT_MS);

  it('when the launcher the terminal sees is SIGKILLed', async () => {
    const l = await launch('pipe');
    const pids = l.tree();
    l.outer.kill('SIGKILL');
    await l.exited;
    await expectAllGone(l, pids);
  }, CASE_TIMEOUT_MS);
});
