import { describe, expect, it } from 'vitest';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import type { Engine } from '../../slo-engine/engine.ts';
import { createSession, presentedToken, tokenKeys, verifySession } from '../../slo-engine/ui/access/credentials.ts';
import { exposureProblems, isLoopback } from '../../slo-engine/ui/access/exposure.ts';
import { safeNext, SESSION_COOKIE } from '../../slo-engine/ui/access/access.tsx';
import { sloEngineConfigFrom } from '../../cli/commands/slo-engine.ts';
import { connectClickhouse } from '../../storage/client.ts';
import { freePort } from '../../storage/local-clickhouse.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { sloFromYaml } from './slo-fixtures.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

// The access rules through the server's public surface (app.request), without ClickHouse: the API
// and /metrics read the engine's last tick, and the UI's pages are not mounted here.

const NOW = Date.parse('2026-05-10T12:00:00Z');
const slos = [
  sloFromYaml('id: ours\nservice: shop\nobjective: 99\nperiod: 7d\ntenant: acme\nsli: { kind: availability }'),
  sloFromYaml('id: theirs\nservice: bank\nobjective: 99\nperiod: 7d\ntenant: globex\nsli: { kind: availability }'),
  sloFromYaml('id: shared\nservice: edge\nobjective: 99\nperiod: 7d\nsli: { kind: availability }'),
];
/** An engine that has not ticked yet: the API lists its SLOs without numbers. */
const engine: Engine = { replicaId: 'x', slos, tick: async () => { throw new Error('not ticking'); }, last: () => undefined, health: () => ({ lastEvaluated: new Map() }) };
const OP = 'op-secret-0123456789';
const ACME = 'acme-secret-0123456789';
const TOKENS = [{ token: OP, tenant: '' }, { token: ACME, tenant: 'acme' }];
const secured = () => createServer(engine, createSloMetrics(engine), async () => true, { tokens: TOKENS, clock: () => NOW });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const ids = async (res: Response) => ((await res.json()) as { slos: { id: string }[] }).slos.map((s) => s.id);

describe('engine HTTP access without tokens (loopback)', () => {
  it('serves the API and /metrics to anyone, every tenant\'s SLOs', async () => {
    const app = createServer(engine, createSloMetrics(engine), async () => true);
    expect(await ids(await app.request('/api/slos'))).toEqual(['ours', 'theirs', 'shared']);
    expect((await app.request('/metrics')).status).toBe(200);
    expect((await app.request('/login')).headers.get('location')).toBe('/');
  });
});

describe('engine HTTP access with tokens', () => {
  it('refuses the API and /metrics without a token or with a wrong one, and says how to send one', async () => {
    const app = secured();
    for (const path of ['/api/slos', '/api/slos/ours', '/metrics']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="burnrate"');
      expect(await res.json()).toEqual({ error: 'missing credentials: send Authorization: Bearer <token> or X-API-Key' });
      expect((await app.request(path, bearer('nope'))).status).toBe(401);
    }
  });

  it('keeps health and readiness open for probes', async () => {
    const app = secured();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });

  it('shows an operator token (no tenant) every SLO and /metrics, via Bearer or X-API-Key', async () => {
    const app = secured();
    expect(await ids(await app.request('/api/slos', bearer(OP)))).toEqual(['ours', 'theirs', 'shared']);
    expect(await ids(await app.request('/api/slos', { headers: { 'x-api-key': OP } }))).toEqual(['ours', 'theirs', 'shared']);
    expect((await app.request('/metrics', bearer(OP))).status).toBe(200);
  });

  it('shows a tenant token only its tenant\'s SLOs: others are 404 like missing ones, /metrics is 403', async () => {
    const app = secured();
    expect(await ids(await app.request('/api/slos', bearer(ACME)))).toEqual(['ours']);
    expect((await app.request('/api/slos/ours', bearer(ACME))).status).toBe(200);
    expect((await app.request('/api/slos/theirs', bearer(ACME))).status).toBe(404);
    expect((await app.request('/api/slos/shared', bearer(ACME))).status).toBe(404);
    const metrics = await app.request('/metrics', bearer(ACME));
    expect(metrics.status).toBe(403);
    expect(await metrics.text()).toContain('a tenant token cannot read /metrics');
  });

  it('sends a browser without a session to the login page, remembering where it was going', async () => {
    const res = await secured().request('/slos/ours?range=1h');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent('/slos/ours?range=1h')}`);
    const login = await secured().request('/login?next=%2Fslos%2Fours');
    expect(login.status).toBe(200);
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await login.text()).toContain('name="next" value="/slos/ours"');
  });

  it('signs in with a token into an HttpOnly, SameSite=Strict cookie that the API accepts, and signs out', async () => {
    const app = secured();
    const form = (token: string) => ({ method: 'POST', body: new URLSearchParams({ token, next: '/api/slos' }), headers: { origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' } });
    const wrong = await app.request('http://localhost/login', form('a-guess-that-is-long-enough'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).toContain('That token is not valid.');

    const ok = await app.request('http://localhost/login', form(ACME));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/api/slos');
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=\\d+\\.[\\w-]{43};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
    expect(cookie).not.toContain(ACME);
    const session = { headers: { cookie: cookie.split(';')[0]! } };
    expect(await ids(await app.request('/api/slos', session))).toEqual(['ours']);

    const out = await app.request('http://localhost/logout', { method: 'POST', headers: { origin: 'http://localhost', cookie: cookie.split(';')[0]! } });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION_COOKIE}=; Max-Age=0`));
  });

  it('refuses a login form posted from another origin', async () => {
    const res = await secured().request('http://localhost/login', { method: 'POST', body: new URLSearchParams({ token: OP }), headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('returns only to local paths after signing in', () => {
    expect(safeNext('/slos/x?range=1h')).toBe('/slos/x?range=1h');
    for (const evil of ['//evil.example/', '/\\evil.example', 'https://evil.example', '', undefined]) expect(safeNext(evil)).toBe('/');
  });
});

describe('sessions', () => {
  const keys = tokenKeys(TOKENS);
  const now = NOW / 1000;

  it('verify to the token\'s tenant until they expire', () => {
    const value = createSession(ACME, now + 60);
    expect(verifySession(value, keys, now)).toBe('acme');
    expect(verifySession(createSession(OP, now + 60), keys, now)).toBe('');
    expect(verifySession(value, keys, now + 60)).toBeUndefined();
  });

  it('end when their token is removed, and cannot be forged or extended', () => {
    const value = createSession(ACME, now + 60);
    expect(verifySession(value, tokenKeys([TOKENS[0]!]), now)).toBeUndefined();
    const [, mac] = value.split('.');
    expect(verifySession(`${now + 999_999}.${mac}`, keys, now)).toBeUndefined();
    expect(verifySession(createSession('not-a-configured-token', now + 60), keys, now)).toBeUndefined();
    expect(verifySession('garbage', keys, now)).toBeUndefined();
  });

  it('read the token from Authorization: Bearer or X-API-Key', () => {
    expect(presentedToken(`Bearer ${ACME}`, undefined)).toBe(ACME);
    expect(presentedToken(undefined, ` ${ACME} `)).toBe(ACME);
    expect(presentedToken('Basic abc', undefined)).toBeUndefined();
  });
});

/** The engine's settings with a valid --slos, so only the HTTP ones are under test. */
const settings = (values: Record<string, unknown>, env: Record<string, string>) => sloEngineConfigFrom({ slos: 'x', ...values }, env);

describe('engine HTTP settings', () => {
  const problems = (values: Record<string, unknown>, env: Record<string, string> = {}) => {
    try {
      settings(values, env);
      return [];
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
  };

  it('listens on loopback by default, port 9464, without tokens', () => {
    expect(settings({}, {})).toMatchObject({ config: { host: '127.0.0.1', port: 9464, authTokens: '', authTokensFile: '' }, tokens: [] });
  });

  it('refuses another address without tokens, saying how to fix it', () => {
    expect(problems({ host: '0.0.0.0' })).toEqual([
      '--host / BURNRATE_SLO_HOST: "0.0.0.0" is reachable from other machines, so the UI, the API and /metrics need tokens: ' +
        'set --auth-tokens / BURNRATE_AUTH_TOKENS or --auth-tokens-file / BURNRATE_AUTH_TOKENS_FILE (one "TOKEN [tenant=NAME]" per line), or listen on 127.0.0.1',
    ]);
    expect(problems({}, { BURNRATE_SLO_HOST: '::' })).toHaveLength(1);
  });

  it('takes tokens in the collector\'s format from the flag, the environment or a file, flags first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
    const file = join(dir, 'tokens');
    writeFileSync(file, `# operators\n${OP}\n${ACME} tenant=acme\n`);
    try {
      expect(settings({ host: '0.0.0.0', 'auth-tokens': `${ACME} tenant=x` }, { BURNRATE_AUTH_TOKENS: 'ignored' }).tokens).toEqual([{ token: ACME, tenant: 'x' }]);
      expect(settings({}, { BURNRATE_SLO_HOST: '0.0.0.0', BURNRATE_AUTH_TOKENS_FILE: file }).tokens).toEqual([{ token: OP, tenant: '' }, { token: ACME, tenant: 'acme' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses tokens the shared format refuses, naming the setting and never the token', () => {
    const found = problems({ host: '0.0.0.0', 'auth-tokens': 'short' });
    expect(found[0]).toBe('--auth-tokens / BURNRATE_AUTH_TOKENS line 1: the token has 5 characters; at least 16 are required (e.g. openssl rand -base64 24)');
    expect(found.join(' ')).not.toContain('short"');
    expect(problems({ 'auth-tokens': 'token1=tenantA,token2-long-enough' })[0]).toMatch(/^--auth-tokens \/ BURNRATE_AUTH_TOKENS line 1: the entry contains ',' or '='/);
  });

  it('reports every bad value at once', () => {
    const found = problems({ port: 'ninety', 'auth-tokens-file': '/nonexistent/tokens' });
    expect(found).toHaveLength(2);
    expect(found[0]).toBe('--port / BURNRATE_SLO_PORT: Invalid input: expected number, received NaN');
    expect(found[1]).toBe('--auth-tokens-file / BURNRATE_AUTH_TOKENS_FILE: cannot read /nonexistent/tokens: ENOENT');
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.0.2.2', 'example.com', '128.0.0.1']) expect(isLoopback(h), h).toBe(false);
    expect(exposureProblems('0.0.0.0', 1)).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  it('binds the engine beyond loopback inside the network with a token from the environment, so it starts', () => {
    const compose = parseYaml(readFileSync(join(import.meta.dirname, '../../docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { command: string[]; environment: Record<string, string> }> };
    const engine = compose.services['slo-engine']!;
    const flag = (name: string) => engine.command[engine.command.indexOf(name) + 1];
    expect(flag('--host')).toBe('0.0.0.0');
    expect(engine.environment.BURNRATE_AUTH_TOKENS).toMatch(/^\$\{BURNRATE_AUTH_TOKENS:-[^}]+\}$/);
    // With the variable unset, Compose substitutes the default: the engine must accept that.
    const substituted = Object.fromEntries(Object.entries(engine.environment).map(([k, v]) => [k, String(v).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    const { config, tokens } = settings({ host: flag('--host'), port: flag('--port') }, substituted);
    expect(config.host).toBe('0.0.0.0');
    expect(tokens.length).toBeGreaterThan(0);
  });
});

describe('the UI when ClickHouse does not answer', () => {
  it('answers 503 saying so, and logs the cause instead of showing it', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const ch = connectClickhouse({ url, username: 'default', password: '', database: 'x' }, { requestTimeoutMs: 2000 });
    const logged: string[] = [];
    const app = createServer(engine, createSloMetrics(engine), async () => true, { ui: { ch, log: (l) => logged.push(l) } });
    for (const path of ['/', '/slos/ours', '/services']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(503);
      const html = await res.text();
      expect(html).toContain('Reading ClickHouse failed');
      expect(html).not.toContain('127.0.0.1');
    }
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(/^ui: GET \/: .*ECONNREFUSED/);
    await ch.close();
  });
});
