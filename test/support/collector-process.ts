import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickhouseConfig } from '../../storage/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `node bin/burnrate.js collector ...` as a child process: what a deployment runs. */
export interface CollectorProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  /** Everything it printed, stdout and stderr. */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resident set size in bytes, from /proc. */
  rss(): number;
  kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startCollectorProcess(
  clickhouse: ClickhouseConfig,
  httpPort: number,
  args: string[],
  options: { env?: Record<string, string>; scheme?: 'http' | 'https'; readyTimeoutMs?: number } = {},
): Promise<CollectorProcess> {
  const child = spawn(process.execPath, ['bin/burnrate.js', 'collector', '--host', '127.0.0.1', '--http-port', String(httpPort), '--no-grpc', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: clickhouse.database,
      CLICKHOUSE_USER: clickhouse.username,
      CLICKHOUSE_PASSWORD: clickhouse.password,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `${options.scheme ?? 'http'}://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  // Up once it logs its listening line (a health check would need the CA for https).
  while (!output.join('').includes('OTLP/HTTP on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector did not start (exit ${child.exitCode}):\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    pid: child.pid!,
    url,
    output,
    exited,
    rss() {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return match ? Number(match[1]) * 1024 : 0;
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
