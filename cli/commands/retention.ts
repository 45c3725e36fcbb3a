import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { applyRetention } from '../../storage/retention.ts';

export const command: Command = {
  summary: 'drop day partitions older than --days N (required; --dry-run lists them)',
  usage: `usage: burnrate retention --days N [--dry-run]

Drops every day partition older than N days (today counts as one), in the ClickHouse server's
time zone. --days (or RETENTION_DAYS) is required: deleting data has no default.
--dry-run prints what would be dropped and drops nothing.

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, days: { type: 'string' }, 'dry-run': { type: 'boolean' } });
    const config = clickhouseFromFlags(values);
    const raw = values.days ?? (process.env.RETENTION_DAYS || undefined);
    if (raw === undefined) throw new ConfigError(['--days: required (how many days to keep, e.g. --days 30); nothing was deleted']);
    const days = Number(raw);
    if (!Number.isInteger(days) || days < 1) throw new ConfigError([`--days: must be a positive integer, got "${raw}"`]);
    const dryRun = values['dry-run'] === true;
    const ch = await connectChecked(config);
    try {
      const result = await applyRetention(ch, days, { dryRun });
      for (const d of result.dropped) console.log(`${dryRun ? 'would drop' : 'dropped'} ${d.table} partition ${d.partition}`);
      for (const f of result.failed) console.error(`could not drop ${f.table} partition ${f.partition}: ${f.error}`);
      console.log(`retention ${days} days (keeping ${result.keepFrom} and later): ${result.dropped.length} partition(s) ${dryRun ? 'would be dropped (dry run)' : 'dropped'}${result.failed.length ? `, ${result.failed.length} failed` : ''}`);
      return result.failed.length ? 1 : 0;
    } finally {
      await ch.close();
    }
  },
};
