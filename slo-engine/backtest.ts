// Replays evaluations over stored history through the engine's code path (evaluateAt + step),
// with alert state in memory and nothing sent.
import type { Clickhouse } from '../storage/client.ts';
import type { Slo } from './model.ts';
import { evaluateAt } from './engine.ts';
import { floorMinute, lookbackStart } from './math/windows.ts';
import { refreshCounts } from './sli/counts.ts';
import { formatDuration } from './math/duration.ts';
import { step, type AlertState, type Transition } from './alerts/state-machine.ts';

export interface BacktestOptions {
  from: number;
  to: number;
  stepSeconds: number;
  version?: number;
  log?: (line: string) => void;
}

export interface BacktestResult {
  transitions: (Transition & { tier?: string })[];
  evaluations: number;
  errors: { sloId: string; error: string }[];
}

export async function backtest(ch: Clickhouse, slos: readonly Slo[], options: BacktestOptions): Promise<BacktestResult> {
  // Counts for the whole range once (margin 0: history is settled), then plain reads per step.
  const failed = await refreshCounts(ch, slos.map((slo) => ({ slo, from: lookbackStart(slo, options.from), to: floorMinute(options.to) })), {
    marginSeconds: 0,
    version: options.version ?? Date.now(),
    ...(options.log ? { log: options.log } : {}),
  });
  const errors = [...failed].map(([sloId, error]) => ({ sloId, error }));
  const ok = slos.filter((s) => !failed.has(s.id));
  let states: AlertState[] = [];
  const transitions: BacktestResult['transitions'] = [];
  let evaluations = 0;
  for (let at = options.from; at <= options.to; at += options.stepSeconds) {
    const results = await evaluateAt(ch, ok, at);
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
  return { transitions, evaluations, errors };
}
