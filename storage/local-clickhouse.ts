// A private ClickHouse for tests, benchmarks and `npm start`: either Debian's clickhouse-server
// (the oldest version we support, a real server process) or the embedded current engine (chdb,
// in a process of its own). Both are driven through the same interface.
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
