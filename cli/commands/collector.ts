import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { parseConfig, validateAll } from '../../runtime/config-error.ts';
import { COLLECTOR_SETTINGS, collectorConfigSchema, type CollectorConfig } from '../../collector/config.ts';
import { startCollector } from '../../collector/collector.ts';

const BOOLEAN_KEYS = new Set<keyof CollectorConfig>(['migrate', 'grpcDisabled']);
const keys = Object.keys(COLLECTOR_SETTINGS) as (keyof CollectorConfig)[];
const flagOptions = Object.fromEntries(
  keys.map((k) => [COLLECTOR_SETTINGS[k].flag, { type: BOOLEAN_KEYS.has(k) ? 'boolean' : 'string' }] as const),
) as Record<string, { type: 'string' | 'boolean' }>;

/** Flags win over environment variables; zod reports every bad value at once. */
export function collectorConfigFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): CollectorConfig {
  const input: Record<string, unknown> = {};
  for (const key of keys) {
    const { flag, env: envName } = COLLECTOR_SETTINGS[key];
    const value = values[flag] ?? env[envName];
    if (value === undefined || value === '') continue;
    input[key] = BOOLEAN_KEYS.has(key) ? value === true || value === 'true' || value === '1' : value;
  }
  const names = Object.fromEntries(keys.map((k) => [k, `--${COLLECTOR_SETTINGS[k].flag} / ${COLLECTOR_SETTINGS[k].env}`]));
  return parseConfig(collectorConfigSchema, input, names);
}

export const command: Command = {
  summary: 'run the OTLP collector (HTTP 4318, gRPC 4317) writing to ClickHouse',
  usage: [
    'usage: burnrate collector [options]',
    '',
    ...keys.map((k) => `  --${COLLECTOR_SETTINGS[k].flag.padEnd(26)} ${COLLECTOR_SETTINGS[k].env.padEnd(34)} ${COLLECTOR_SETTINGS[k].help}`),
    '',
    CLICKHOUSE_USAGE,
  ].join('\n'),
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, ...flagOptions });
    const [config, clickhouse] = validateAll(
      () => collectorConfigFrom(values, process.env),
      () => clickhouseFromFlags(values),
    );
    const collector = await startCollector(config, clickhouse);
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        console.log(`collector: ${signal}, draining`);
        collector.stop().then(resolve, (err) => {
          console.error(`collector: shutdown failed: ${(err as Error).message}`);
          process.exitCode = 1;
          resolve();
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
    console.log('collector: stopped');
    return 0;
  },
};
