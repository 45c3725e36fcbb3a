// One SLO's stored evaluations as time series, bucketed so a chart gets at most a few hundred
// points: the budget remaining and period SLI (burndown) and, per window, the SLI and burn rate.
import type { Clickhouse } from '../../../storage/client.ts';
import { ident, sql } from '../../../storage/sql.ts';
import { TABLES } from '../../../storage/tables.ts';

export interface Bucketed {
  from: number;
  to: number;
  step: number;
}

export interface BudgetSeries {
  /** Bucket starts, epoch seconds. */
  times: number[];
  /** The latest value in each bucket. */
  budgetRemaining: (number | null)[];
  sli: (number | null)[];
}

export interface WindowSeries {
  times: number[];
  /** Per window (seconds): the worst (lowest) SLI and the highest burn rate in each bucket. */
  windows: { seconds: number; sli: (number | null)[]; burnRate: (number | null)[] }[];
}

const bucket = (column: string, step: number) => sql`intDiv(toUInt32(${ident(column)}), ${step}) * ${step}`;

export async function budgetSeries(ch: Clickhouse, sloId: string, r: Bucketed): Promise<BudgetSeries> {
  const rows = await ch.query<{ t: number; budget: number | null; sli: number | null }>(sql`
    SELECT ${bucket('time', r.step)} AS t, argMax(budget_remaining, time) AS budget, argMax(sli, time) AS sli
    FROM ${ident(TABLES.sloEvaluations)}
    WHERE slo_id = ${sloId} AND time >= toDateTime(${r.from}) AND time < toDateTime(${r.to})
    GROUP BY t ORDER BY t`);
  return { times: rows.map((x) => Number(x.t)), budgetRemaining: rows.map((x) => x.budget), sli: rows.map((x) => x.sli) };
}

export async function windowSeries(ch: Clickhouse, sloId: string, r: Bucketed): Promise<WindowSeries> {
  const rows = await ch.query<{ t: number; w: number; sli: number | null; burn: number | null }>(sql`
    SELECT ${bucket('time', r.step)} AS t, w, min(s) AS sli, max(b) AS burn
    FROM ${ident(TABLES.sloEvaluations)}
    ARRAY JOIN window_seconds AS w, window_sli AS s, window_burn_rate AS b
    WHERE slo_id = ${sloId} AND time >= toDateTime(${r.from}) AND time < toDateTime(${r.to})
    GROUP BY t, w ORDER BY t, w`);
  const times = [...new Set(rows.map((x) => Number(x.t)))];
  const index = new Map(times.map((t, i) => [t, i]));
  const byWindow = new Map<number, WindowSeries['windows'][number]>();
  for (const x of rows) {
    const seconds = Number(x.w);
    let w = byWindow.get(seconds);
    if (!w) byWindow.set(seconds, (w = { seconds, sli: times.map(() => null), burnRate: times.map(() => null) }));
    const i = index.get(Number(x.t))!;
    w.sli[i] = x.sli;
    w.burnRate[i] = x.burn;
  }
  return { times, windows: [...byWindow.values()].sort((a, b) => a.seconds - b.seconds) };
}

/** The first evaluation at or after `from` (the start of the burndown when history is shorter than the period). */
export async function firstEvaluation(ch: Clickhouse, sloId: string, from: number): Promise<number | null> {
  const rows = await ch.query<{ t: number }>(sql`
    SELECT toUInt32(min(time)) AS t, count() AS n FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id = ${sloId} AND time >= toDateTime(${from}) HAVING n > 0`);
  return rows[0] ? Number(rows[0].t) : null;
}
