import { z } from 'zod';

export const clickhouseConfigSchema = z.object({
  url: z.string().url({ message: 'CLICKHOUSE_URL must be a URL such as http://127.0.0.1:8123' }).default('http://127.0.0.1:8123'),
  username: z.string().default('default'),
  password: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'CLICKHOUSE_DATABASE must be a plain name (letters, digits, underscore)' })
    .default('burnrate'),
});

export type ClickhouseConfig = z.infer<typeof clickhouseConfigSchema>;

/** Reads CLICKHOUSE_URL / _USER / _PASSWORD / _DATABASE; flags (already parsed) win over the environment. */
export function clickhouseConfigInput(env: NodeJS.ProcessEnv, flags: Partial<Record<keyof ClickhouseConfig, string>> = {}) {
  return {
    url: flags.url ?? env.CLICKHOUSE_URL ?? undefined,
    username: flags.username ?? env.CLICKHOUSE_USER ?? undefined,
    password: flags.password ?? env.CLICKHOUSE_PASSWORD ?? undefined,
    database: flags.database ?? env.CLICKHOUSE_DATABASE ?? undefined,
  };
}
