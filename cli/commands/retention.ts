import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../config-error.ts';
import { connectClickhouse } from '../../storage/client.ts';
import { applyRetention } from '../../storage/retention.ts';

export const command: Command = {
  summary: 'drop day partitions older than --days (default RETENTION_DAYS or 30)',
  usage: `usage: burnrate retention [--days N]\n\n${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, days: { type: 'string' } });
    const config = clickhouseFromFlags(values);
    const days = Number(values.days ?? process.env.RETENTION_DAYS ?? 30);
    if (!Number.isInteger(days) || days < 1) throw new ConfigError([`--days: must be a positive integer, got "${values.days ?? process.env.RETENTION_DAYS}"`]);
    const ch = connectClickhouse(config);
    try {
      const result = await applyRetention(ch, days);
      for (const d of result.dropped) console.log(`dropped ${d.table} partition ${d.partition}`);
      console.log(`retention ${days} days: ${result.dropped.length} partition(s) dropped`);
      return 0;
    } finally {
      await ch.close();
    }
  },
};
