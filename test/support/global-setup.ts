import type { TestProject } from 'vitest/node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalClickhouse, type LocalClickhouse } from '../../storage/local-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    clickhouseUrl: string;
  }
}

let server: LocalClickhouse | undefined;
let dir: string | undefined;

/** One private clickhouse-server for the whole run: free ports, a temp data dir, killed at the end. */
export async function setup(project: TestProject) {
  dir = mkdtempSync(join(tmpdir(), 'burnrate-test-ch-'));
  server = await startLocalClickhouse({ dir });
  project.provide('clickhouseUrl', server.url);
}

export async function teardown() {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
