// An SLO's alert state as badges, its budget as a bar, its tiers' burn against their thresholds.
// Bars are SVG attributes, not inline styles, so the pages keep a strict Content-Security-Policy.
import type { SloStatus } from '../data/derived.ts';
import type { TierNow } from '../data/slo-list.ts';
import { tierPressure } from '../list-query.ts';
import { agoText, burnText, pct } from './format.ts';

export function StateBadges({ status, evaluatedAt, now }: { status: SloStatus; evaluatedAt: number | null; now: number }) {
  return (
    <span class="badges" data-state={status.state} data-states={status.states.join(' ')}>
      {status.alerts.map((a) => (
        <span class={`badge ${a.status}`} title={a.since ? `since ${new Date(a.since * 1000).toISOString()}` : undefined}>
          {a.kind} {a.status}
          {a.since && a.status !== 'inhibited' ? <small> {agoText(a.since, now)}</small> : null}
        </span>
      ))}
      {status.states.includes('no-data') && !status.alerts.some((a) => a.kind === 'no-data' && a.status === 'firing') ? <span class="badge no-data">no data</span> : null}
      {status.stale ? (
        <span class="badge stale" title="the engine has not evaluated this SLO for more than three intervals">
          stale <small>{evaluatedAt === null ? 'never evaluated' : `evaluated ${agoText(evaluatedAt, now)}`}</small>
        </span>
      ) : null}
      {status.state === 'ok' ? <span class="badge ok">ok</span> : null}
    </span>
  );
}

/** Budget remaining: a bar of what is left (empty and red when overspent) and the number. */
export function BudgetBar({ remaining }: { remaining: number | null }) {
  const level = remaining === null ? 'none' : remaining > 0.5 ? 'good' : remaining > 0.2 ? 'warn' : 'bad';
  const width = remaining === null ? 0 : Math.max(0, Math.min(1, remaining)) * 100;
  return (
    <span class={`budget ${level}`}>
      <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
        <rect class="track" x="0" y="0" width="100" height="8" />
        <rect class="fill" x="0" y="0" width={width.toFixed(1)} height="8" />
      </svg>
      <span class="num">{pct(remaining, 1)}</span>
    </span>
  );
}

/** Each tier: long and short window burn rates against the factor both must exceed. */
export function TierBurns({ tiers }: { tiers: readonly TierNow[] }) {
  return (
    <span class="tiers">
      {tiers.map((t) => {
        const pressure = tierPressure(t);
        const hot = pressure !== null && pressure > 1 ? ' hot' : pressure !== null && pressure > 0.5 ? ' warm' : '';
        return (
          <span class={`tier${hot}`} title={`${t.severity} ${t.windows}: fires when both windows burn faster than ${t.factor}× (${t.condition || 'not evaluated'})`}>
            <span class="sev">{t.severity}</span> <span class="win">{t.windows}</span> {burnText(t.burnLong)} · {burnText(t.burnShort)} <span class="thr">/ {burnText(t.factor)}</span>
          </span>
        );
      })}
    </span>
  );
}
