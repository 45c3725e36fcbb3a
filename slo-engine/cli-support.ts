// Helpers shared by the SLO commands (validate, slo-engine, status, backtest).
import { ConfigError } from '../runtime/config-error.ts';
import type { Slo } from './model.ts';
import { formatProblem, loadSlos } from './spec/load.ts';
import { parseDuration } from './math/duration.ts';

/** Loads SLO files or throws every problem at once; `tenants`: those the collector assigns. */
export function loadSlosOrThrow(target: string | undefined, options: { flag?: string; tenants?: readonly string[] } = {}): { slos: Slo[]; warnings: string[] } {
  if (!target) throw new ConfigError([`${options.flag ?? '--slos'}: a YAML file or a directory of SLO files is required`]);
  const { slos, problems, warnings } = loadSlos(target, { tenants: options.tenants ?? [] });
  if (problems.length) throw new ConfigError(problems.map(formatProblem));
  return { slos, warnings: warnings.map(formatProblem) };
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
