import { describe, expect, it } from 'vitest';
import { jsx } from 'hono/jsx';
import { SloListPage } from '../../slo-engine/ui/pages/slo-list.tsx';
import { SloDetailPage } from '../../slo-engine/ui/pages/slo-detail.tsx';
import { parseListQuery } from '../../slo-engine/ui/list-query.ts';
import { parseTimeRange } from '../../slo-engine/ui/time-range.ts';
import { burndownChart, tierCharts, type ChartSpec } from '../../slo-engine/ui/charts.ts';
import type { SloRow } from '../../slo-engine/ui/data/slo-list.ts';
import type { SloDetail } from '../../slo-engine/ui/data/slo-detail.ts';

// The pages rendered from plain data (no ClickHouse): what reaches the browser is escaped, and the
// charts' specs survive the trip through an HTML attribute.

const NOW = Date.parse('2026-05-10T12:00:00Z') / 1000;
const HOSTILE = `"><script>alert('x')</script>&`;
const viewer = { authenticated: false, via: 'none' as const };
const range = parseTimeRange({ range: '1h' }, NOW);

const row: SloRow = {
  id: HOSTILE, name: HOSTILE, service: HOSTILE, tenant: HOSTILE, description: HOSTILE, labels: { team: HOSTILE }, objective: '99.9', period: '30d', sliKind: 'availability',
  evaluatedAt: NOW - 30, sli: 0.995, budgetRemaining: -4, timeToExhaustion: 0, noData: false, periodStart: NOW - 30 * 86_400,
  tiers: [
    { severity: 'page', windows: '1h/5m', factor: 14.4, burnLong: 20, burnShort: 40, condition: 'burning', inhibited: null },
    { severity: 'ticket', windows: '1d/2h', factor: 3, burnLong: 5, burnShort: 6, condition: 'burning', inhibited: HOSTILE },
  ],
  status: {
    state: 'firing',
    states: ['firing', 'inhibited'],
    alerts: [{ kind: 'page', status: 'firing', since: NOW - 600 }, { kind: 'ticket', status: 'inhibited', since: 0, reason: HOSTILE }],
    stale: false,
    staleReason: null,
  },
};

const detail: SloDetail = {
  row,
  range,
  burndown: { times: [NOW - 120, NOW - 60], budgetRemaining: [0.5, -4], sli: [0.999, 0.995], from: NOW - 180, to: NOW, step: 60, periodStart: NOW - 30 * 86_400 },
  windows: { times: [NOW - 120, NOW - 60], windows: [300, 3600, 7200, 86_400].map((seconds) => ({ seconds, sli: [1, 0.6], burnRate: [0, seconds === 300 ? 40 : seconds === 3600 ? 20 : 5] })) },
  red: { times: [NOW - 120, NOW - 60], requestsPerMinute: [100, 100], errorsPerMinute: [0, 40], p50: [20, 21], p90: [40, 41], p99: [80, null], kinds: [2] },
  timeline: {
    lanes: [{ kind: 'page', segments: [{ from: NOW - 3600, to: NOW - 600, firing: false }, { from: NOW - 600, to: NOW - 60, firing: true }] }],
    transitions: [{ at: NOW - 600, kind: 'page', status: 'firing' }],
    notifications: [
      { kind: 'page', event: 'firing', channel: 'slack:SLACK_WEBHOOK_URL', status: 'pending', attempts: 4, httpStatus: 500, error: HOSTILE, transitionAt: new Date((NOW - 600) * 1000).toISOString(), nextAttempt: new Date((NOW + 60) * 1000).toISOString() },
    ],
  },
  maintenance: [{ start: NOW - 1800, end: NOW - 1500, reason: HOSTILE }],
};

const render = async (node: unknown) => String(await (node as { toString(): Promise<string> | string }).toString());
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

describe('rendered pages', () => {
  it('escape every text from SLO files and ClickHouse', async () => {
    const list = await render(jsx(SloListPage as never, { viewer, all: [row], rows: [row], query: parseListQuery({}), range, now: NOW, refreshSeconds: 30 }));
    const page = await render(jsx(SloDetailPage as never, { viewer, detail, specYaml: HOSTILE, now: NOW }));
    for (const html of [list, page]) {
      expect(html).not.toContain(HOSTILE);
      expect(html).not.toContain('<script>alert');
      expect(html).not.toContain("alert('x')");
      expect(html).toContain('&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;');
    }
    expect(list).toContain(`href="/slos/${encodeURIComponent(HOSTILE).replace(/'/g, '&#39;')}?range=1h"`);
  });

  it('carry each chart spec intact in its data attribute', async () => {
    const page = await render(jsx(SloDetailPage as never, { viewer, detail, specYaml: '', now: NOW }));
    const specs = [...page.matchAll(/data-chart="([^"]*)"/g)].map((m) => JSON.parse(unescape(m[1]!)) as ChartSpec);
    expect(specs.map((s) => s.id)).toEqual(['burndown', 'sli', 'burn-0', 'burn-1', 'requests', 'latency']);
    expect(specs[0]).toEqual(burndownChart(detail));
    expect(specs[5]!.bands).toEqual([{ from: NOW - 1800, to: NOW - 1500, label: HOSTILE }]);
  });
});

describe('chart specs', () => {
  it('draw each tier\'s long and short window against its factor, over the page range', () => {
    const [page, ticket] = tierCharts(detail, row.tiers);
    expect(page).toMatchObject({ id: 'burn-0', title: 'page 1h/5m: burn rate vs 14.4×', unit: 'burn', from: range.from, to: range.to, times: [NOW - 120, NOW - 60] });
    expect(page!.series).toEqual([
      { label: '1h (long)', values: [0, 20], color: '#2563eb' },
      { label: '5m (short)', values: [0, 40], color: '#d97706' },
      { label: 'threshold 14.4×', values: [14.4, 14.4], color: '#dc2626', dash: true },
    ]);
    expect(ticket!.series.map((s) => s.values)).toEqual([[0, 5], [0, 5], [3, 3]]);
  });

  it('draw the burndown from the first evaluation, with the exhaustion line at 0', () => {
    const spec = burndownChart(detail);
    expect(spec).toMatchObject({ from: NOW - 180, to: NOW, unit: 'percent' });
    expect(spec.series.map((s) => [s.label, s.values])).toEqual([['budget remaining', [0.5, -4]], ['exhausted', [0, 0]]]);
    expect(spec.note).toBe('latest evaluation per 1m; the period started 2026-04-10 12:00 UTC');
  });
});
