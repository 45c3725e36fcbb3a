import { serve } from '@hono/node-server';
import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../config-error.ts';
import { connectClickhouse, ensureDatabase } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { loadSlosOrThrow } from '../../slo-engine/cli-support.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import { parseDuration } from '../../slo-engine/math/duration.ts';
import { HTTP_SETTINGS, accessProblems, httpConfigSchema, type HttpConfig } from '../../slo-engine/ui/access/config.ts';
import { TokenConfigError, loadTokens, type TokenEntry, type TokenSource } from '../../slo-engine/ui/access/tokens.ts';

const httpKeys = Object.keys(HTTP_SETTINGS) as (keyof HttpConfig)[];
const httpNames = Object.fromEntries(httpKeys.map((k) => [k, `--${HTTP_SETTINGS[k].flag} / ${HTTP_SETTINGS[k].env}`]));

/** Where the UI, API and /metrics listen and their tokens: flags win over the environment; every problem at once. */
export function httpAccessFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): { config: HttpConfig; tokens: TokenEntry[] } {
  const input: Record<string, unknown> = {};
  for (const key of httpKeys) {
    const value = values[HTTP_SETTINGS[key].flag] ?? env[HTTP_SETTINGS[key].env];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = httpConfigSchema.safeParse(input);
  const problems = parsed.success ? [] : ConfigError.fromZod(parsed.error, httpNames).problems;
  // Set but empty means "no tokens"; set and yielding none, or unreadable, is a problem (auth/tokens.ts).
  const sources: TokenSource[] = [];
  if (typeof input.authTokens === 'string') sources.push({ name: httpNames.authTokens!, text: input.authTokens });
  if (typeof input.authTokensFile === 'string') sources.push({ name: httpNames.authTokensFile!, path: input.authTokensFile });
  let tokens: TokenEntry[] = [];
  try {
    tokens = loadTokens(sources);
  } catch (err) {
    if (!(err instanceof TokenConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (parsed.success) problems.push(...accessProblems(parsed.data, tokens.length));
  if (problems.length) throw new ConfigError(problems);
  return { config: parsed.data!, tokens };
}

export const command: Command = {
  summary: 'evaluate SLOs every interval, write results to ClickHouse, send alerts',
  usage: `usage: burnrate slo-engine --slos FILE_OR_DIR [--interval 30s] [--host 127.0.0.1] [--port 9464] [--migrate]

The web UI, the JSON API and /metrics share one port (http://HOST:PORT/):
${httpKeys.map((k) => `  --${HTTP_SETTINGS[k].flag.padEnd(18)} ${HTTP_SETTINGS[k].env.padEnd(27)} ${HTTP_SETTINGS[k].help}`).join('\n')}
Bound to an address other than loopback, tokens are required (it refuses to start without).

Notification targets (values are secrets and are never logged):
  SLACK_WEBHOOK_URL       Slack incoming webhook
  WEBHOOK_URL             generic webhook (Alertmanager v4 JSON); WEBHOOK_SECRET signs the body
  PAGERDUTY_ROUTING_KEY   PagerDuty Events v2 integration key
  BURNRATE_DASHBOARD_URL  dashboard link put into every notification
SLO files may route severities to other variables (alerting.notify).

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, {
      ...CLICKHOUSE_OPTIONS,
      slos: { type: 'string' },
      interval: { type: 'string', default: '30s' },
      migrate: { type: 'boolean', default: false },
      ...Object.fromEntries(httpKeys.map((k) => [HTTP_SETTINGS[k].flag, { type: 'string' as const }])),
    });
    const problems: string[] = [];
    const interval = parseDuration(values.interval!);
    if (!interval) problems.push(`--interval: "${values.interval}" is not a duration such as 30s or 1m`);
    let http: ReturnType<typeof httpAccessFrom> | undefined;
    try {
      http = httpAccessFrom(values, process.env);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
    const config = clickhouseFromFlags(values);
    let slos: ReturnType<typeof loadSlosOrThrow> = [];
    try {
      slos = loadSlosOrThrow(values.slos);
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
    const { router, problems: routeProblems } = buildRouter(slos, process.env);
    problems.push(...routeProblems);
    const dashboardUrl = process.env.BURNRATE_DASHBOARD_URL;
    if (dashboardUrl && !URL.canParse(dashboardUrl)) problems.push('BURNRATE_DASHBOARD_URL: not a URL');
    if (problems.length) throw new ConfigError(problems);

    if (values.migrate) await ensureDatabase(config);
    const ch = connectClickhouse(config);
    if (values.migrate) await migrate(ch, undefined, (line) => console.log(line));
    const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
    const engine = createEngine({ ch, slos, router, log, ...(dashboardUrl ? { dashboardUrl } : {}) });
    const metrics = createSloMetrics();
    let ready = false;
    const { config: httpConfig, tokens } = http!;
    const app = createServer(engine, slos, metrics, async () => ready && (await ch.ping().catch(() => false)), { tokens, ui: { ch, intervalSeconds: interval!, log } });
    const server = serve({ fetch: app.fetch, port: httpConfig.port, hostname: httpConfig.host });
    const shownHost = httpConfig.host.includes(':') ? `[${httpConfig.host}]` : httpConfig.host;
    log(`slo-engine ${engine.replicaId}: ${slos.length} SLO(s), every ${values.interval}, channels [${router.ids().join(', ')}], UI and API http://${shownHost}:${httpConfig.port}/${tokens.length ? ` (${tokens.length} token(s))` : ''}`);

    let stopping = false;
    let timer: NodeJS.Timeout | undefined;
    const loop = async () => {
      const started = Date.now();
      try {
        const result = await engine.tick();
        metrics.observe(result);
        ready = true;
        if (result.durationMs > interval! * 1000) log(`tick took ${result.durationMs} ms, longer than the interval`);
      } catch (err) {
        metrics.tickFailed();
        log(`tick failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
      if (!stopping) timer = setTimeout(loop, Math.max(0, interval! * 1000 - (Date.now() - started)));
    };
    await loop();
    await new Promise<void>((resolve) => {
      const stop = () => {
        stopping = true;
        clearTimeout(timer);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    server.close();
    await ch.close();
    return 0;
  },
};
