// Starts the embedded current ClickHouse (chdb behind our HTTP front) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, processControls, waitForQuery, withControls, type LocalClickhouse, type ProcessControls, type StartOptions } from '../local-clickhouse.ts';
import { writeUsers } from './users.ts';

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export interface EmbeddedStartOptions extends StartOptions {
  /** Listen address (default loopback). */
  host?: string;
  /** Where the engine's own stderr goes (default: kept, shown when it fails to start). */
  onStderr?: (line: string) => void;
}

export async function startEmbeddedClickhouse(options: EmbeddedStartOptions): Promise<LocalClickhouse> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  const httpPort = options.httpPort ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${httpPort}`;
  const passwords: Record<string, string> = { default: '' };
  writeUsers(dir, passwords);
  let version = '';

  const controls = processControls(() =>
    new Promise<ChildProcess>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (options.timezone) env.TZ = options.timezone;
      const child = spawn(process.execPath, [RUN_TS, MAIN, '--dir', dir, '--port', String(httpPort), '--host', host], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const stderr: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => {
        if (options.onStderr) options.onStderr(line);
        else stderr.push(line);
        if (stderr.length > 50) stderr.shift();
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`embedded ClickHouse did not start within ${options.timeoutMs ?? 30_000} ms\n${stderr.join('\n')}`));
      }, options.timeoutMs ?? 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const ready = /^ready (\d+) (\S+)/.exec(line);
        if (!ready) return;
        version = ready[2]!;
        clearTimeout(timer);
        resolve(child);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`embedded ClickHouse exited during start-up (${signal ?? `code ${code}`})\n${stderr.join('\n')}`));
      });
    }),
  );
  await controls.start();

  return withControls<Omit<LocalClickhouse, keyof ProcessControls>>({
    engine: 'embedded' as const,
    version,
    url,
    httpPort,
    dir,
    async setPassword(user, password) {
      passwords[user] = password;
      writeUsers(dir, passwords);
      process.kill(controls.pid, 'SIGHUP');
      await waitForQuery(url, user, password, 10_000);
    },
  }, controls);
}
