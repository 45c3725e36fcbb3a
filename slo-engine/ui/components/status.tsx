// An SLO's alert state as badges, its budget as a bar, its tiers' burn against their thresholds.
// Bars are SVG attributes, not inline styles, so the pages keep a strict Content-Security-Policy.
import type { SloStatus } from '../data/derived.ts';
import type { TierNow } from '../data/slo-list.ts';
import { tierPressure } from '../list-query.ts';
import { agoText, burnText, pct } from './format.ts';

export function StateBadges({ status, evaluatedAt, now }: { status: SloStatus; evaluatedAt: number | null; now: number }) {
  return (
    <span class="badges">
      {status.alerts.map((a) => (
        <span class={`badge ${a.status}`} title={a.reason ?? (a.since ? `since ${new Date(a.since * 1000).toISOString()}` : undefined)}>
          {a.kind} {a.status}
          {a.since && a.status !== 'inhibited' ? <small> {agoText(a.since, now)}</small> : null}
        </span>
      ))}
      {status.states.includes('no-data') && !status.alerts.some((a) => a.kind === 'no-data' && a.status === 'firing') ? <span class="badge no-data">no data</span> : null}
      {status.stale ? (
        <span class="badge stale" title={`${status.staleReason ?? 'stale'}: its alerts are frozen until the engine evaluates it again`}>
          stale <small>{evaluatedAt === null ? 'never evaluated' : `evaluated ${agoText(evaluatedAt, now)}`}</small>
        </span>
      ) : null}
      {status.state === 'ok' ? <span class="badge ok">ok</span> : null}
    </span>
  );
}

/**
 * Budget remaining: a native <meter> (green above half, amber above a fifth, red below; empty when
 * overspent) and the number. A few dozen bytes a row, which matters with a thousand rows.
 */
export function BudgetBar({ remaining }: { remaining: number | null }) {
  const level = remaining === null ? 'none' : remaining > 0.5 ? 'good' : remaining > 0.2 ? 'warn' : 'bad';
  const value = remaining === null ? 0 : Math.max(0, Math.min(1, remaining));
  return (
    <span class={`budget ${level}`}>
      <meter min={0} max={1} low={0.2} high={0.5} optimum={1} value={Number(value.toFixed(3))} aria-label="budget remaining"></meter>
      <span class="num">{pct(remaining, 1)}</span>
    </span>
  );
}

/** Each tier: long and short window burn rates against the factor both must exceed to fire; why it may not fire, if so. */
export function TierBurns({ tiers }: { tiers: readonly TierNow[] }) {
  return (
    <span class="tiers">
      {tiers.map((t) => {
        const pressure = tierPressure(t);
        const heat = pressure !== null && pressure > 1 ? 'tier hot' : pressure !== null && pressure > 0.5 ? 'tier warm' : 'tier';
        return (
          <span class={heat} title={t.inhibited ?? undefined}>
            <i>
              {t.severity} {t.windows}
            </i>
            {burnText(t.burnLong)} · {burnText(t.burnShort)} / {burnText(t.factor)}
            {t.inhibited && t.condition === 'burning' ? <small class="held"> inhibited</small> : null}
          </span>
        );
      })}
    </span>
  );
}
