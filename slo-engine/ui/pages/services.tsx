// Services: requests, errors and latency per service and span name from the per-minute rollup,
// each service linking to its SLOs.
import type { Viewer } from '../access/viewer.ts';
import { KIND_NAMES, type RedTotals, type ServiceRed } from '../data/service-red.ts';
import { linkParams, type TimeRange } from '../time-range.ts';
import { Layout } from '../components/layout.tsx';
import { TimePicker } from '../components/time-picker.tsx';
import { countText, msText, pct, queryString } from '../components/format.ts';

export interface ServicesProps {
  viewer: Viewer;
  services: ServiceRed[];
  /** SLO ids and names per service (the viewer's). */
  slos: Map<string, { id: string; name: string }[]>;
  range: TimeRange;
  /** 'served': server and consumer spans; 'all': every kind. */
  kinds: 'served' | 'all';
}

function RedCells({ r, seconds }: { r: RedTotals; seconds: number }) {
  return (
    <>
      <td class="num">{countText(r.requests)}</td>
      <td class="num">{(r.requests / seconds).toFixed(r.requests / seconds >= 10 ? 1 : 3)}</td>
      <td class="num">{countText(r.errors)}</td>
      <td class={`num${r.requests && r.errors / r.requests > 0.01 ? ' bad' : ''}`}>{r.requests ? pct(r.errors / r.requests, 2) : '–'}</td>
      <td class="num">{msText(r.p50)}</td>
      <td class="num">{msText(r.p90)}</td>
      <td class="num">{msText(r.p99)}</td>
    </>
  );
}

export function ServicesPage(p: ServicesProps) {
  const seconds = p.range.to - p.range.from;
  const range = linkParams(p.range);
  const showTenant = p.services.some((s) => s.tenant !== '');
  const cols = showTenant ? 10 : 9;
  return (
    <Layout title="Services" nav="services" viewer={p.viewer}>
      <div class="page-head">
        <h1>Services</h1>
        <TimePicker range={p.range} keep={p.kinds === 'all' ? { kinds: 'all' } : {}} />
      </div>
      <p class="summary">
        {p.services.length} services with traffic · span kinds:{' '}
        {p.kinds === 'served' ? (
          <>
            <strong>server and consumer</strong> (<a href={queryString({ ...range, kinds: 'all' })}>show all</a>)
          </>
        ) : (
          <>
            <strong>all</strong> (<a href={queryString(range)}>server and consumer only</a>)
          </>
        )}
      </p>
      <table class="services">
        <thead>
          <tr>
            <th>Service / span</th>
            {showTenant ? <th>Tenant</th> : null}
            <th>Kind</th>
            <th>Requests</th>
            <th>Req/s</th>
            <th>Errors</th>
            <th>Error ratio</th>
            <th>p50</th>
            <th>p90</th>
            <th>p99</th>
          </tr>
        </thead>
        {p.services.length === 0 ? (
          <tbody>
            <tr>
              <td colspan={cols} class="empty">
                No spans in this range.
              </td>
            </tr>
          </tbody>
        ) : null}
        {p.services.map((s) => {
          const slos = p.slos.get(s.service) ?? [];
          return (
            <tbody data-service={s.service}>
              <tr class="service-row">
                <th scope="row">
                  {s.service}{' '}
                  {slos.length ? (
                    <span class="slo-links">
                      <a href={`/${queryString({ service: s.service, ...range })}`}>
                        {slos.length} SLO{slos.length > 1 ? 's' : ''}
                      </a>
                      {slos.slice(0, 4).map((slo) => (
                        <a href={`/slos/${encodeURIComponent(slo.id)}${queryString(range)}`}>{slo.name}</a>
                      ))}
                      {slos.length > 4 ? <small>+{slos.length - 4} more</small> : null}
                    </span>
                  ) : (
                    <small>no SLO</small>
                  )}
                </th>
                {showTenant ? <td>{s.tenant || '–'}</td> : null}
                <td></td>
                <RedCells r={s} seconds={seconds} />
              </tr>
              {s.spans.map((x) => (
                <tr class="span-row">
                  <td class="span-name">{x.spanName}</td>
                  {showTenant ? <td></td> : null}
                  <td>{KIND_NAMES[x.kind] ?? String(x.kind)}</td>
                  <RedCells r={x} seconds={seconds} />
                </tr>
              ))}
            </tbody>
          );
        })}
      </table>
    </Layout>
  );
}
