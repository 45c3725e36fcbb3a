// One SLO: current numbers and state, the burndown, SLI and burn per tier against its threshold,
// the alert timeline with every notification and how its delivery ended, the service's traffic,
// maintenance windows, and the spec the engine runs.
import type { Child } from 'hono/jsx';
import type { Viewer } from '../access/viewer.ts';
import type { SloDetail } from '../data/slo-detail.ts';
import { linkParams } from '../time-range.ts';
import { burndownChart, latencyChart, requestsChart, sliChart, tierCharts } from '../charts.ts';
import { Layout } from '../components/layout.tsx';
import { TimePicker } from '../components/time-picker.tsx';
import { Chart } from '../components/chart.tsx';
import { TimelineLanes } from '../components/timeline.tsx';
import { AlertEvents } from '../components/alert-events.tsx';
import { BudgetBar, StateBadges, TierBurns } from '../components/status.tsx';
import { KIND_NAMES } from '../data/service-red.ts';
import { agoText, pct, queryString, utcText } from '../components/format.ts';
import { formatHuman } from '../../math/duration.ts';

export interface SloDetailProps {
  viewer: Viewer;
  detail: SloDetail;
  specYaml: string;
  now: number;
}

function Stat({ label, children }: { label: string; children?: Child }) {
  return (
    <div class="stat">
      <span class="label">{label}</span>
      <span class="value">{children}</span>
    </div>
  );
}

/** At the current burn: "3d 4h", "already exhausted", or "–" when nothing burns. */
function exhaustionText(remaining: number | null, seconds: number | null): string {
  if (remaining !== null && remaining <= 0) return 'already exhausted';
  return seconds === null ? '–' : formatHuman(seconds);
}

export function SloDetailPage({ viewer, detail: d, specYaml, now }: SloDetailProps) {
  const r = d.row;
  return (
    <Layout title={r.name} nav="slos" viewer={viewer} charts>
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href={`/${queryString(linkParams(d.range))}`}>SLOs</a> / <a href={`/${queryString({ service: r.service, ...linkParams(d.range) })}`}>{r.service}</a>
          </p>
          <h1>{r.name}</h1>
          <p class="sub">
            <code>{r.id}</code> · {r.objective}% over {r.period} · {r.sliKind} SLI{r.tenant ? ` · tenant ${r.tenant}` : ''}
          </p>
          {r.description ? <p class="sub">{r.description}</p> : null}
        </div>
        <TimePicker range={d.range} keep={{}} />
      </div>
      <section class="stats">
        <Stat label="State">
          <StateBadges status={r.status} evaluatedAt={r.evaluatedAt} now={now} />
        </Stat>
        <Stat label="SLI (period)">{pct(r.sli)}</Stat>
        <Stat label="Budget remaining">
          <BudgetBar remaining={r.budgetRemaining} />
        </Stat>
        <Stat label="Budget exhausted in">{exhaustionText(r.budgetRemaining, r.timeToExhaustion)}</Stat>
        <Stat label="Evaluated">{r.evaluatedAt === null ? 'never' : <span title={utcText(r.evaluatedAt)}>{agoText(r.evaluatedAt, now)}</span>}</Stat>
      </section>
      <section>
        <h2>Alert tiers now</h2>
        <TierBurns tiers={r.tiers} />
      </section>
      <section class="charts">
        <Chart spec={burndownChart(d)} />
        <Chart spec={sliChart(d, r.objective)} />
      </section>
      <section class="charts tiers-charts">
        {tierCharts(d, r.tiers).map((spec) => (
          <Chart spec={spec} />
        ))}
      </section>
      <section>
        <h2>Alert timeline</h2>
        <TimelineLanes timeline={d.timeline} from={d.range.from} to={d.range.to} maintenance={d.maintenance} />
        <AlertEvents timeline={d.timeline} />
      </section>
      <section class="charts">
        <Chart spec={requestsChart(d)} />
        <Chart spec={latencyChart(d)} />
      </section>
      <p class="note">
        Service <a href={`/services${queryString(linkParams(d.range))}`}>{r.service}</a>, span kinds {d.red.kinds.map((k) => KIND_NAMES[k]).join(', ')}.
      </p>
      {d.maintenance.length ? (
        <section>
          <h2>Maintenance windows</h2>
          <ul class="maintenance-list">
            {d.maintenance.map((m) => (
              <li>
                {utcText(m.start)} – {utcText(m.end)}: {m.reason || 'maintenance'}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section>
        <h2>Spec</h2>
        <pre class="spec">{specYaml}</pre>
      </section>
    </Layout>
  );
}
