import type { Command } from '../main.ts';
import { CLICKHOUSE_OPTIONS, CLICKHOUSE_USAGE, clickhouseFromFlags, parseFlags } from '../options.ts';
import type { Clickhouse } from '../../storage/client.ts';
import { connectChecked } from '../clickhouse-connect.ts';
import { ident, sql } from '../../storage/sql.ts';
import { TABLES } from '../../storage/tables.ts';
import { inSet } from '../../slo-engine/sli/sql-set.ts';
import { iso, loadSlosOrThrow, parseTime, storedSlos } from '../../slo-engine/cli-support.ts';
import { evaluateAt } from '../../slo-engine/engine.ts';
import { sloJson } from '../../slo-engine/server.ts';
import type { AlertKind, AlertState } from '../../slo-engine/alerts/state-machine.ts';
import { formatDuration, formatHuman } from '../../slo-engine/math/duration.ts';
import { toDecimalString } from '../../slo-engine/math/rational.ts';
import { burn, percent } from '../../slo-engine/notify/notice.ts';

/** Alert states the engine recorded with its last evaluation at or before `at` (within a day). */
async function recordedStates(ch: Clickhouse, ids: string[], at: number): Promise<AlertState[]> {
  if (ids.length === 0) return [];
  const rows = await ch.query<{ slo_id: string; kinds: string[]; statuses: string[]; t: number }>(
    sql`SELECT slo_id, argMax(alert_kind, time) AS kinds, argMax(alert_status, time) AS statuses, toUInt32(max(time)) AS t
      FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id IN ${inSet(ids)} AND time <= toDateTime(${at}) AND time > toDateTime(${at - 86_400}) GROUP BY slo_id`,
  );
  return rows.flatMap((r) =>
    r.kinds.map((kind, i) => ({ sloId: r.slo_id, kind: kind as AlertKind, status: r.statuses[i] === 'firing' ? ('firing' as const) : ('inactive' as const), since: 0, updated: Number(r.t), noDataSince: 0 })),
  );
}

export const command: Command = {
  summary: 'SLI, budget remaining, burn rates and alert state of every SLO, now or at --at',
  usage: `usage: burnrate status [--at TIME] [--json] [--slos FILE_OR_DIR]

Without --slos, the SLOs the engine stored in ClickHouse are shown. TIME: ISO 8601, epoch seconds,
"now" or relative ("-2h"). Alert states are the engine's recorded ones ("-" if it was not running).

${CLICKHOUSE_USAGE}`,
  async run(args) {
    const { values } = parseFlags(args, { ...CLICKHOUSE_OPTIONS, at: { type: 'string' }, json: { type: 'boolean', default: false }, slos: { type: 'string' } });
    const config = clickhouseFromFlags(values);
    const now = Math.floor(Date.now() / 1000);
    const at = values.at ? parseTime(values.at, now, '--at') : now;
    const fromFiles = values.slos ? loadSlosOrThrow(values.slos) : undefined;
    const ch = await connectChecked(config);
    try {
      const slos = fromFiles ?? (await storedSlos(ch));
      // Counting missing minutes makes status work without a running engine (idempotent with it).
      const results = await evaluateAt(ch, slos, at, { refresh: { marginSeconds: 600, version: Date.now() } });
      const states = await recordedStates(ch, slos.map((s) => s.id), at);
      const tick = { at, results, states, transitions: [], deliveries: [], durationMs: 0 };
      if (values.json) {
        console.log(JSON.stringify({ at: iso(at), slos: slos.map((s) => sloJson(s, tick)) }, null, 2));
        return 0;
      }
      if (slos.length === 0) console.log('no SLOs (give --slos or run the engine first)');
      for (const { slo, evaluation: e, error } of results) {
        console.log(`${slo.id} (${slo.service}): ${slo.objective}% over ${slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : `calendar ${slo.period.unit} ${slo.period.timeZone}`}`);
        if (!e) {
          console.log(`  error: ${error}`);
          continue;
        }
        console.log(`  as of ${iso(e.end)}: SLI ${percent(e.sli)}  budget remaining ${percent(e.budgetRemaining, 2)}  time to exhaustion ${e.timeToExhaustion === null ? '-' : formatHuman(e.timeToExhaustion)}${e.noData ? '  (no data)' : ''}`);
        console.log(`  burn rate: ${e.windows.map((w) => `${formatDuration(w.seconds)} ${burn(w.burnRate)}`).join('  ')}`);
        for (const t of e.tiers) {
          console.log(`  ${t.severity.padEnd(6)} ${`${formatDuration(t.long)}/${formatDuration(t.short)}`.padEnd(8)} > ${toDecimalString(t.factor, 4)}x: long ${burn(t.burnLong)}, short ${burn(t.burnShort)}  ${t.reason}`);
        }
        const mine = states.filter((s) => s.sloId === slo.id);
        console.log(`  alerts: ${mine.length ? mine.map((s) => `${s.kind} ${s.status}`).join(', ') : '-'}`);
      }
      return 0;
    } finally {
      await ch.close();
    }
  },
};
