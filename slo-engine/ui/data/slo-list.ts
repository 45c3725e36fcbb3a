// The SLO list's data: per SLO its latest stored evaluation and alert states, with its status.
// Read from ClickHouse (what every replica wrote), not from this process's last tick, so a
// restarted engine shows what is true; staleness is views.ts's rule over the recorded evaluation
// plus what the running engine knows (a failed tick), inhibition the state machine's.
import type { Clickhouse } from '../../../storage/client.ts';
import { ident, sql } from '../../../storage/sql.ts';
import { TABLES } from '../../../storage/tables.ts';
import { tenantOf, type Severity, type Slo } from '../../model.ts';
import { loadAlertStates } from '../../alerts/store.ts';
import { describeInhibition, tierInhibitions, type AlertState } from '../../alerts/state-machine.ts';
import { staleness, type StalenessFacts } from '../../views.ts';
import { inSet } from '../../sli/sql-set.ts';
import { evaluationPlan } from '../../math/windows.ts';
import { formatDuration } from '../../math/duration.ts';
import { toNumber } from '../../math/rational.ts';
import { deriveStatus, type SloStatus } from './derived.ts';

export interface TierNow {
  severity: string;
  /** "1h/5m" */
  windows: string;
  factor: number;
  burnLong: number | null;
  burnShort: number | null;
  /** 'burning', 'ok', 'no-data', 'low-traffic'; '' before the first evaluation. */
  condition: string;
  /** Why the tier may not fire now (the state machine's rule and words), null when it may. */
  inhibited: string | null;
}

export interface SloRow {
  id: string;
  name: string;
  service: string;
  tenant: string;
  description: string;
  labels: Record<string, string>;
  /** Percent as written ("99.9"). */
  objective: string;
  period: string;
  sliKind: string;
  /** Epoch seconds of the latest evaluation, null when there is none. */
  evaluatedAt: number | null;
  sli: number | null;
  budgetRemaining: number | null;
  timeToExhaustion: number | null;
  noData: boolean | null;
  periodStart: number | null;
  tiers: TierNow[];
  status: SloStatus;
}

interface LatestRow {
  slo_id: string;
  at: number;
  /** Window end of the evaluation (epoch s). */
  end: number;
  period_start: number;
  sli: number | null;
  budget_remaining: number | null;
  tte: number | null;
  no_data: number;
  window_seconds: number[];
  window_burn_rate: (number | null)[];
  tier_severity: string[];
  tier_long_seconds: number[];
  tier_short_seconds: number[];
  tier_factor: number[];
  tier_condition: string[];
}

/** Looked back in steps: the usual case (evaluated within the hour) reads one hour of rows. */
const LOOKBACKS = [3600, 3 * 86_400, 40 * 86_400];

/** The latest evaluation of each SLO (within 40 days). */
export async function latestEvaluations(ch: Clickhouse, ids: readonly string[], now: number): Promise<Map<string, LatestRow>> {
  const found = new Map<string, LatestRow>();
  for (const lookback of LOOKBACKS) {
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) break;
    const since = sql`time >= toDateTime(${now - lookback})`;
    const rows = await ch.query<LatestRow>(sql`
      SELECT slo_id, toUInt32(time) AS at, toUInt32(window_end) AS end, toUInt32(period_start) AS period_start, sli, budget_remaining, time_to_exhaustion_seconds AS tte, no_data,
        window_seconds, window_burn_rate, tier_severity, tier_long_seconds, tier_short_seconds, tier_factor, tier_condition
      FROM ${ident(TABLES.sloEvaluations)}
      WHERE slo_id IN ${inSet(missing)} AND ${since}
        AND (slo_id, time) IN (SELECT slo_id, max(time) FROM ${ident(TABLES.sloEvaluations)} WHERE slo_id IN ${inSet(missing)} AND ${since} GROUP BY slo_id)
      LIMIT 1 BY slo_id`);
    for (const r of rows) found.set(r.slo_id, { ...r, at: Number(r.at), end: Number(r.end), period_start: Number(r.period_start) });
  }
  return found;
}

const periodLabel = (slo: Slo) => (slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : `calendar ${slo.period.unit} (${slo.period.timeZone})`);

function tiersOf(slo: Slo, latest: LatestRow | undefined, states: readonly AlertState[], now: number): TierNow[] {
  if (!latest) {
    return evaluationPlan(slo, now).tiers.map((t) => ({ severity: t.severity, windows: `${formatDuration(t.long)}/${formatDuration(t.short)}`, factor: toNumber(t.factor), burnLong: null, burnShort: null, condition: '', inhibited: null }));
  }
  const burnOf = (seconds: number) => latest.window_burn_rate[latest.window_seconds.indexOf(seconds)] ?? null;
  const tiers = latest.tier_severity.map((severity, i) => ({ severity: severity as Severity, short: latest.tier_short_seconds[i]! }));
  // As `status` does: the engine's rule over its stored states, at the evaluation's window end.
  const why = tierInhibitions(slo, tiers, latest.end, states);
  return latest.tier_severity.map((severity, i) => {
    const long = latest.tier_long_seconds[i]!;
    const short = latest.tier_short_seconds[i]!;
    const inhibition = why[i];
    // The engine records a burning tier it held back as 'inhibited'; here it is a burning tier with a reason.
    const condition = latest.tier_condition[i] === 'inhibited' ? 'burning' : latest.tier_condition[i]!;
    return {
      severity,
      windows: `${formatDuration(long)}/${formatDuration(short)}`,
      factor: latest.tier_factor[i]!,
      burnLong: burnOf(long),
      burnShort: burnOf(short),
      condition,
      inhibited: inhibition ? describeInhibition(inhibition, { short }, latest.end) : null,
    };
  });
}

export interface ListOptions {
  /** Epoch seconds. */
  now: number;
  /** views.ts staleness limit, seconds. */
  staleAfter: number;
  /** What the running engine knows beyond ClickHouse (a failed tick, an SLO it cannot evaluate); absent: a reader of ClickHouse only. */
  engineFacts?: (sloId: string) => StalenessFacts;
  /** Resolves at or after this instant show as "resolved". */
  recentSince: number;
}

/** One row per SLO, in the order given. */
export async function listSlos(ch: Clickhouse, slos: readonly Slo[], options: ListOptions): Promise<SloRow[]> {
  if (slos.length === 0) return [];
  const ids = slos.map((s) => s.id);
  const [latest, states] = await Promise.all([latestEvaluations(ch, ids, options.now), loadAlertStates(ch, ids)]);
  return slos.map((slo) => {
    const e = latest.get(slo.id);
    const mine = states.filter((s) => s.sloId === slo.id);
    const tiers = tiersOf(slo, e, mine, options.now);
    const engine = options.engineFacts?.(slo.id);
    // The later of the recorded evaluation and the engine's memory of one (it may not be readable yet).
    const lastEvaluation = Math.max(e?.at ?? -1, engine?.lastEvaluation ?? -1);
    const status = deriveStatus({
      staleness: staleness({ ...engine, lastEvaluation: lastEvaluation < 0 ? null : lastEvaluation }, options.now, options.staleAfter),
      noData: e ? e.no_data === 1 : null,
      tiers,
      alerts: mine,
      recentSince: options.recentSince,
    });
    return {
      id: slo.id,
      name: slo.name,
      service: slo.service,
      tenant: tenantOf(slo),
      description: slo.description,
      labels: slo.labels,
      objective: slo.objective,
      period: periodLabel(slo),
      sliKind: slo.sli.kind,
      evaluatedAt: e?.at ?? null,
      sli: e?.sli ?? null,
      budgetRemaining: e?.budget_remaining ?? null,
      timeToExhaustion: e?.tte ?? null,
      noData: e ? e.no_data === 1 : null,
      periodStart: e?.period_start ?? null,
      tiers,
      status,
    };
  });
}
