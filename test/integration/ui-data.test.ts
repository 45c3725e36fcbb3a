import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { seedUiHistory, type UiSeed } from '../support/ui-seed.ts';
import { listSlos, latestEvaluations } from '../../slo-engine/ui/data/slo-list.ts';
import { sloDetail } from '../../slo-engine/ui/data/slo-detail.ts';
import { alertTimeline } from '../../slo-engine/ui/data/alert-timeline.ts';
import { servicesRed, serviceRedSeries, SERVED_KINDS } from '../../slo-engine/ui/data/service-red.ts';
import { budgetSeries, windowSeries } from '../../slo-engine/ui/data/slo-series.ts';
import { parseTimeRange } from '../../slo-engine/ui/time-range.ts';
import { createServer, createSloMetrics } from '../../slo-engine/server.ts';
import type { Engine } from '../../slo-engine/engine.ts';
import { engineFacts } from '../../slo-engine/views.ts';

// The UI's data functions against a history the real engine wrote (test/support/ui-seed.ts), on
// both engines. Counts are exact: the seed's spans are known per minute.

let db: TestDatabase;
let seed: UiSeed;
let end: number;
const MIN = 60;
const opts = () => ({ now: seed.now, staleAfter: 120, recentSince: seed.now - 86_400 });
const slo = (id: string) => seed.slos.find((s) => s.id === id)!;
const iso = (s: number) => new Date(s * 1000).toISOString();

beforeAll(async () => {
  db = await createTestDatabase('ui');
  // `now` on a minute boundary, the edge case: the engine's last evaluation is stamped `now` itself
  // (an evaluation at the second the page renders must still show; a random `now` hit it 1 time in 60).
  seed = await seedUiHistory(db.ch, Math.floor(Date.now() / 60_000) * 60);
  end = Math.floor(seed.now / MIN) * MIN;
}, 180_000);
afterAll(async () => {
  await seed?.close();
  await db?.close();
});

describe('SLO list data', () => {
  it('gives every SLO its latest evaluation and derived state', async () => {
    const rows = await listSlos(db.ch, seed.slos, opts());
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(rows.map((r) => r.id)).toEqual(seed.slos.map((s) => s.id));
    expect(byId['checkout-availability']!.status.states).toEqual(['firing', 'inhibited']);
    expect(byId['checkout-availability']!.status.alerts).toEqual([
      { kind: 'page', status: 'firing', since: end - 10 * MIN },
      { kind: 'ticket', status: 'inhibited', since: 0, reason: 'inhibited: page firing' },
    ]);
    expect(byId['catalog-latency']!.status.states).toEqual(['ok']);
    // Issue 12's rule, as the engine applied it: the ticket that burns on the incident that already
    // paged stays inhibited while its 3h short window overlaps the page.
    expect(byId['search-availability']!.status.states).toEqual(['inhibited', 'resolved']);
    expect(byId['search-availability']!.status.alerts).toEqual([
      { kind: 'page', status: 'resolved', since: end - 140 * MIN },
      { kind: 'ticket', status: 'inhibited', since: 0, reason: 'inhibited: page resolved 140m ago, inside the 180m short window' },
    ]);
    expect(byId['search-availability']!.tenant).toBe('acme');
    expect(byId['legacy-availability']!.status.states).toEqual(['stale']);
    expect(byId['legacy-availability']!.status.staleReason).toMatch(/^no evaluation for 3h/);
    expect(byId['legacy-availability']!.evaluatedAt).toBe(end - 3 * 3600 - (((end - 3 * 3600) - (end - 6 * 3600)) % 600));
    expect(byId['batch-availability']!.status.states).toEqual(['no-data']);
    expect(byId['batch-availability']!.budgetRemaining).toBeNull();
  });

  it('has the burn of each tier from the evaluation: 50% errors over a 1% budget is 50x in the 5m window', async () => {
    const [checkout] = await listSlos(db.ch, [slo('checkout-availability')], opts());
    expect(checkout!.evaluatedAt).toBe(seed.now);
    expect(checkout!.tiers).toEqual([
      // 1h: 20 min of 200/min with 1 error + 40 min of 100/min with 50 -> 2020 / 8000 = 25.25% -> 25.25x.
      { severity: 'page', windows: '1h/5m', factor: 14.4, burnLong: 25.25, burnShort: 50, condition: 'burning', inhibited: null },
      // 2h: 80 x 200 (80 errors) + 40 x 100 (2000) = 2080 / 20000 = 10.4x. 1d = all 6h but the 15
      // minutes of maintenance: 320 x 200 + 40 x 100 - 15 x 200 = 65000 spans, 2320 - 15 errors.
      // Burning, and held back by the engine's rule while the page fires (recorded as 'inhibited').
      { severity: 'ticket', windows: '1d/2h', factor: 3, burnLong: expect.closeTo(2305 / 650, 8), burnShort: 10.4, condition: 'burning', inhibited: 'inhibited: page firing' },
    ]);
  });

  it('finds an evaluation older than the first lookback step', async () => {
    const found = await latestEvaluations(db.ch, ['legacy-availability', 'checkout-availability', 'never-evaluated'], seed.now);
    expect([...found.keys()].sort()).toEqual(['checkout-availability', 'legacy-availability']);
    expect(seed.now - found.get('legacy-availability')!.at).toBeGreaterThanOrEqual(3 * 3600);
  });
});

describe('SLO detail data', () => {
  it('has the burndown from the first evaluation, and per-window series over the range', async () => {
    const range = parseTimeRange({ range: '6h' }, seed.now);
    const d = await sloDetail(db.ch, slo('checkout-availability'), range, { now: seed.now, staleAfter: 120 });
    expect(d.burndown.from).toBe(end - 6 * 3600 + 10 * MIN);
    expect(d.burndown.times.length).toBeGreaterThan(30);
    expect(d.burndown.budgetRemaining.at(-1)).toBe(d.row.budgetRemaining);
    expect(d.windows.windows.map((w) => w.seconds)).toEqual([300, 3600, 7200, 86_400]);
    const w5m = d.windows.windows[0]!;
    expect(w5m.burnRate.at(-1)).toBe(50);
    expect(Math.max(...w5m.burnRate.slice(0, -6).map((v) => v ?? 0))).toBeLessThan(1);
    expect(d.maintenance).toEqual([{ start: seed.maintenance.start, end: seed.maintenance.end, reason: 'database upgrade' }]);
    expect(d.red.kinds).toEqual([2]);
  });

  it('has the alert timeline with transitions and each notification\'s delivery state from the outbox', async () => {
    const t = await alertTimeline(db.ch, 'search-availability', { from: end - 6 * 3600, to: seed.now });
    expect(t.transitions).toEqual([
      { at: end - 170 * MIN, kind: 'page', status: 'firing' },
      { at: end - 140 * MIN, kind: 'page', status: 'resolved' },
    ]);
    const page = t.lanes.find((l) => l.kind === 'page')!;
    expect(page.segments.map((s) => s.firing)).toEqual([false, true, false]);
    expect(page.segments[1]).toEqual({ from: end - 170 * MIN, to: end - 140 * MIN, firing: true });
    // Slack answers 500: its page is retried at every poll, and its resolve waits behind it (outbox order).
    expect(t.notifications.map((n) => `${n.transitionAt} ${n.event} ${n.channel.split(':')[0]} ${n.status} ${n.httpStatus}`)).toEqual([
      `${iso(end - 170 * MIN)} firing slack pending 500`,
      `${iso(end - 170 * MIN)} firing webhook sent 200`,
      `${iso(end - 140 * MIN)} resolved slack pending 0`,
      `${iso(end - 140 * MIN)} resolved webhook sent 200`,
    ]);
    const retried = t.notifications[0]!;
    expect(retried.error).toBe('HTTP 500: no');
    // One attempt per poll from the page's tick on (the backoff never exceeds the 10 minutes between them).
    expect(retried.attempts).toBeGreaterThanOrEqual(17);
    expect(retried.nextAttempt).not.toBeNull();
    expect(t.notifications[2]).toMatchObject({ attempts: 0, error: '' });
  });

  it('buckets the series by the step given', async () => {
    const from = end - 3600;
    const first = Math.floor(from / 1200) * 1200;
    const b = await budgetSeries(db.ch, 'checkout-availability', { from, to: end, step: 1200 });
    expect(b.times.length).toBeGreaterThanOrEqual(3);
    for (const t of b.times) expect([first, first + 1200, first + 2400, first + 3600]).toContain(t);
    const w = await windowSeries(db.ch, 'checkout-availability', { from, to: end, step: 1200 });
    expect(w.times).toEqual(b.times);
    expect(w.windows.every((x) => x.burnRate.length === w.times.length)).toBe(true);
  });
});

describe('RED data from span_red_1m', () => {
  it('counts requests and errors per service and span name exactly', async () => {
    const services = await servicesRed(db.ch, { from: end - 3600, to: end, kinds: SERVED_KINDS });
    const checkout = services.find((s) => s.service === 'checkout')!;
    // 20 minutes x 200 (1 error each) + 40 minutes x 100 (50 errors each).
    expect({ requests: checkout.requests, errors: checkout.errors }).toEqual({ requests: 8000, errors: 2020 });
    expect(checkout.spans).toEqual([expect.objectContaining({ spanName: 'GET /checkout', kind: 2, requests: 8000, errors: 2020 })]);
    expect(checkout.p50).toBeGreaterThanOrEqual(20);
    expect(checkout.p99).toBeLessThanOrEqual(80);
    expect(services.map((s) => s.service)).toEqual(['checkout', 'catalog', 'search', 'legacy']);
  });

  it('shows a tenant only its own spans', async () => {
    const acme = await servicesRed(db.ch, { from: end - 3600, to: end, tenant: 'acme' });
    expect(acme.map((s) => `${s.tenant}/${s.service} ${s.requests}`)).toEqual(['acme/search 3000']);
    expect(await servicesRed(db.ch, { from: end - 3600, to: end, tenant: 'nobody' })).toEqual([]);
  });

  it('gives one service over time, per minute on average', async () => {
    const s = await serviceRedSeries(db.ch, 'checkout', { from: end - 3600, to: end, step: 600 });
    const first = Math.floor((end - 3600) / 600) * 600;
    expect(s.times).toEqual(Array.from({ length: s.times.length }, (_, i) => first + i * 600));
    expect(s.times.length).toBeGreaterThanOrEqual(6);
    // Per-minute averages over 10-minute buckets add back up to the 8000 requests and 2020 errors.
    expect(s.requestsPerMinute.reduce((a, b) => a + b, 0) * 10).toBe(8000);
    expect(s.errorsPerMinute.reduce((a, b) => a + b, 0) * 10).toBe(2020);
  });
});

describe('the engine\'s HTTP server with the UI', () => {
  // An engine restarted just now: it has not ticked, so the pages show what ClickHouse holds.
  const engine = (): Engine => ({ replicaId: 'x', slos: seed.slos, tick: async () => { throw new Error('not ticking'); }, last: () => undefined, health: () => ({ lastEvaluated: new Map() }) });
  const app = () => createServer(engine(), createSloMetrics(engine()), async () => true, { ui: { ch: db.ch }, clock: () => seed.now * 1000 });

  it('serves the SLO list at / (it was a 404)', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const s of seed.slos) expect(html).toContain(`data-slo="${s.id}"`);
    expect(html).toContain('data-slo="checkout-availability" data-state="firing"');
  });

  it('serves an SLO page, the services page and the assets; a missing SLO is a 404 page, a bad range a 400 naming it', async () => {
    const detail = await app().request('/slos/checkout-availability?range=1h');
    expect(detail.status).toBe(200);
    expect((await detail.text()).match(/data-chart=/g)!.length).toBe(6);
    expect((await app().request('/services')).status).toBe(200);
    expect((await app().request('/slos/nope')).status).toBe(404);
    const bad = await app().request('/?range=forever');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('range: &quot;forever&quot; is not a duration');
    const css = await app().request('/ui/assets/app.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const uplot = await app().request('/ui/assets/uPlot.iife.min.js');
    expect(uplot.status).toBe(200);
    expect((await uplot.text()).length).toBeGreaterThan(40_000);
    expect((await app().request('/ui/assets/..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it('calls an SLO stale by the engine\'s one rule: a failed tick of the running engine, though ClickHouse holds a fresh evaluation', async () => {
    const down: Engine = { ...engine(), health: () => ({ lastAttempt: { at: seed.now, ok: false, error: 'connect ECONNREFUSED' }, lastEvaluated: new Map() }) };
    const rows = await listSlos(db.ch, [slo('catalog-latency')], { ...opts(), engineFacts: (id) => engineFacts(down.health(), undefined, id) });
    expect(rows[0]!.status).toMatchObject({ states: ['stale'], staleReason: 'the last evaluation attempt failed: connect ECONNREFUSED' });
    const html = await (await createServer(down, createSloMetrics(down), async () => true, { ui: { ch: db.ch }, clock: () => seed.now * 1000 }).request('/')).text();
    expect(html).toContain('data-slo="catalog-latency" data-state="stale"');
    // The API says the same.
    const api = await (await createServer(down, createSloMetrics(down), async () => true, { clock: () => seed.now * 1000 }).request('/api/slos/catalog-latency')).json();
    expect(api).toMatchObject({ stale: true, staleReason: 'the last evaluation attempt failed: connect ECONNREFUSED' });
  });

  it('compresses pages for clients that accept gzip', async () => {
    const res = await app().request('/', { headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers.get('content-encoding')).toBe('gzip');
  });
});
