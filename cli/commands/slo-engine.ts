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

export const command: Command = {
  summary: 'evaluate SLOs every interval, write results to ClickHouse, send alerts',
  usage: `usage: burnrate slo-engine --slos FILE_OR_DIR [--interval 30s] [--port 9464] [--migrate]

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
      port: { type: 'string', default: '9464' },
      migrate: { type: 'boolean', default: false },
    });
    const problems: string[] = [];
    const interval = parseDuration(values.interval!);
    if (!interval) problems.push(`--interval: "${values.interval}" is not a duration such as 30s or 1m`);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) problems.push(`--port: "${values.port}" is not a port number`);
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
    const app = createServer(engine, slos, metrics, async () => ready && (await ch.ping().catch(() => false)));
    const server = serve({ fetch: app.fetch, port, hostname: '0.0.0.0' });
    log(`slo-engine ${engine.replicaId}: ${slos.length} SLO(s), every ${values.interval}, channels [${router.ids().join(', ')}], http :${port}`);

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
