// Replays evaluations over stored history through the engine's code path (evaluateCounted + step),
// with alert state in memory and nothing sent. It counts what is missing read-only: settled minutes
// into the counts table, anything newer in memory (see sli/coverage.ts), so it never changes what
// the live engine counts and never registers the SLOs it replays.
import type { Clickhouse } from '../storage/client.ts';
import type { Slo } from './model.ts';
import { evaluateCounted, prepareCounts } from './evaluate-at.ts';
import { formatDuration } from './math/duration.ts';
import { step, type AlertState, type Transition } from './alerts/state-machine.ts';

export interface BacktestOptions {
  from: number;
  to: number;
  stepSeconds: number;
  /** The caller's clock (epoch s): minutes within the re-count margin of it are not written. */
  now: number;
  marginSeconds?: number;
  version?: number;
  log?: (line: string) => void;
}

export interface BacktestResult {
  transitions: (Transition & { tier?: string })[];
  evaluations: number;
  errors: { sloId: string; error: string }[];
  warnings: { sloId: string; warning: string }[];
}

export async function backtest(ch: Clickhouse, slos: readonly Slo[], options: BacktestOptions): Promise<BacktestResult> {
  // Counts for the whole range once, then plain sums per step.
  const prepared = await prepareCounts(ch, slos, options.from, options.to, {
    mode: 'read-only',
    now: options.now,
    marginSeconds: options.marginSeconds ?? 600,
    version: options.version ?? Date.now(),
    ...(options.log ? { log: options.log } : {}),
  });
  const errors = [...prepared.errors].map(([sloId, error]) => ({ sloId, error }));
  const warnings = [...prepared.warnings].flatMap(([sloId, list]) => list.map((warning) => ({ sloId, warning })));
  const ok = slos.filter((s) => !prepared.errors.has(s.id));
  let states: AlertState[] = [];
  const transitions: BacktestResult['transitions'] = [];
  let evaluations = 0;
  // Partition state and summed hours, carried from one step to the next.
  const cache = {};
  for (let at = options.from; at <= options.to; at += options.stepSeconds) {
    const results = await evaluateCounted(ch, ok, at, { ...prepared, errors: new Map() }, cache);
    const next: AlertState[] = [];
    for (const r of results) {
      if (!r.evaluation) continue;
      evaluations++;
      const stepped = step(r.slo, states, r.evaluation);
      next.push(...stepped.states);
      for (const t of stepped.transitions) {
        const burning = r.evaluation.tiers.filter((x) => x.severity === t.kind && x.condition === 'true');
        transitions.push({ ...t, ...(burning.length ? { tier: burning.map((x) => `${formatDuration(x.long)}/${formatDuration(x.short)}`).join(',') } : {}) });
      }
    }
    states = next;
  }
  return { transitions, evaluations, errors, warnings };
}
