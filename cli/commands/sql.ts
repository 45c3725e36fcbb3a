import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { connectChecked } from '../clickhouse-connect.ts';

export const command: Command = {
  summary: 'run one SQL statement on the configured ClickHouse and print the result',
  usage: `usage: burnrate sql [--format FORMAT] "SELECT ..."     (or - to read the statement from stdin)

Runs the statement in the burnrate database of the configured ClickHouse (the embedded one of
\`npm start\` included) and prints what the server returns: PrettyCompact on a terminal,
TabSeparatedWithNames otherwise, or --format (any ClickHouse output format; a FORMAT clause in the
statement wins). Examples:
  burnrate sql "SELECT service_name, count() FROM spans GROUP BY service_name"
  burnrate sql --format JSONEachRow "SELECT * FROM slo_evaluations ORDER BY time DESC LIMIT 3"

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values, positionals } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, format: { type: 'string' } }, true);
    const config = clickhouseFromFlags(values);
    if (positionals.length !== 1) throw new ConfigError(['give exactly one SQL statement (quote it), or - to read it from stdin']);
    const statement = positionals[0] === '-' ? await readStdin() : positionals[0]!;
    if (statement.trim() === '') throw new ConfigError(['the SQL statement is empty']);
    const format = values.format ?? (process.stdout.isTTY ? 'PrettyCompact' : 'TabSeparatedWithNames');
    if (!/^[A-Za-z0-9_]+$/.test(format)) throw new ConfigError([`--format: "${format}" is not a ClickHouse format name`]);
    const ch = await connectChecked(config);
    try {
      process.stdout.write(await ch.queryText(statement, format));
      return 0;
    } finally {
      await ch.close();
    }
  },
};

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
