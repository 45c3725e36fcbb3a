// Starts the embedded current ClickHouse (chdb behind our HTTP front) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, waitForQuery, type LocalClickhouse, type StartOptions } from '../local-clickhouse.ts';
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
  let child: ChildProcess;
  let version = '';

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (options.timezone) env.TZ = options.timezone;
      child = spawn(process.execPath, [RUN_TS, MAIN, '--dir', dir, '--port', String(httpPort), '--host', host], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
        resolve();
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`embedded ClickHouse exited during start-up (${signal ?? `code ${code}`})\n${stderr.join('\n')}`));
      });
    });
  const terminate = async (signal: NodeJS.Signals) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    if (signal !== 'SIGKILL') child.kill('SIGCONT');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await launch();

  return {
    engine: 'embedded',
    get version() {
      return version;
    },
    url,
    httpPort,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    start: launch,
    pause: () => {
      child.kill('SIGSTOP');
    },
    resume: () => {
      child.kill('SIGCONT');
    },
    async restart() {
      await terminate('SIGTERM');
      await launch();
    },
    async setPassword(user, password) {
      passwords[user] = password;
      writeUsers(dir, passwords);
      child.kill('SIGHUP');
      await waitForQuery(url, user, password, 10_000);
    },
  };
}
