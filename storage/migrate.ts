import type { Clickhouse } from './client.ts';
import type { Migration } from './migrations/types.ts';
import { ALL_MIGRATIONS } from './migrations/index.ts';
import { TABLES } from './tables.ts';
import { ident, sql } from './sql.ts';

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

/**
 * Applies every migration not yet recorded in the migrations table, in version order.
 * Statements are idempotent, so a run interrupted half-way is simply run again.
 */
export async function migrate(ch: Clickhouse, migrations: Migration[] = ALL_MIGRATIONS, log: (line: string) => void = () => {}): Promise<MigrateResult> {
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration versions: ${versions.join(', ')}`);
  await ch.command(`CREATE TABLE IF NOT EXISTS ${TABLES.migrations} (
    version UInt32,
    name String,
    applied_at DateTime
  ) ENGINE = MergeTree() ORDER BY version`);
  const done = new Set((await ch.query<{ version: number }>(`SELECT DISTINCT version FROM ${TABLES.migrations}`)).map((r) => Number(r.version)));
  const serverVersion = await ch.serverVersion();
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) {
      result.alreadyApplied.push(migration.version);
      continue;
    }
    for (const statement of migration.up({ serverVersion })) await ch.command(statement);
    await ch.command(sql`INSERT INTO ${ident(TABLES.migrations)} (version, name, applied_at) VALUES (${migration.version}, ${migration.name}, now())`);
    log(`applied migration ${migration.version}: ${migration.name}`);
    result.applied.push(migration.version);
  }
  return result;
}
