import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ensureDatabase } from '../../storage/client.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { migrate } from '../../storage/migrate.ts';

export const command: Command = {
  summary: 'create or upgrade the ClickHouse schema (idempotent; --cluster NAME for a cluster)',
  usage: `usage: burnrate migrate [--cluster NAME] [options]

--cluster NAME (same as --clickhouse-cluster / CLICKHOUSE_CLUSTER) creates the schema on every node
of that cluster from the servers' remote_servers: Replicated local tables, Distributed tables, one
migrator at a time (README "Running on a cluster"). Every node must be up.

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, cluster: { type: 'string' } });
    const config = clickhouseFromFlags(values);
    const ch = await connectChecked(config);
    await ensureDatabase(config);
    try {
      const result = await migrate(ch, undefined, (line) => console.log(line));
      const where = config.cluster ? `database ${config.database} on cluster ${config.cluster}` : `database ${config.database}`;
      console.log(`${where}: ${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied`);
      return 0;
    } finally {
      await ch.close();
    }
  },
};
