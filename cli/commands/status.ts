import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import { ConfigError } from '../../runtime/config-error.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { iso, loadSlosOrThrow, parseTime } from '../../slo-engine/cli-support.ts';
import { evaluateAt } from '../../slo-engine/evaluate-at.ts';
import { storedSlos } from '../../slo-engine/registry.ts';
import { notificationsBySlo, recordedStates } from '../../slo-engine/data.ts';
import { tierInhibitions } from '../../slo-engine/alerts/state-machine.ts';
import { sloJson, staleAfterSeconds, staleness } from '../../slo-engine/views.ts';
import { DEFAULT_INTERVAL_SECONDS } from '../../slo-engine/config.ts';
import { statusLines } from '../../slo-engine/status-text.ts';
import { formatDuration, parseDuration } from '../../slo-engine/math/duration.ts';

/** The engine's rule (views.ts) for its default tick: what a running engine would call stale. */
const DEFAULT_STALE_AFTER = formatDuration(staleAfterSeconds(DEFAULT_INTERVAL_SECONDS));

export const command: Command = {
  summary: 'SLI, budget remaining, burn rates and alert state of every SLO, now or at --at',
  usage: `usage: burnrate status [--at TIME] [--json] [--slos FILE_OR_DIR] [--stale-after ${DEFAULT_STALE_AFTER}]

Without --slos, the SLOs the engine runs (stored in ClickHouse) are shown. TIME: ISO 8601, epoch
seconds, "now" or relative ("-2h"; "--at -10m" works). Counts are computed where missing; settled
minutes (older than 10 minutes) are stored as the engine would store them, newer ones only
computed, so status never changes what the engine counts. Alert states, inhibited tiers and
notifications are the engine's recorded ones; the engine's evaluation is "stale" when its last one
is older than --stale-after before TIME (default: three of the engine's default 30s ticks, at least
2m: the engine's own rule).

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, at: { type: 'string' }, json: { type: 'boolean', default: false }, slos: { type: 'string' }, 'stale-after': { type: 'string', default: DEFAULT_STALE_AFTER } });
    const config = clickhouseFromFlags(values);
    const now = Math.floor(Date.now() / 1000);
    const at = values.at ? parseTime(values.at, now, '--at') : now;
    const staleAfter = parseDuration(values['stale-after']!);
    if (staleAfter === undefined) throw new ConfigError([`--stale-after: "${values['stale-after']}" is not a duration such as 2m`]);
    const fromFiles = values.slos ? loadSlosOrThrow(values.slos).slos : undefined;
    const ch = await connectChecked(config);
    try {
      const slos = fromFiles ?? (await storedSlos(ch));
      const ids = slos.map((s) => s.id);
      const results = await evaluateAt(ch, slos, at, { refresh: { mode: 'read-only', now, marginSeconds: 600, version: Date.now() } });
      const recorded = await recordedStates(ch, ids, at);
      const notifications = await notificationsBySlo(ch, ids, at - 86_400, at, 5);
      const views = results.map((result) => {
        const { slo, evaluation } = result;
        const states = recorded.states.filter((s) => s.sloId === slo.id);
        // The engine's recorded evaluations, seen from TIME (this process did not run its ticks).
        const stale = staleness({ lastEvaluation: recorded.lastEvaluation.get(slo.id) ?? null }, at, staleAfter);
        const inhibited = evaluation ? tierInhibitions(slo, evaluation.tiers, evaluation.end, states) : [];
        return sloJson(slo, { result, states, inhibited, staleness: stale, notifications: notifications.get(slo.id) ?? [] });
      });
      if (values.json) {
        console.log(JSON.stringify({ at: iso(at), slos: views }, null, 2));
        return 0;
      }
      if (slos.length === 0) console.log('no SLOs (give --slos or run the engine first)');
      for (const v of views) for (const line of statusLines(v)) console.log(line);
      return 0;
    } finally {
      await ch.close();
    }
  },
};
