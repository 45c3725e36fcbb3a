import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from './config-error.ts';
import { clickhouseConfigInput, clickhouseConfigSchema, type ClickhouseConfig } from '../storage/config.ts';
import { parseConfig } from './config-error.ts';
import { loadTokens, TokenConfigError, type TokenSource } from '../auth/tokens.ts';

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

/**
 * `--at -10m` → `--at=-10m`: node:util's parser takes a value starting with "-" for an option, so
 * relative times and negative numbers after a string flag would be rejected without the `=`.
 */
export function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** node:util parseArgs, with unknown flags reported as configuration problems. */
export function parseFlags<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals, strict: true });
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

export const TENANT_OPTIONS = {
  tenants: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const TENANTS_USAGE = `Tenants (when the collector assigns them, every SLO must name its tenant):
  --tenants a,b               BURNRATE_TENANTS     tenant names; also read from BURNRATE_AUTH_TOKENS(_FILE) "TOKEN tenant=NAME" entries`;

/**
 * The tenants the collector assigns: --tenants / BURNRATE_TENANTS, plus the tenant of every
 * `TOKEN tenant=NAME` entry of the collector's own token settings (auth/tokens.ts), when they are
 * set in this environment. Only the tenant names are kept.
 */
export function declaredTenants(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (typeof values.tenants === 'string' ? values.tenants : env.BURNRATE_TENANTS ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const sources: TokenSource[] = [];
  if (env.BURNRATE_AUTH_TOKENS) sources.push({ name: 'BURNRATE_AUTH_TOKENS', text: env.BURNRATE_AUTH_TOKENS });
  if (env.BURNRATE_AUTH_TOKENS_FILE) sources.push({ name: 'BURNRATE_AUTH_TOKENS_FILE', path: env.BURNRATE_AUTH_TOKENS_FILE });
  let fromTokens: string[];
  try {
    fromTokens = loadTokens(sources).map((t) => t.tenant).filter(Boolean);
  } catch (err) {
    if (err instanceof TokenConfigError) throw new ConfigError(err.problems);
    throw err;
  }
  return [...new Set([...listed, ...fromTokens])].sort();
}
