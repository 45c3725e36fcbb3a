// The SLO list: every SLO the viewer may see, with budget, burn per tier and alert state; filters,
// sort and time range in the URL; the summary and table refresh themselves.
import type { Viewer } from '../access/viewer.ts';
import { SLO_STATES } from '../data/derived.ts';
import type { SloRow } from '../data/slo-list.ts';
import { SORTS, listParams, type ListQuery } from '../list-query.ts';
import { linkParams, type TimeRange } from '../time-range.ts';
import { Layout } from '../components/layout.tsx';
import { TimePicker } from '../components/time-picker.tsx';
import { BudgetBar, StateBadges, TierBurns } from '../components/status.tsx';
import { agoText, pct, queryString } from '../components/format.ts';

export interface SloListProps {
  viewer: Viewer;
  /** After filtering and sorting. */
  rows: SloRow[];
  /** Every SLO the viewer may see (for the counts and the service filter). */
  all: SloRow[];
  query: ListQuery;
  range: TimeRange;
  now: number;
  refreshSeconds: number;
}

const STATE_LABEL: Record<string, string> = { firing: 'firing', stale: 'stale', 'no-data': 'no data', inhibited: 'inhibited', resolved: 'resolved', ok: 'ok' };

function Summary({ all, rows, now }: { all: SloRow[]; rows: SloRow[]; now: number }) {
  const count = (state: string) => all.filter((r) => r.status.states.includes(state as never)).length;
  const latest = Math.max(0, ...all.map((r) => r.evaluatedAt ?? 0));
  return (
    <p class="summary" data-live="summary">
      <strong>{all.length}</strong> SLOs{rows.length !== all.length ? ` (${rows.length} shown)` : ''} ·{' '}
      <span class="count firing">{count('firing')} firing</span> · <span class="count no-data">{count('no-data')} no data</span> ·{' '}
      <span class="count stale">{count('stale')} stale</span>
      {latest ? <> · last evaluation {agoText(latest, now)}</> : null}
    </p>
  );
}

function Filters({ all, query, range }: { all: SloRow[]; query: ListQuery; range: TimeRange }) {
  const services = [...new Set(all.map((r) => r.service))].sort();
  return (
    <form method="get" class="filters" data-autosubmit="true">
      {Object.entries(linkParams(range)).map(([k, v]) => (
        <input type="hidden" name={k} value={v} />
      ))}
      <input type="search" name="q" value={query.q} placeholder="Filter by text" aria-label="text filter" />
      <select name="service" aria-label="service">
        <option value="">all services</option>
        {services.map((s) => (
          <option value={s} selected={s === query.service}>
            {s}
          </option>
        ))}
      </select>
      <select name="state" aria-label="state">
        <option value="">any state</option>
        {SLO_STATES.map((s) => (
          <option value={s} selected={s === query.state}>
            {STATE_LABEL[s]}
          </option>
        ))}
      </select>
      <select name="sort" aria-label="sort">
        {Object.entries(SORTS).map(([k, label]) => (
          <option value={k} selected={k === query.sort}>
            sort: {label}
          </option>
        ))}
      </select>
      <button type="submit">Apply</button>
    </form>
  );
}

export function SloListPage(p: SloListProps) {
  const keep = { ...listParams(p.query) };
  const rangeQuery = queryString(linkParams(p.range));
  const showTenant = p.all.some((r) => r.tenant !== '');
  return (
    <Layout title="SLOs" nav="slos" viewer={p.viewer} refreshSeconds={p.refreshSeconds}>
      <div class="page-head">
        <h1>SLOs</h1>
        <TimePicker range={p.range} keep={keep} />
      </div>
      <Summary all={p.all} rows={p.rows} now={p.now} />
      <Filters all={p.all} query={p.query} range={p.range} />
      <table class="slos" data-live="table">
        <thead>
          <tr>
            <th class="w-slo">SLO</th>
            <th class="w-service">Service</th>
            {showTenant ? <th class="w-tenant">Tenant</th> : null}
            <th class="w-objective">Objective</th>
            <th class="w-sli">SLI</th>
            <th class="w-budget">Budget remaining</th>
            <th class="w-burn" title="A tier fires when both its long and its short window burn faster than its threshold">Burn rate (long · short / threshold)</th>
            <th class="w-state">State</th>
          </tr>
        </thead>
        <tbody>
          {p.rows.length === 0 ? (
            <tr>
              <td colspan={showTenant ? 8 : 7} class="empty">
                {p.all.length === 0 ? 'No SLOs.' : 'No SLO matches these filters.'}
              </td>
            </tr>
          ) : (
            p.rows.map((r) => (
              <tr data-slo={r.id} data-state={r.status.state}>
                <td>
                  <a href={`/slos/${encodeURIComponent(r.id)}${rangeQuery}`}>{r.name}</a>
                  {r.name !== r.id ? <small class="id">{r.id}</small> : null}
                </td>
                <td>
                  <a href={queryString({ ...keep, ...linkParams(p.range), service: r.service })}>{r.service}</a>
                </td>
                {showTenant ? <td>{r.tenant || '–'}</td> : null}
                <td>
                  {r.objective}% <small>{r.period}</small>
                  <small class="kind">{r.sliKind}</small>
                </td>
                <td class="num">{pct(r.sli)}</td>
                <td>
                  <BudgetBar remaining={r.budgetRemaining} />
                </td>
                <td>
                  <TierBurns tiers={r.tiers} />
                </td>
                <td>
                  <StateBadges status={r.status} evaluatedAt={r.evaluatedAt} now={p.now} />
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </Layout>
  );
}
