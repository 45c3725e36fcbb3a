import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { resource, spanRow } from '../support/rows.ts';
import { encodeRows } from '../../collector/writer/batch-writer.ts';
import { SPANS_TABLE } from '../../collector/signals/traces.ts';
import { setAside } from '../../collector/spool/set-aside.ts';
import { sql } from '../../storage/sql.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function burnrate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/burnrate.js', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('burnrate spool resend', () => {
  let dir: string;
  let db: TestDatabase;
  const count = async (service: string) => Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${service}`))[0]!.n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-spool-resend-'));
    db = await createTestDatabase('spool_resend');
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('`burnrate spool resend` inserts a set-aside record once the cause is fixed and removes it', async () => {
    const spool = join(dir, 'spool');
    const rejected = join(spool, 'rejected');
    // A record as the collector sets one aside (e.g. refused for too many partitions before the
    // operator raised max_partitions_per_insert_block): a spool file holding that one record.
    const record = encodeRows(SPANS_TABLE, [spanRow({ resource: resource({ serviceName: 'resent' }) })]);
    const id = await setAside(spool, record, 'Code 252 TOO_MANY_PARTS: Too many partitions for single INSERT block', new Date(), '7-0');
    const env = { CLICKHOUSE_URL: db.config.url, CLICKHOUSE_DATABASE: db.config.database };
    const sent = await burnrate(['spool', 'resend', id, '--spool-dir', spool], env);
    expect(sent.out).toMatch(new RegExp(`${id}: inserted 1 row\\(s\\) into spans; removed\\n1 of 1 record\\(s\\) re-sent`));
    expect(sent.code).toBe(0);
    expect(readdirSync(rejected)).toEqual([]);
    expect(await count('resent')).toBe(1);
  });
});
