import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../../storage/client.ts';
import type { ClickhouseConfig } from '../../storage/config.ts';
import { migrate } from '../../storage/migrate.ts';

export interface TestDatabase {
  config: ClickhouseConfig;
  ch: Clickhouse;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database on the suite's private ClickHouse server. Each test file gets its own
 * database name, so files can run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(prefix = 't', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = inject('clickhouseUrl');
  const config: ClickhouseConfig = { url, username: 'default', password: '', database: `${prefix}_${randomBytes(5).toString('hex')}` };
  await ensureDatabase(config);
  const ch = connectClickhouse(config);
  if (options.migrate !== false) await migrate(ch);
  return {
    config,
    ch,
    async close() {
      await ch.command(`DROP DATABASE IF EXISTS ${config.database}`).catch(() => {});
      await ch.close();
    },
  };
}
