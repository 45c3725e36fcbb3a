// Evaluates SLOs at an instant from stored counts: the one path the engine, `status` and `backtest`
// share. Counting first makes sure every minute the windows need is counted (see sli/coverage.ts:
// the engine writes its unsettled edge, read-only callers compute it in memory).
import type { Clickhouse } from '../storage/client.ts';
import type { Slo } from './model.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { evaluationPlan, floorMinute, lookbackStart } from './math/windows.ts';
import { refreshCounts, type RefreshOptions } from './sli/counts.ts';
import { addMinutes, fetchLiveMinutes, fetchWindowCounts, type MinuteCount, type SumCache } from './sli/window-sums.ts';
import type { Range } from './sli/ranges.ts';

export interface SloEvaluation {
  slo: Slo;
  evaluation?: Evaluation;
  error?: string;
  /** Things counting had to skip (metric points it could not count). */
  warnings?: string[];
}

/** Minutes that are not in the table, computed in memory (read-only callers). */
export interface LiveCounts {
  ranges: Map<string, Range[]>;
  minutes: Map<string, MinuteCount[]>;
}

export interface PreparedCounts {
  errors: Map<string, string>;
  warnings: Map<string, string[]>;
  live: LiveCounts;
}

/**
 * Counts what evaluating every SLO anywhere in [from, to] needs: each SLO's lookback before `from`
 * up to the end of its window at `to` (the engine: up to the current minute).
 */
export async function prepareCounts(ch: Clickhouse, slos: readonly Slo[], from: number, to: number, options: RefreshOptions): Promise<PreparedCounts> {
  const items = slos.map((slo) => ({ slo, from: lookbackStart(slo, from), to: options.mode === 'engine' ? floorMinute(to) : evaluationPlan(slo, to).end }));
  const refreshed = await refreshCounts(ch, items, options);
  const live = await fetchLiveMinutes(ch, [...refreshed.live].map(([id, ranges]) => ({ slo: slos.find((s) => s.id === id)!, ranges })));
  const errors = new Map([...refreshed.errors, ...live.errors]);
  for (const id of live.errors.keys()) refreshed.live.delete(id);
  return { errors, warnings: refreshed.warnings, live: { ranges: refreshed.live, minutes: live.minutes } };
}

/** Evaluates the SLOs at `at` from what is counted (plus `live` minutes); SLOs in `errors` are reported, not evaluated. */
export async function evaluateCounted(
  ch: Clickhouse,
  slos: readonly Slo[],
  at: number,
  prepared?: Omit<PreparedCounts, 'errors'> & { errors?: Map<string, string> },
  cache: SumCache = {},
): Promise<SloEvaluation[]> {
  const errors = prepared?.errors ?? new Map<string, string>();
  const items = slos.filter((s) => !errors.has(s.id)).map((slo) => ({ slo, plan: evaluationPlan(slo, at), exclude: prepared?.live.ranges.get(slo.id) ?? [] }));
  const counts = await fetchWindowCounts(ch, items, cache);
  const plans = new Map(items.map((i) => [i.slo, i.plan]));
  return slos.map((slo): SloEvaluation => {
    const warnings = prepared?.warnings.get(slo.id);
    const extra = warnings?.length ? { warnings } : {};
    const error = errors.get(slo.id);
    if (error) return { slo, error, ...extra };
    const plan = plans.get(slo)!;
    const withLive = addMinutes(counts.get(slo.id)!, plan, slo.maintenance, prepared?.live.minutes.get(slo.id) ?? []);
    return { slo, evaluation: evaluate(slo, plan, withLive, at), ...extra };
  });
}

/** Counts (see prepareCounts) and evaluates every SLO at `at`. */
export async function evaluateAt(ch: Clickhouse, slos: readonly Slo[], at: number, options: { refresh?: RefreshOptions } = {}): Promise<SloEvaluation[]> {
  const prepared = options.refresh ? await prepareCounts(ch, slos, at, at, options.refresh) : undefined;
  return evaluateCounted(ch, slos, at, prepared);
}
