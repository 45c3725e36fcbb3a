import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ensureDatabase } from '../../storage/client.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { migrate } from '../../storage/migrate.ts';

export const command: Command = {
  summary: 'create or upgrade the ClickHouse schema (idempotent)',
  usage: `usage: burnrate migrate [options]\n\n${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, CLICKHOUSE_OPTIONS);
    const config = clickhouseFromFlags(values);
    const ch = await connectChecked(config);
    await ensureDatabase(config);
    try {
      const result = await migrate(ch, undefined, (line) => console.log(line));
      console.log(`database ${config.database}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`);
      return 0;
    } finally {
      await ch.close();
    }
  },
};
