import type { TestProject } from 'vitest/node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateClickhouse, type EngineKind, type LocalClickhouse } from '../../storage/local-clickhouse.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
    /** Which ClickHouse this project's files run against (set per project in vitest.config.ts). */
    clickhouseEngine: EngineKind;
    /** The engine's time zone: deliberately not UTC, so day/partition arithmetic must follow it. */
    clickhouseTimezone: string;
    clickhouseVersion: string;
  }
}

let server: LocalClickhouse | undefined;
let dir: string | undefined;

/** One private ClickHouse of the project's engine for the whole run: free port, temp data dir, stopped at the end. */
export async function setup(project: TestProject) {
  const { clickhouseEngine: engine, clickhouseTimezone: timezone } = project.getProvidedContext();
  dir = mkdtempSync(join(tmpdir(), `burnrate-test-${engine}-`));
  server = await startPrivateClickhouse(engine, { dir, timezone });
  project.provide('clickhouseUrl', server.url);
  project.provide('clickhouseVersion', server.version);
  process.stdout.write(`[${project.name}] ClickHouse ${server.version} (${engine === 'server' ? 'clickhouse-server process' : 'embedded chdb'}, time zone ${timezone}) at ${server.url}\n`);
}

export async function teardown() {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
