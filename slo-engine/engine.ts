// One tick: refresh SLI counts, evaluate every SLO, step the alert state machines, persist
// evaluations and states, then deliver the transitions. IO is limited to ClickHouse and the
// channels; the clock is injected.
import { randomBytes } from 'node:crypto';
import type { Clickhouse } from '../storage/client.ts';
import { TABLES } from '../storage/tables.ts';
import type { Slo } from './model.ts';
import { evaluate, type Evaluation } from './evaluate.ts';
import { evaluationPlan, floorMinute, lookbackStart } from './math/windows.ts';
import { fetchWindowCounts, refreshCounts, settleDays } from './sli/counts.ts';
import { ALERT_KINDS, inactive, step, type AlertState, type Transition } from './alerts/state-machine.ts';
import { loadAlertStates, saveAlertStates } from './alerts/store.ts';
import type { Router } from './notify/channels.ts';
import { buildNotice } from './notify/notice.ts';
import { claim, dedupKey, record, type LedgerEntry } from './notify/ledger.ts';
import type { DeliveryResult, SendOptions } from './notify/send.ts';
import { formatDuration } from './math/duration.ts';
import { toNumber } from './math/rational.ts';

export interface EvaluateOptions {
  /** Refresh counts first (the engine and `status` do; `backtest` refreshes its range once). */
  refresh?: { marginSeconds: number; version: number; log?: (line: string) => void };
}

export interface SloEvaluation {
  slo: Slo;
  evaluation?: Evaluation;
  error?: string;
}

/** Evaluates every SLO at `at` (epoch seconds). Shared by the engine, `status` and `backtest`. */
export async function evaluateAt(ch: Clickhouse, slos: readonly Slo[], at: number, options: EvaluateOptions = {}): Promise<SloEvaluation[]> {
  const errors = options.refresh
    ? await refreshCounts(ch, slos.map((slo) => ({ slo, from: lookbackStart(slo, at), to: floorMinute(at) })), options.refresh)
    : new Map<string, string>();
  const ok = slos.filter((s) => !errors.has(s.id));
  const items = ok.map((slo) => ({ slo, plan: evaluationPlan(slo, at) }));
  const counts = await fetchWindowCounts(ch, items);
  return slos.map((slo) => {
    const error = errors.get(slo.id);
    if (error) return { slo, error };
    const item = items.find((i) => i.slo === slo)!;
    return { slo, evaluation: evaluate(slo, item.plan, counts.get(slo.id)!, at) };
  });
}

export interface Delivery {
  sloId: string;
  kind: string;
  event: string;
  channel: string;
  outcome: 'sent' | 'failed' | 'skipped';
  httpStatus: number;
  attempts: number;
  error: string;
}

export interface TickResult {
  at: number;
  results: SloEvaluation[];
  states: AlertState[];
  transitions: Transition[];
  deliveries: Delivery[];
  durationMs: number;
}

export interface EngineOptions {
  ch: Clickhouse;
  slos: Slo[];
  router: Router;
  /** Epoch milliseconds. */
  clock?: () => number;
  replicaId?: string;
  /** Trailing re-count margin (default 10 minutes). */
  marginSeconds?: number;
  /** Wait between claiming and checking a notification (default 1.5 s; see notify/ledger.ts). */
  settleMs?: number;
  leaseSeconds?: number;
  sendOptions?: SendOptions;
  dashboardUrl?: string;
  log?: (line: string) => void;
}

export function evaluationRow(slo: Slo, e: Evaluation, states: readonly AlertState[]) {
  const mine = states.filter((s) => s.sloId === slo.id);
  const firing = (kind: string) => (mine.some((s) => s.kind === kind && s.status === 'firing') ? 1 : 0);
  return {
    time: e.at,
    window_end: e.end,
    slo_id: slo.id,
    service: slo.service,
    slo_name: slo.name,
    objective: Number(slo.objective),
    period: slo.period.type === 'rolling' ? formatDuration(slo.period.seconds) : `${slo.period.unit} ${slo.period.timeZone}`,
    period_start: e.periodStart,
    period_good: e.period.good.toString(),
    period_total: e.period.total.toString(),
    sli: e.sli,
    budget_remaining: e.budgetRemaining,
    time_to_exhaustion_seconds: e.timeToExhaustion,
    no_data: e.noData ? 1 : 0,
    window_seconds: e.windows.map((w) => w.seconds),
    window_good: e.windows.map((w) => w.good.toString()),
    window_total: e.windows.map((w) => w.total.toString()),
    window_sli: e.windows.map((w) => w.sli),
    window_burn_rate: e.windows.map((w) => w.burnRate),
    tier_severity: e.tiers.map((t) => t.severity),
    tier_long_seconds: e.tiers.map((t) => t.long),
    tier_short_seconds: e.tiers.map((t) => t.short),
    tier_factor: e.tiers.map((t) => toNumber(t.factor)),
    tier_condition: e.tiers.map((t) => t.reason),
    alert_kind: mine.map((s) => s.kind),
    alert_status: mine.map((s) => s.status),
    page_firing: firing('page'),
    ticket_firing: firing('ticket'),
  };
}

export interface Engine {
  readonly replicaId: string;
  tick(): Promise<TickResult>;
  /** The last tick, for the HTTP API and gauges. */
  last(): TickResult | undefined;
}

export function createEngine(options: EngineOptions): Engine {
  const clock = options.clock ?? Date.now;
  const replicaId = options.replicaId ?? randomBytes(6).toString('hex');
  const log = options.log ?? (() => {});
  let last: TickResult | undefined;

  async function deliver(transitions: Transition[], byId: Map<string, SloEvaluation>): Promise<Delivery[]> {
    const jobs: { entry: LedgerEntry; run: () => Promise<DeliveryResult> }[] = [];
    for (const t of transitions) {
      const { slo, evaluation } = byId.get(t.sloId)!;
      const notice = buildNotice(slo, t, evaluation!, options.dashboardUrl);
      for (const channel of options.router.channelsFor(slo, t.kind)) {
        jobs.push({
          entry: { key: dedupKey(t, channel.id), sloId: t.sloId, kind: t.kind, event: t.status, channel: channel.id },
          run: () => channel.send(notice, options.sendOptions),
        });
      }
    }
    const won = await claim(options.ch, jobs.map((j) => j.entry), replicaId, { settleMs: options.settleMs ?? 1500, leaseSeconds: options.leaseSeconds ?? 120 });
    const deliveries = await Promise.all(
      jobs.map(async ({ entry, run }): Promise<Delivery> => {
        const base = { sloId: entry.sloId, kind: entry.kind, event: entry.event, channel: entry.channel };
        if (!won.has(entry.key)) return { ...base, outcome: 'skipped', httpStatus: 0, attempts: 0, error: 'already delivered or claimed by another replica' };
        const result = await run();
        const outcome = result.ok ? 'sent' : 'failed';
        await record(options.ch, [{ ...entry, outcome, httpStatus: result.status, attempts: result.attempts, error: result.error }], replicaId);
        log(`${outcome} ${entry.event} ${entry.kind} for SLO ${JSON.stringify(entry.sloId)} via ${entry.channel} (HTTP ${result.status}, ${result.attempts} attempt(s))${result.error ? ': ' + result.error : ''}`);
        return { ...base, outcome, httpStatus: result.status, attempts: result.attempts, error: result.error };
      }),
    );
    return deliveries;
  }

  return {
    replicaId,
    last: () => last,
    async tick() {
      const started = clock();
      const at = Math.floor(started / 1000);
      const results = await evaluateAt(options.ch, options.slos, at, { refresh: { marginSeconds: options.marginSeconds ?? 600, version: started, log } });
      for (const r of results) if (r.error) log(`SLO ${JSON.stringify(r.slo.id)}: ${r.error}`);
      const previous = await loadAlertStates(options.ch, options.slos.map((s) => s.id));
      const states: AlertState[] = [];
      const transitions: Transition[] = [];
      const byId = new Map(results.map((r) => [r.slo.id, r]));
      for (const r of results) {
        if (!r.evaluation) {
          // Keep the last known state of an SLO that could not be evaluated.
          states.push(...ALERT_KINDS.map((k) => previous.find((s) => s.sloId === r.slo.id && s.kind === k) ?? inactive(r.slo.id, k)));
          continue;
        }
        const stepped = step(r.slo, previous, r.evaluation);
        states.push(...stepped.states);
        transitions.push(...stepped.transitions);
      }
      // State first, then delivery: a replica that ticks meanwhile sees the new state (see README).
      await options.ch.insertJson(
        TABLES.sloEvaluations,
        results.flatMap((r) => (r.evaluation ? [evaluationRow(r.slo, r.evaluation, states)] : [])),
      );
      await saveAlertStates(options.ch, states, started);
      for (const t of transitions) log(`${t.status} ${t.kind} for SLO ${JSON.stringify(t.sloId)} at ${new Date(t.at * 1000).toISOString()}`);
      const deliveries = await deliver(transitions, byId);
      // Merge one settled day partition per tick, so window sums need FINAL only for recent days.
      await settleDays(options.ch, at, (options.marginSeconds ?? 600) + 3600).catch((err: unknown) => log(`settling counts failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
      last = { at, results, states, transitions, deliveries, durationMs: clock() - started };
      return last;
    },
  };
}
