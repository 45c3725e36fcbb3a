import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from './config-error.ts';
import { clickhouseConfigInput, clickhouseConfigSchema, type ClickhouseConfig } from '../storage/config.ts';
import { parseConfig } from './config-error.ts';

export const CLICKHOUSE_OPTIONS = {
  'clickhouse-url': { type: 'string' },
  'clickhouse-user': { type: 'string' },
  'clickhouse-password': { type: 'string' },
  'clickhouse-database': { type: 'string' },
  'clickhouse-cluster': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const CLICKHOUSE_USAGE = `ClickHouse (flags win over environment):
  --clickhouse-url URL[,URL]  CLICKHOUSE_URL       (default http://127.0.0.1:8123; several: the next when one is down)
  --clickhouse-user NAME      CLICKHOUSE_USER      (default "default")
  --clickhouse-password PW    CLICKHOUSE_PASSWORD  (default empty)
  --clickhouse-database NAME  CLICKHOUSE_DATABASE  (default burnrate; created if missing)
  --clickhouse-cluster NAME   CLICKHOUSE_CLUSTER   (a cluster from remote_servers: cluster mode, see README
                                                    "Running on a cluster"; default: one server)`;

/** node:util parseArgs, with unknown flags reported as configuration problems. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new ConfigError([err instanceof Error ? err.message : String(err)]);
  }
}

export function clickhouseFromFlags(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ClickhouseConfig {
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  return parseConfig(
    clickhouseConfigSchema,
    clickhouseConfigInput(env, {
      url: str('clickhouse-url'),
      username: str('clickhouse-user'),
      password: str('clickhouse-password'),
      database: str('clickhouse-database'),
      // `migrate --cluster NAME` is the short form of --clickhouse-cluster.
      cluster: str('clickhouse-cluster') ?? str('cluster'),
    }),
    { url: 'CLICKHOUSE_URL', username: 'CLICKHOUSE_USER', password: 'CLICKHOUSE_PASSWORD', database: 'CLICKHOUSE_DATABASE', cluster: 'CLICKHOUSE_CLUSTER' },
  );
}
