import { z } from 'zod';

/** CLICKHOUSE_URL: one URL, or several separated by commas (tried in order, the next when one is down). */
export function clickhouseUrls(url: string): string[] {
  return url
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
}

const urlList = z
  .string()
  .default('http://127.0.0.1:8123')
  .superRefine((value, ctx) => {
    const urls = clickhouseUrls(value);
    if (urls.length === 0) ctx.addIssue({ code: 'custom', message: 'CLICKHOUSE_URL must be a URL such as http://127.0.0.1:8123' });
    for (const url of urls) {
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        ctx.addIssue({ code: 'custom', message: `"${url}" is not an http(s) URL such as http://127.0.0.1:8123 (several: comma-separated)` });
      }
    }
  });

export const clickhouseConfigSchema = z.object({
  url: urlList,
  username: z.string().default('default'),
  password: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'CLICKHOUSE_DATABASE must be a plain name (letters, digits, underscore)' })
    .default('burnrate'),
  /** A cluster in the servers' `remote_servers`: cluster mode (README "Running on a cluster"); '' = one server. */
  cluster: z
    .string()
    .regex(/^([A-Za-z0-9_][A-Za-z0-9_.-]*)?$/, { message: 'CLICKHOUSE_CLUSTER must be a cluster name from remote_servers (letters, digits, _ . -)' })
    .default(''),
});

/** `cluster` may be left out where a config is written by hand (tests): one server. */
export type ClickhouseConfig = Omit<z.infer<typeof clickhouseConfigSchema>, 'cluster'> & { cluster?: string };

/** Reads CLICKHOUSE_URL / _USER / _PASSWORD / _DATABASE / _CLUSTER; flags (already parsed) win over the environment. */
export function clickhouseConfigInput(env: NodeJS.ProcessEnv, flags: Partial<Record<keyof ClickhouseConfig, string>> = {}) {
  return {
    url: flags.url ?? env.CLICKHOUSE_URL ?? undefined,
    username: flags.username ?? env.CLICKHOUSE_USER ?? undefined,
    password: flags.password ?? env.CLICKHOUSE_PASSWORD ?? undefined,
    database: flags.database ?? env.CLICKHOUSE_DATABASE ?? undefined,
    cluster: flags.cluster ?? env.CLICKHOUSE_CLUSTER ?? undefined,
  };
}
