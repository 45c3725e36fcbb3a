import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { startCollectorProcess } from '../support/collector-process.ts';
import { SpanBatches } from '../support/span-load.ts';
import { freePort } from '../../storage/local-clickhouse.ts';
import { sql } from '../../storage/sql.ts';

// Issue 13, finding 3: token parsing could switch authentication off ("#tok", ", ,") or cut tokens
// ("abc#def…" → "abc", a base64 "…==" → tenant "="). Through the collector's own configuration.

const post = (url: string, headers: Record<string, string>, body: Uint8Array) =>
  fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', ...headers }, body: body as unknown as BodyInit });

describe('ingest token configuration', () => {
  let db: TestDatabase;
  const started: TestCollector[] = [];
  const start = async (authTokens: string) => {
    const collector = await startTestCollector(db.config, { authTokens });
    started.push(collector);
    return collector;
  };
  /** The start-up error, or 'started' (with authentication as configured). */
  const startError = (authTokens: string) => start(authTokens).then(() => 'started', (e: Error) => e.message);

  beforeAll(async () => {
    db = await createTestDatabase('security_tokens');
  });
  afterAll(async () => {
    await Promise.all(started.map((c) => c.stop()));
    await db?.close();
  });

  it('refuses to start when a configured token source yields no token, instead of turning authentication off', async () => {
    expect(await startError('#tok')).toMatch(/BURNRATE_AUTH_TOKENS: is set but holds no token/);
    expect(await startError('   \n  ')).toMatch(/BURNRATE_AUTH_TOKENS: is set but holds no token/);
    expect(await startError(', ,')).toMatch(/BURNRATE_AUTH_TOKENS line 1: expected/);
  });

  it('refuses tokens too short to be secret', async () => {
    expect(await startError('abc')).toMatch(/line 1: the token has 3 characters; at least 16 are required/);
  });

  it('accepts a token containing # whole, and refuses its prefix', async () => {
    const collector = await start('abc#def-0123456789xyz tenant=hash');
    const url = `${collector.url}/v1/traces`;
    const batches = new SpanBatches('token-hash');
    expect((await post(url, { Authorization: 'Bearer abc' }, batches.next(1).payload)).status).toBe(401);
    expect((await post(url, { Authorization: 'Bearer abc#def-0123456789xyz' }, batches.next(2).payload)).status).toBe(200);
    const rows = await db.ch.query<{ tenant: string; n: string }>(sql`SELECT tenant, count() AS n FROM spans WHERE service_name = 'token-hash' GROUP BY tenant`);
    expect(rows).toEqual([{ tenant: 'hash', n: '2' }]);
  });

  it('accepts a base64 token ending in == whole, with no tenant', async () => {
    const token = Buffer.from('a base64 token, padded').toString('base64');
    expect(token.endsWith('==')).toBe(true);
    const collector = await start(token);
    const url = `${collector.url}/v1/traces`;
    const batches = new SpanBatches('token-base64');
    expect((await post(url, { 'X-API-Key': token }, batches.next(3).payload)).status).toBe(200);
    expect((await post(url, { 'X-API-Key': token.slice(0, token.indexOf('=')) }, batches.next(1).payload)).status).toBe(401);
    const rows = await db.ch.query<{ tenant: string; n: string }>(sql`SELECT tenant, count() AS n FROM spans WHERE service_name = 'token-base64' GROUP BY tenant`);
    expect(rows).toEqual([{ tenant: '', n: '3' }]);
  });

  it('the collector command exits with a configuration error naming the setting, never the token', async () => {
    const secret = 'tok-A-7f3c9e1d2b4a';
    const outcome = await startCollectorProcess(db.config, await freePort(), [], { env: { BURNRATE_AUTH_TOKENS: `${secret}=team,other-token-0123456` } }).then(
      async (c) => {
        await c.kill('SIGKILL');
        return 'started';
      },
      (e: Error) => e.message,
    );
    expect(outcome).toMatch(/exit 2[\s\S]*invalid configuration[\s\S]*--auth-tokens \/ BURNRATE_AUTH_TOKENS line 1: the entry contains ',' or '='/);
    expect(outcome).not.toContain(secret);
  });
});
