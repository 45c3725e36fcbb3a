// Helpers shared by the SLO commands (validate, slo-engine, status, backtest).
import { ConfigError } from '../cli/config-error.ts';
import type { Clickhouse } from '../storage/client.ts';
import { ident, sql } from '../storage/sql.ts';
import { TABLES } from '../storage/tables.ts';
import type { Slo } from './model.ts';
import { formatProblem, loadSlos } from './spec/load.ts';
import { fromJson } from './spec/json.ts';
import { parseDuration } from './math/duration.ts';

export function loadSlosOrThrow(target: string | undefined, flag = '--slos'): Slo[] {
  if (!target) throw new ConfigError([`${flag}: a YAML file or a directory of SLO files is required`]);
  const { slos, problems } = loadSlos(target);
  if (problems.length) throw new ConfigError(problems.map(formatProblem));
  return slos;
}

/** SLO definitions the engine stored (the latest spec per id), for `status` without --slos. */
export async function storedSlos(ch: Clickhouse): Promise<Slo[]> {
  const rows = await ch.query<{ spec: string }>(
    sql`SELECT argMax(spec, version) AS spec FROM ${ident(TABLES.sloDefinitions)} FINAL GROUP BY slo_id ORDER BY slo_id`,
  );
  return rows.map((r) => fromJson<Slo>(r.spec));
}

/** "now", an ISO time, epoch seconds, or "-2h" (relative to now). Returns epoch seconds. */
export function parseTime(text: string, now: number, flag: string): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (/^-/.test(t)) {
    const d = parseDuration(t.slice(1));
    if (d !== undefined) return now - d;
  }
  if (/^\d{9,11}$/.test(t)) return Number(t);
  const ms = Date.parse(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t) && Number.isFinite(ms)) return Math.floor(ms / 1000);
  throw new ConfigError([`${flag}: "${text}" is not a time (use an ISO time such as 2026-05-10T12:00:00Z, epoch seconds, "now" or "-2h")`]);
}

export const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
