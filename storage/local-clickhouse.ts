// A private ClickHouse for tests, benchmarks and `npm start`: either Debian's clickhouse-server
// (the oldest version we support, a real server process) or the embedded current engine (chdb,
// in a process of its own). Both are driven through the same interface.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export type EngineKind = 'server' | 'embedded';

export interface LocalClickhouse {
  readonly engine: EngineKind;
  url: string;
  httpPort: number;
  dir: string;
  readonly pid: number;
  /** `SELECT version()` of the running engine. */
  version: string;
  stop(): Promise<void>;
  /** SIGSTOP / SIGCONT: simulate a hung server without losing data. */
  pause(): void;
  resume(): void;
  /** Kill and start again on the same ports and data (an outage and a recovery). */
  restart(): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  /** Changes a user's password as an operator would; resolves once the new one is in effect. */
  setPassword(user: string, password: string): Promise<void>;
}

export interface StartOptions {
  dir: string;
  httpPort?: number;
  timeoutMs?: number;
  /** IANA zone of the engine (partitions and toDate follow it); default: the machine's. */
  timezone?: string;
}

export type ProcessControls = Pick<LocalClickhouse, 'pid' | 'stop' | 'kill' | 'start' | 'pause' | 'resume' | 'restart'>;

/**
 * The process side of a local engine, the same for both kinds: `launch` spawns it and resolves with
 * the child once it serves; the rest are signals (a paused process is resumed before it is asked to
 * stop, so it can act on SIGTERM).
 */
export function processControls(launch: () => Promise<ChildProcess>): ProcessControls {
  let child: ChildProcess | undefined;
  const terminate = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    if (signal !== 'SIGKILL') c.kill('SIGCONT');
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const start = async () => {
    child = await launch();
  };
  return {
    get pid() {
      return child?.pid ?? -1;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async restart() {
      await terminate('SIGTERM');
      await start();
    },
  };
}

/** `base` with the controls' members, the live `pid` getter included. */
export function withControls<T extends object>(base: T, controls: ProcessControls): T & ProcessControls {
  return Object.defineProperties(base, Object.getOwnPropertyDescriptors(controls)) as T & ProcessControls;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Resolves once `SELECT 1` succeeds with these credentials (after a password change, a restart). */
export async function waitForQuery(url: string, user: string, password: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/?query=SELECT%201`, { headers: { authorization: auth } });
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`ClickHouse at ${url} did not accept ${user}'s credentials within ${timeoutMs} ms: ${last}`);
}

export async function startPrivateClickhouse(engine: EngineKind, options: StartOptions): Promise<LocalClickhouse> {
  if (engine === 'embedded') {
    const { startEmbeddedClickhouse } = await import('./embedded/start.ts');
    return startEmbeddedClickhouse(options);
  }
  const { startLocalClickhouse } = await import('./local-server.ts');
  return startLocalClickhouse(options);
}
