import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { migrate } from '../../storage/migrate.ts';
import { applyRetention } from '../../storage/retention.ts';
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
    const result = await applyRetention(db.ch, 2, new Date('2026-01-10T12:00:00Z'));
    const dropped = result.dropped.filter((d) => d.table === 'spans').map((d) => d.partition).sort();
    expect(dropped).toEqual(['20260101']);
    const left = await db.ch.query<{ service_name: string }>('SELECT service_name FROM spans ORDER BY service_name');
    expect(left.map((r) => r.service_name)).toEqual(['edge', 'new']);
  });
});

describe('literal()', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(literal("a'b\\c\0d\ne")).toBe("'a\\'b\\\\c\\0d\\ne'");
  });
});
