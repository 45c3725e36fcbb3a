import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { freePort } from '../../storage/local-clickhouse.ts';

// `burnrate slo-engine` as a deployment runs it: where it listens and whom it answers. The issue:
// the API and /metrics listened on 0.0.0.0 with no authentication and no tenant scoping.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLOS = `
id: acme-checkout
service: checkout
objective: 99
period: 7d
tenant: acme
sli: { kind: availability }
---
id: globex-checkout
service: checkout
objective: 99
period: 7d
tenant: globex
sli: { kind: availability }
`;

/** An address of this machine other than loopback, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

interface Engine {
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

let db: TestDatabase;
let slosDir: string;

function startEngine(args: string[], env: Record<string, string> = {}): Engine {
  const child = spawn(process.execPath, ['bin/burnrate.js', 'slo-engine', '--slos', slosDir, '--interval', '1m', ...args], {
    cwd: ROOT,
    env: { ...process.env, CLICKHOUSE_URL: db.config.url, CLICKHOUSE_DATABASE: db.config.database, BURNRATE_AUTH_TOKENS: '', BURNRATE_AUTH_TOKENS_FILE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function waitHealthy(url: string, engine: Engine): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine did not answer at ${url}:\n${engine.output()}`);
}

beforeAll(async () => {
  db = await createTestDatabase('uiaccess');
  slosDir = mkdtempSync(join(tmpdir(), 'ui-access-'));
  writeFileSync(join(slosDir, 'slos.yaml'), SLOS);
});
afterAll(async () => {
  await db?.close();
  if (slosDir) rmSync(slosDir, { recursive: true, force: true });
});

describe('burnrate slo-engine: where it listens and whom it answers', () => {
  it.skipIf(!outsideAddress)('listens on loopback only by default: not reachable on the machine\'s other address', async () => {
    const port = await freePort();
    const engine = startEngine(['--port', String(port)]);
    try {
      await waitHealthy(`http://127.0.0.1:${port}`, engine);
      expect((await fetch(`http://127.0.0.1:${port}/api/slos`)).status).toBe(200);
      const outside = await fetch(`http://${outsideAddress}:${port}/healthz`).then((r) => `HTTP ${r.status}`, (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.message);
      expect(outside).toBe('ECONNREFUSED');
      expect(engine.output()).toContain(`UI and API http://127.0.0.1:${port}/`);
    } finally {
      await engine.stop();
    }
  });

  it('refuses to start on another address without tokens, saying what to set', async () => {
    const engine = startEngine(['--host', '0.0.0.0', '--port', String(await freePort())]);
    expect(await engine.exited).not.toBe(0);
    expect(engine.output()).toContain('--host / BURNRATE_SLO_HOST: "0.0.0.0" is reachable from other machines, so the UI, the API and /metrics need tokens');
  });

  it('on another address with tokens: the API, /metrics and the UI need one, and a tenant token sees its SLOs only', async () => {
    const port = await freePort();
    const tokensFile = join(slosDir, 'tokens');
    // The collector's tokens: they also declare the tenants, so every SLO must name one of them (issue 12).
    writeFileSync(tokensFile, 'operator-secret-0123456789\nacme-secret-0123456789 tenant=acme\nglobex-secret-0123456789 tenant=globex\n');
    const engine = startEngine(['--host', '0.0.0.0', '--port', String(port)], { BURNRATE_AUTH_TOKENS_FILE: tokensFile });
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitHealthy(url, engine);
      const get = (path: string, token?: string) => fetch(`${url}${path}`, { redirect: 'manual', headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect((await get('/api/slos')).status).toBe(401);
      expect((await get('/metrics')).status).toBe(401);
      expect((await get('/')).status).toBe(303);
      expect((await get('/')).headers.get('location')).toBe('/login?next=%2F');
      const all = (await (await get('/api/slos', 'operator-secret-0123456789')).json()) as { slos: { id: string }[] };
      expect(all.slos.map((s) => s.id)).toEqual(['acme-checkout', 'globex-checkout']);
      const acme = (await (await get('/api/slos', 'acme-secret-0123456789')).json()) as { slos: { id: string }[] };
      expect(acme.slos.map((s) => s.id)).toEqual(['acme-checkout']);
      // The one JSON view of an SLO (views.ts), staleness included, only scoped.
      expect(acme.slos[0]).toHaveProperty('stale');
      expect(acme.slos[0]).toMatchObject({ tenant: 'acme', notifications: [] });
      expect((await get('/api/slos/globex-checkout', 'acme-secret-0123456789')).status).toBe(404);
      expect((await get('/metrics', 'operator-secret-0123456789')).status).toBe(200);
      expect((await get('/metrics', 'acme-secret-0123456789')).status).toBe(403);
      const page = await get('/', 'acme-secret-0123456789');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('data-slo="acme-checkout"');
      expect(html).not.toContain('globex');
      expect(engine.output()).not.toContain('acme-secret-0123456789');
    } finally {
      await engine.stop();
    }
  });
});
