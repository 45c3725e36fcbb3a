import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { startTestCollector, type TestCollector } from '../support/collector.ts';
import { resource, spanRow } from '../support/rows.ts';
import { encodeRows, type EncodedRows } from '../../collector/writer/batch-writer.ts';
import { SPANS_TABLE } from '../../collector/signals/traces.ts';
import { sql } from '../../storage/sql.ts';

// Issue 13 finding 1 / issue 11: in spool mode a record ClickHouse refuses for its own content is
// set aside alone, never with its neighbours (the old spool set whole segments aside), and the
// operator gets it back with `burnrate spool`. The segment is written in format 1 (what a collector
// of the previous release left behind), which this release still replays.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A format-1 segment file: "BRSPOOL1", then u32 length | u32 CRC32 | u32 meta length | meta | body. */
function legacySegment(records: EncodedRows[]): Buffer {
  const parts = records.map((r) => {
    const meta = Buffer.from(JSON.stringify({ t: r.spec.table, c: r.spec.columns, f: r.spec.format, r: r.rows }));
    const payload = Buffer.concat([Buffer.alloc(4), meta, r.body]);
    payload.writeUInt32LE(meta.length, 0);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    return Buffer.concat([head, payload]);
  });
  return Buffer.concat([Buffer.from('BRSPOOL1', 'latin1'), ...parts]);
}

function burnrate(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/burnrate.js', ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

describe('spool: records refused for their content', () => {
  let dir: string;
  let db: TestDatabase;
  let collector: TestCollector | undefined;
  const count = async (service: string) => Number((await db.ch.query<{ n: string }>(sql`SELECT count() AS n FROM spans WHERE service_name = ${service}`))[0]!.n);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'burnrate-spool-refused-'));
    db = await createTestDatabase('spool_refused');
  });
  afterAll(async () => {
    await collector?.stop();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets aside only the refused record at replay, stores its neighbours, and `burnrate spool` shows and re-sends set-aside records', async () => {
    const spool = join(dir, 'spool');
    mkdirSync(spool);
    const good = (i: number) => encodeRows(SPANS_TABLE, [spanRow({ resource: resource({ serviceName: `neighbour-${i}` }) }), spanRow({ resource: resource({ serviceName: `neighbour-${i}` }) })]);
    // Nested arrays of different lengths: ClickHouse refuses this row for its content.
    const poison = encodeRows(SPANS_TABLE, [spanRow({ resource: resource({ serviceName: 'poison' }), attributes: { keys: ['a', 'b'], types: ['string'], values: ['x'] } })]);
    writeFileSync(join(spool, '0000000000000001.seg'), legacySegment([good(0), good(1), good(2), poison, good(3), good(4)]));

    collector = await startTestCollector(db.config, { spoolDir: spool });
    const deadline = Date.now() + 20_000;
    while (readdirSync(spool).some((f) => f.endsWith('.seg')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync(spool).filter((f) => f.endsWith('.seg') || f.includes('.rejected'))).toEqual([]);
    for (let i = 0; i < 5; i++) expect(await count(`neighbour-${i}`)).toBe(2);
    expect(await count('poison')).toBe(0);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/burnrate_collector_spool_set_aside_records_total\{table="spans"\} 1/);

    const listed = await burnrate(['spool', 'list', '--spool-dir', spool, '--json']);
    expect(listed.code).toBe(0);
    const { rejected, segments } = JSON.parse(listed.out) as { rejected: { id: string; table: string; rows: number; error: string }[]; segments: unknown[] };
    expect(segments).toEqual([]);
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ table: 'spans', rows: 1, error: expect.stringMatching(/Code 190 SIZES_OF_ARRAYS_DOESNT_MATCH/) });
    const id = rejected[0]!.id;

    const body = join(dir, 'poison.rowbinary');
    const shown = await burnrate(['spool', 'show', id, '--spool-dir', spool, '--body', body]);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/table: spans\n {2}rows: 1\n/);
    expect(shown.out).toMatch(/insert: INSERT INTO `spans` \(`tenant`, `timestamp`/);
    expect(readFileSync(body)).toEqual(poison.body);

    // Still refused: left in place, exit code 1.
    const env = { CLICKHOUSE_URL: db.config.url, CLICKHOUSE_DATABASE: db.config.database };
    const again = await burnrate(['spool', 'resend', '--spool-dir', spool], env);
    expect(again.code).toBe(1);
    expect(again.out).toMatch(new RegExp(`${id}: not inserted \\(data\\): Code 190`));
    expect(readdirSync(join(spool, 'rejected'))).toEqual([`${id}.rec`]);
  });
});
