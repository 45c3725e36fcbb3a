import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { migrate } from '../../storage/migrate.ts';
import { applyRetention, dropPartitionStatement } from '../../storage/retention.ts';
import { literal, identifier, sql } from '../../storage/sql.ts';
import { classifyClickhouseError } from '../../storage/errors.ts';

const HOSTILE = [
  "it's",
  'back\\slash',
  'trailing\\',
  "\\'",
  'nul\0byte',
  'new\nline\r\n',
  'tab\there',
  '\b\f',
  'emoji 🔥 and ünïcödé 漢字',
  "'); DROP TABLE spans; --",
  '`backtick`',
  '',
];

describe('ClickHouse storage on a real server', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('storage');
  });
  afterAll(async () => db?.close());

  it('migrations are recorded and a second run applies nothing', async () => {
    const again = await migrate(db.ch);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied.length).toBeGreaterThan(0);
    const recorded = await db.ch.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.map((r) => Number(r.version))).toEqual(again.alreadyApplied);
  });

  it('string literals round-trip hostile strings exactly', async () => {
    for (const value of HOSTILE) {
      const rows = await db.ch.query<{ v: string; n: string }>(sql`SELECT ${value} AS v, toString(length(${value})) AS n`);
      expect(rows[0]!.v).toBe(value);
      expect(Number(rows[0]!.n)).toBe(Buffer.byteLength(value));
    }
  });

  it('identifiers quote hostile names', async () => {
    const name = "we`ird\\ 'name";
    await db.ch.command(`CREATE TABLE ${identifier(name)} (x UInt8) ENGINE = Memory`);
    await db.ch.command(`INSERT INTO ${identifier(name)} VALUES (7)`);
    const rows = await db.ch.query<{ x: number }>(`SELECT x FROM ${identifier(name)}`);
    expect(rows).toEqual([{ x: 7 }]);
    const tables = await db.ch.query<{ name: string }>(sql`SELECT name FROM system.tables WHERE database = ${db.config.database} AND name = ${name}`);
    expect(tables).toHaveLength(1);
  });

  it('errors are classified by their Code number, as this server sends them', async () => {
    const syntax = await db.ch.query('SELEC 1').catch((e: unknown) => e);
    expect(classifyClickhouseError(syntax)).toBe('environmental');
    const missing = await db.ch.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(classifyClickhouseError(missing)).toBe('environmental');
    const unparsable = await db.ch.command("INSERT INTO spans (timestamp) VALUES ('not a time')").catch((e: unknown) => e);
    expect(classifyClickhouseError(unparsable)).toBe('data');
  });

  it('retention drops day partitions older than the kept days and nothing else', async () => {
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES
      (toDateTime('2026-01-01 10:00:00'), 'a', 'a', 'old'),
      (toDateTime('2026-01-09 10:00:00'), 'b', 'b', 'edge'),
      (toDateTime('2026-01-10 10:00:00'), 'c', 'c', 'new')`);
    const dry = await applyRetention(db.ch, 2, { now: new Date('2026-01-10T12:00:00Z'), dryRun: true });
    expect(dry.dropped.filter((d) => d.table === 'spans').map((d) => d.partition)).toEqual(['20260101']);
    expect(await db.ch.query('SELECT service_name FROM spans')).toHaveLength(3);
    const result = await applyRetention(db.ch, 2, { now: new Date('2026-01-10T12:00:00Z') });
    const dropped = result.dropped.filter((d) => d.table === 'spans').map((d) => d.partition).sort();
    expect(dropped).toEqual(['20260101']);
    expect(result.failed).toEqual([]);
    const left = await db.ch.query<{ service_name: string }>('SELECT service_name FROM spans ORDER BY service_name');
    expect(left.map((r) => r.service_name)).toEqual(['edge', 'new']);
  });

  it("retention cuts days in the server's time zone, which names the partitions", async () => {
    // Both test engines run outside UTC. Pick a moment when the server's date is not the UTC date:
    // 23:30 UTC east of Greenwich, 03:00 UTC west of it.
    const serverDay = async (seconds: number) => (await db.ch.query<{ day: string }>(sql`SELECT toString(toYYYYMMDD(toDateTime(${seconds}))) AS day`))[0]!.day;
    const utcDay = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10).replace(/-/g, '');
    let now = Date.parse('2026-03-10T23:30:00Z') / 1000;
    if ((await serverDay(now)) === utcDay(now)) now = Date.parse('2026-03-10T03:00:00Z') / 1000;
    expect(await serverDay(now), 'the test server runs outside UTC').not.toBe(utcDay(now));
    // Half an hour ago (the server's today) and 01:00 of the server's yesterday.
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES
      (toDateTime(${now - 1800}), 'tz', 'tz', 'today'),
      (toDateTime(toDate(toDateTime(${now})) - 1) + 3600, 'tz', 'tz', 'yesterday')`);
    const result = await applyRetention(db.ch, 1, { now: new Date(now * 1000), tables: ['spans'] });
    expect(String(result.keepFrom)).toBe(await serverDay(now));
    const left = await db.ch.query<{ service_name: string }>(`SELECT service_name FROM spans WHERE trace_id = 'tz'`);
    expect(left.map((r) => r.service_name)).toEqual(['today']);
  });

  it('one table that cannot be dropped does not stop retention on the others', async () => {
    await db.ch.command(`INSERT INTO logs (timestamp, service_name) VALUES (toDateTime('2025-01-01 10:00:00'), 'old-log')`);
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES (toDateTime('2025-01-01 10:00:00'), 'x', 'x', 'old-span')`);
    // The server refuses the first table's DROP (as a permission change, a lock or a size limit would).
    const refusing = { ...db.ch, database: db.ch.database, serverVersion: () => db.ch.serverVersion(), query: db.ch.query.bind(db.ch),
      command: async (statement: Parameters<typeof db.ch.command>[0]) => {
        if (String(statement).includes('`logs`')) throw new Error('Code: 359. DB::Exception: Table size is too big to drop');
        return db.ch.command(statement);
      } };
    const result = await applyRetention(refusing, 30, { now: new Date('2026-01-10T12:00:00Z'), tables: ['logs', 'spans'] });
    expect(result.failed.map((f) => [f.table, f.partition])).toEqual([['logs', '20250101']]);
    expect(result.dropped.map((d) => [d.table, d.partition])).toContainEqual(['spans', '20250101']);
    expect(await db.ch.query(`SELECT 1 FROM spans WHERE service_name = 'old-span'`)).toEqual([]);
  });

  it('retention lifts max_partition_size_to_drop per statement where the server allows it (23.12+)', async () => {
    expect(dropPartitionStatement('spans', '20260101', '18.16.1')).toBe('ALTER TABLE `spans` DROP PARTITION 20260101');
    expect(dropPartitionStatement('spans', '20260101', '26.7.2.1')).toBe('ALTER TABLE `spans` DROP PARTITION 20260101 SETTINGS max_partition_size_to_drop = 0');
    // And the engine under test takes the statement its version gets.
    await db.ch.command(`INSERT INTO spans (timestamp, trace_id, span_id, service_name) VALUES (toDateTime('2024-02-02 10:00:00'), 'y', 'y', 'big')`);
    await db.ch.command(dropPartitionStatement('spans', '20240202', await db.ch.serverVersion()));
    expect(await db.ch.query(`SELECT 1 FROM spans WHERE service_name = 'big'`)).toEqual([]);
  });

  it('64-bit integers come back as exact decimal strings on every server version', async () => {
    const rows = await db.ch.query<{ big: unknown; ns: unknown }>('SELECT toUInt64(18446744073709551615) AS big, toUInt64(1767225600123456789) AS ns');
    expect(rows).toEqual([{ big: '18446744073709551615', ns: '1767225600123456789' }]);
  });
});

describe('literal()', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(literal("a'b\\c\0d\ne")).toBe("'a\\'b\\\\c\\0d\\ne'");
  });
});
