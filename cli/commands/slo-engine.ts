import { serve } from '@hono/node-server';
import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, declaredTenants, parseFlags, TENANT_OPTIONS, TENANTS_USAGE } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { connectClickhouse, ensureDatabase } from '../../storage/client.ts';
import { migrate } from '../../storage/migrate.ts';
import { loadSlosOrThrow } from '../../slo-engine/cli-support.ts';
import { buildRouter } from '../../slo-engine/notify/channels.ts';
import { createEngine } from '../../slo-engine/engine.ts';
import { createDeliverer } from '../../slo-engine/notify/deliverer.ts';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import { notificationsBySlo } from '../../slo-engine/data.ts';
import { SLO_ENGINE_SETTINGS, sloEngineConfigSchema, type SloEngineConfig } from '../../slo-engine/config.ts';
import { staleAfterSeconds } from '../../slo-engine/views.ts';
import { exposureProblems } from '../../slo-engine/ui/access/exposure.ts';
import { TokenConfigError, loadTokens, type TokenEntry, type TokenSource } from '../../slo-engine/ui/access/tokens.ts';
import { formatShard } from '../../slo-engine/shard.ts';

const BOOLEAN_KEYS = new Set<keyof SloEngineConfig>(['migrate']);
const keys = Object.keys(SLO_ENGINE_SETTINGS) as (keyof SloEngineConfig)[];
const flagOptions = Object.fromEntries(keys.map((k) => [SLO_ENGINE_SETTINGS[k].flag, { type: BOOLEAN_KEYS.has(k) ? 'boolean' : 'string' }] as const)) as Record<string, { type: 'string' | 'boolean' }>;

const names = Object.fromEntries(keys.map((k) => [k, `--${SLO_ENGINE_SETTINGS[k].flag} / ${SLO_ENGINE_SETTINGS[k].env}`])) as Record<keyof SloEngineConfig, string>;

/**
 * The engine's settings and the tokens of its HTTP server. Flags win over environment variables;
 * every problem at once: bad values (zod), unreadable or invalid tokens (auth/tokens.ts, checked
 * even when other values are bad), an address beyond loopback without tokens.
 */
export function sloEngineConfigFrom(values: Record<string, unknown>, env: NodeJS.ProcessEnv): { config: SloEngineConfig; tokens: TokenEntry[] } {
  const input: Record<string, unknown> = {};
  for (const key of keys) {
    const { flag, env: envName } = SLO_ENGINE_SETTINGS[key];
    const value = values[flag] ?? env[envName];
    if (value === undefined || value === '') continue;
    input[key] = BOOLEAN_KEYS.has(key) ? value === true || value === 'true' || value === '1' : value;
  }
  const parsed = sloEngineConfigSchema.safeParse(input);
  const problems = parsed.success ? [] : ConfigError.fromZod(parsed.error, names).problems;
  // Set but empty means "no tokens"; set and yielding none, or unreadable, is a problem.
  const sources: TokenSource[] = [];
  if (typeof input.authTokens === 'string') sources.push({ name: names.authTokens, text: input.authTokens });
  if (typeof input.authTokensFile === 'string') sources.push({ name: names.authTokensFile, path: input.authTokensFile });
  let tokens: TokenEntry[] = [];
  try {
    tokens = loadTokens(sources);
  } catch (err) {
    if (!(err instanceof TokenConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (parsed.success) problems.push(...exposureProblems(parsed.data.host, tokens.length));
  if (problems.length) throw new ConfigError(problems);
  return { config: parsed.data!, tokens };
}

export const command: Command = {
  summary: 'evaluate SLOs every interval, write results to ClickHouse, send alerts',
  usage: [
    'usage: burnrate slo-engine --slos FILE_OR_DIR [options]',
    '',
    'The web UI, the JSON API and /metrics share one address (http://HOST:PORT/). Bound to an address',
    'other than loopback, tokens are required (it refuses to start without); a tenant token sees only',
    "its tenant's SLOs and spans, and not /metrics.",
    '',
    ...keys.map((k) => `  --${SLO_ENGINE_SETTINGS[k].flag.padEnd(24)} ${SLO_ENGINE_SETTINGS[k].env.padEnd(32)} ${SLO_ENGINE_SETTINGS[k].help}`),
    '',
    'Notification targets (values are secrets and are never logged):',
    '  SLACK_WEBHOOK_URL       Slack incoming webhook',
    '  WEBHOOK_URL             generic webhook (Alertmanager v4 JSON); WEBHOOK_SECRET signs the body',
    '  PAGERDUTY_ROUTING_KEY   PagerDuty Events v2 integration key',
    '  BURNRATE_DASHBOARD_URL  dashboard link put into every notification',
    'SLO files may route severities to other variables (alerting.notify), named BURNRATE_NOTIFY_*.',
    '',
    TENANTS_USAGE,
    '',
    CLICKHOUSE_USAGE,
  ].join('\n'),
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, ...TENANT_OPTIONS, ...flagOptions });
    // Every problem at once: settings, SLO files (loaded when their settings are valid), channels.
    const problems: string[] = [];
    const attempt = <T>(parse: () => T): T | undefined => {
      try {
        return parse();
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
        return undefined;
      }
    };
    const settings = attempt(() => sloEngineConfigFrom(values, process.env));
    const config = settings?.config;
    const clickhouse = attempt(() => clickhouseFromFlags(values));
    // The engine's tokens (flag or environment) are the collector's: their tenants are the declared ones.
    const tenants = settings ? attempt(() => declaredTenants(values, process.env, settings.tokens)) : undefined;
    const loaded = config && tenants ? attempt(() => loadSlosOrThrow(config.slos, { tenants })) : undefined;
    const { router, problems: routeProblems } = buildRouter(loaded?.slos ?? [], process.env);
    problems.push(...routeProblems);
    const dashboardUrl = process.env.BURNRATE_DASHBOARD_URL;
    if (dashboardUrl && !URL.canParse(dashboardUrl)) problems.push('BURNRATE_DASHBOARD_URL: not a URL');
    if (problems.length || !settings || !config || !clickhouse || !tenants || !loaded) throw new ConfigError(problems);
    const { slos, warnings } = loaded;
    const { tokens } = settings;

    if (config.migrate) await ensureDatabase(clickhouse);
    const ch = connectClickhouse(clickhouse);
    if (config.migrate) await migrate(ch, undefined, (line) => console.log(line));
    const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
    for (const w of warnings) log(`warning: ${w}`);
    const engine = createEngine({ ch, slos, router, log, shard: config.shard, ...(dashboardUrl ? { dashboardUrl } : {}) });
    let metrics: ReturnType<typeof createSloMetrics> | undefined;
    const deliverer = createDeliverer({
      ch,
      router,
      replicaId: engine.replicaId,
      log,
      maxAgeSeconds: config.notificationMaxAge,
      timeoutMs: config.notificationTimeout * 1000,
      leaseSeconds: config.notificationLease,
      onOutcome: (o) => metrics?.delivered(o),
    });
    const staleAfter = staleAfterSeconds(config.interval);
    metrics = createSloMetrics(engine, { staleAfterSeconds: staleAfter, pendingNotifications: () => deliverer.pendingCount() });
    let ready = false;
    const app = createServer(engine, metrics, async () => ready && (await ch.ping().catch(() => false)), {
      staleAfterSeconds: staleAfter,
      notifications: (ids) => {
        const now = Math.floor(Date.now() / 1000);
        return notificationsBySlo(ch, ids, now - 7 * 86_400, now);
      },
      tokens,
      ui: { ch, log },
    });
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
    const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
    log(
      `slo-engine ${engine.replicaId}: ${engine.slos.length} of ${slos.length} SLO(s) (shard ${formatShard(config.shard)}), every ${config.interval}s, channels [${router.ids().join(', ')}], tenants [${tenants.join(', ')}], ` +
        `UI and API http://${shownHost}:${config.port}/${tokens.length ? ` (${tokens.length} token(s))` : ''}`,
    );

    let stopping = false;
    const timers: NodeJS.Timeout[] = [];
    const deliver = () =>
      deliverer.poll().catch((err: unknown) => log(`notification delivery failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
    // Delivery runs on its own timer: a slow or hanging receiver never delays a tick.
    const deliveryLoop = () => {
      if (stopping) return;
      void deliver();
      timers[1] = setTimeout(deliveryLoop, config.deliveryInterval * 1000);
    };
    const tickLoop = async () => {
      const started = Date.now();
      try {
        const result = await engine.tick();
        metrics.observe(result);
        ready = true;
        if (result.enqueued.length) void deliver();
        if (result.durationMs > config.interval * 1000) log(`tick took ${result.durationMs} ms, longer than the interval`);
      } catch (err) {
        metrics.tickFailed();
        log(`tick failed (alerts are frozen and the SLOs marked stale until a tick succeeds): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
      if (!stopping) timers[0] = setTimeout(tickLoop, Math.max(0, config.interval * 1000 - (Date.now() - started)));
    };
    await tickLoop();
    deliveryLoop();
    await new Promise<void>((resolve) => {
      const stop = () => {
        stopping = true;
        for (const t of timers) clearTimeout(t);
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
