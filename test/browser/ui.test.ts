import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createTestDatabase, type TestDatabase } from '../support/clickhouse.ts';
import { seedUiHistory, type UiSeed } from '../support/ui-seed.ts';
import { createServer, createSloMetrics, type ServerOptions } from '../../slo-engine/server.ts';
import type { Engine } from '../../slo-engine/engine.ts';
import type { Slo } from '../../slo-engine/model.ts';
import { chromiumMissing, launchChromium, watchedPage } from './chromium.ts';

// The web UI in a real headless Chromium, against the engine's real HTTP server and a real
// ClickHouse holding a history the engine itself wrote (see test/support/ui-seed.ts). The
// screenshots in docs/screenshots/ are taken here: with BURNRATE_UPDATE_SCREENSHOTS=1 they are
// written there; otherwise to test/browser/screenshots/ (ignored by git), so a test run never
// changes the tree.

const SCREENSHOTS = join(import.meta.dirname, process.env.BURNRATE_UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots' : 'screenshots');
const OPERATOR = 'operator-token-0123456789';
const ACME = 'acme-token-0123456789';

let db: TestDatabase;
let seed: UiSeed;
let browser: Browser;
const servers: ServerType[] = [];
let open: string;
let live: string;
let secured: string;

async function listen(slos: Slo[], options: ServerOptions): Promise<string> {
  // An engine that has not ticked (as after a restart): the pages show what ClickHouse holds.
  const engine: Engine = { replicaId: 'browser', slos, tick: async () => { throw new Error('not ticking'); }, last: () => undefined, health: () => ({ lastEvaluated: new Map() }) };
  const app = createServer(engine, createSloMetrics(engine), async () => true, options);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  servers.push(server);
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const rowIds = (page: Page) => page.locator('tbody tr[data-slo]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-slo')));

/** Pixels of a chart's canvas in the series' color: the line was drawn, not just axes and grid. */
async function pixelsOfColor(page: Page, chartId: string, hex: string): Promise<number> {
  return page.locator(`#chart-${chartId} canvas`).evaluate((canvas: HTMLCanvasElement, color: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - r!) < 12 && Math.abs(data[i + 1]! - g!) < 12 && Math.abs(data[i + 2]! - b!) < 12 && data[i + 3]! > 200) n++;
    return n;
  }, hex);
}

describe.skipIf(chromiumMissing)('the web UI in Chromium', () => {
  beforeAll(async () => {
    db = await createTestDatabase('browser');
    seed = await seedUiHistory(db.ch);
    open = await listen(seed.slos, { ui: { ch: db.ch } });
    live = await listen(seed.slos, { ui: { ch: db.ch, refreshSeconds: 1 } });
    secured = await listen(seed.slos, { ui: { ch: db.ch }, tokens: [{ token: OPERATOR, tenant: '' }, { token: ACME, tenant: 'acme' }] });
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    await seed?.close();
    await db?.close();
  });

  it('lists every SLO with its state, budget and burn; the firing one shows firing', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/`);
    expect(await rowIds(page)).toEqual(['search-availability', 'checkout-availability', 'catalog-latency', 'legacy-availability', 'batch-availability']);
    const checkout = page.locator('tr[data-slo="checkout-availability"]');
    expect(await checkout.getAttribute('data-state')).toBe('firing');
    expect(await checkout.locator('.badge.firing').innerText()).toMatch(/^page firing/);
    expect(await checkout.locator('.badge.inhibited').innerText()).toBe('ticket inhibited');
    expect(await checkout.locator('.budget .num').innerText()).toMatch(/^-\d+(\.\d)?%$/);
    expect(await checkout.locator('.tier.hot').count()).toBe(2);
    expect(await page.locator('tr[data-slo="legacy-availability"] .badge.stale').innerText()).toMatch(/^stale evaluated 3h/);
    expect(await page.locator('tr[data-slo="batch-availability"] .badge.no-data').innerText()).toBe('no data');
    expect(await page.locator('tr[data-slo="search-availability"] .badge.resolved').innerText()).toMatch(/^page resolved 2h 2\dm ago/);
    // The engine's rule after a page: the ticket that burns on the same incident stays inhibited, saying why.
    const held = page.locator('tr[data-slo="search-availability"] .badge.inhibited');
    expect(await held.innerText()).toBe('ticket inhibited');
    expect(await held.getAttribute('title')).toBe('inhibited: page resolved 140m ago, inside the 180m short window');
    expect(await page.locator('.summary').innerText()).toContain('1 firing');
    await page.screenshot({ path: join(SCREENSHOTS, 'slo-list.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('filters by state, service and text, keeping them in a URL that shows the same when shared', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/`);
    await Promise.all([page.waitForURL(/state=firing/), page.selectOption('select[name=state]', 'firing')]);
    expect(await rowIds(page)).toEqual(['checkout-availability']);
    const shared = page.url();
    await Promise.all([page.waitForURL(/state=stale/), page.selectOption('select[name=state]', 'stale')]);
    expect(await rowIds(page)).toEqual(['legacy-availability']);
    await page.goto(shared);
    expect(await rowIds(page)).toEqual(['checkout-availability']);

    await page.goto(`${open}/`);
    await Promise.all([page.waitForURL(/service=catalog/), page.selectOption('select[name=service]', 'catalog')]);
    expect(await rowIds(page)).toEqual(['catalog-latency']);
    await page.goto(`${open}/`);
    await page.fill('input[name=q]', 'TEAM=SHOP');
    await Promise.all([page.waitForURL(/q=TEAM%3DSHOP/), page.press('input[name=q]', 'Enter')]);
    expect(await rowIds(page)).toEqual(['checkout-availability']);
    expect(await page.inputValue('input[name=q]')).toBe('TEAM=SHOP');
    await Promise.all([page.waitForURL(/sort=name/), page.selectOption('select[name=sort]', 'name')]);
    expect(page.url()).toContain('q=TEAM%3DSHOP');
    expect(problems).toEqual([]);
  });

  it('changes what the list shows with the time range: a resolve two hours ago is outside the last hour', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/?state=resolved`);
    expect(await rowIds(page)).toEqual(['search-availability']);
    await Promise.all([page.waitForURL(/range=1h/), page.click('.time-picker a:text-is("1h")')]);
    expect(page.url()).toContain('state=resolved');
    expect(await rowIds(page)).toEqual([]);
    expect(await page.locator('td.empty').innerText()).toBe('No SLO matches these filters.');
    expect(problems).toEqual([]);
  });

  it('draws the SLO page: burndown, SLI, burn per tier against its threshold, traffic, timeline with notifications, spec', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/slos/checkout-availability`);
    await page.waitForFunction(() => document.querySelectorAll('[data-chart]').length === document.querySelectorAll('[data-chart][data-drawn]').length);
    const charts = await page.locator('[data-chart]').evaluateAll((els) => els.map((e) => e.closest('figure')!.id));
    expect(charts).toEqual(['chart-burndown', 'chart-sli', 'chart-burn-0', 'chart-burn-1', 'chart-requests', 'chart-latency']);
    // Every chart's first series is drawn in its color; the tiers' dashed thresholds in red.
    for (const [id, color] of [['burndown', '#2563eb'], ['sli', '#2563eb'], ['burn-0', '#2563eb'], ['burn-1', '#d97706'], ['requests', '#2563eb'], ['latency', '#16a34a']] as const) {
      expect(await pixelsOfColor(page, id, color), `${id} in ${color}`).toBeGreaterThan(50);
    }
    expect(await pixelsOfColor(page, 'burn-0', '#dc2626')).toBeGreaterThan(50);
    expect(await page.locator('#chart-burn-0 figcaption').innerText()).toMatch(/^page 1h\/5m: burn rate vs 14\.4×/);
    // The alert timeline: the page lane ends firing, the maintenance window is shaded.
    expect(await page.locator('.lane-row[data-kind=page] rect.seg.firing').count()).toBe(1);
    expect(await page.locator('.lane-row rect.maintenance').count()).toBeGreaterThan(0);
    const outcomes = await page.locator('tr.notification').evaluateAll((rows) => rows.map((r) => `${r.children[3]!.textContent} ${r.getAttribute('data-outcome')}`).sort());
    expect(outcomes).toEqual(['slack pending', 'webhook sent']);
    expect(await page.locator('tr.transition').innerText()).toContain('firing');
    expect(await page.locator('.maintenance-list li').innerText()).toContain('database upgrade');
    expect(await page.locator('pre.spec').innerText()).toContain('id: checkout-availability');
    await page.screenshot({ path: join(SCREENSHOTS, 'slo-detail.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('changes the SLO page with the time picker, and takes an absolute range from the URL', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/slos/checkout-availability`);
    const spanOf = () => page.locator('#chart-sli [data-chart]').evaluate((el) => { const s = JSON.parse((el as HTMLElement).dataset.chart!); return s.to - s.from; });
    expect(await spanOf()).toBe(6 * 3600);
    await Promise.all([page.waitForURL(/range=1h/), page.click('.time-picker a:text-is("1h")')]);
    expect(await spanOf()).toBe(3600);
    expect(await page.locator('.lane-row[data-kind=page] rect.seg.firing').count()).toBe(1);
    // Five hours ago the page was not firing: no firing segment, no transition in range.
    const from = new Date((seed.now - 5 * 3600) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const to = new Date((seed.now - 4 * 3600) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    await page.fill('.time-picker input[name=from]', from);
    await page.fill('.time-picker input[name=to]', to);
    await Promise.all([page.waitForURL(/from=/), page.click('.time-picker button')]);
    expect(await spanOf()).toBe(3600);
    expect(await page.locator('.lane-row[data-kind=page] rect.seg.firing').count()).toBe(0);
    expect(await page.locator('tr.transition').count()).toBe(0);
    expect(await page.inputValue('.time-picker input[name=from]')).toBe(from);
    expect(problems).toEqual([]);
  });

  it('shows RED per service and span name, each service linking to its SLOs', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${open}/services?range=6h`);
    const services = await page.locator('tbody[data-service]').evaluateAll((els) => els.map((e) => e.getAttribute('data-service')));
    expect(services).toEqual(['checkout', 'catalog', 'search', 'legacy']);
    expect(await page.locator('tbody[data-service=checkout] .span-row .span-name').innerText()).toBe('GET /checkout');
    expect(await page.locator('tbody[data-service=search] .service-row td').first().innerText()).toBe('acme');
    await page.screenshot({ path: join(SCREENSHOTS, 'services.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/slos\/checkout-availability/), page.click('tbody[data-service=checkout] a:text-is("Checkout availability")')]);
    await Promise.all([page.waitForURL(/service=checkout/), page.click('.crumbs a:text-is("checkout")')]);
    expect(await rowIds(page)).toEqual(['checkout-availability']);
    expect(problems).toEqual([]);
  });

  it('refreshes the list in place', async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${live}/`);
    await page.evaluate(() => document.querySelector('[data-live=table]')!.setAttribute('data-old', '1'));
    await page.waitForFunction(() => !document.querySelector('[data-live=table]')!.hasAttribute('data-old'), undefined, { timeout: 10_000 });
    expect(await rowIds(page)).toHaveLength(5);
    expect(problems).toEqual([]);
  });

  it('with tokens: pages need a sign-in, a tenant sees only its SLOs and spans, the API and /metrics hold the same rules', async () => {
    const { page, problems } = await watchedPage(browser, { expectStatus: [401, 403, 404] });
    await page.goto(`${secured}/slos/search-availability?range=1h`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', 'wrong');
    await page.click('button[type=submit]');
    expect(await page.locator('.error').innerText()).toBe('That token is not valid.');
    await page.fill('input[name=token]', ACME);
    await Promise.all([page.waitForURL(/\/slos\/search-availability\?range=1h$/), page.click('button[type=submit]')]);
    expect(await page.locator('h1').innerText()).toBe('Search availability');

    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'burnrate_session', httpOnly: true, sameSite: 'Strict' });
    expect(cookie!.value).not.toContain(ACME);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await page.goto(`${secured}/`);
    expect(await rowIds(page)).toEqual(['search-availability']);
    expect(await page.locator('.who').innerText()).toContain('tenant acme');
    expect((await page.goto(`${secured}/slos/checkout-availability`))!.status()).toBe(404);
    await page.goto(`${secured}/services?range=6h`);
    expect(await page.locator('tbody[data-service]').evaluateAll((els) => els.map((e) => e.getAttribute('data-service')))).toEqual(['search']);
    // The API and /metrics with the session cookie (same origin), and without it.
    const api = await page.evaluate(async () => (await (await fetch('/api/slos')).json()).slos.map((s: { id: string }) => s.id));
    expect(api).toEqual(['search-availability']);
    expect(await page.evaluate(async () => (await fetch('/metrics')).status)).toBe(403);
    expect((await fetch(`${secured}/api/slos`)).status).toBe(401);
    expect((await fetch(`${secured}/metrics`)).status).toBe(401);

    await Promise.all([page.waitForURL(/\/login$/), page.click('.who button')]);
    expect((await page.goto(`${secured}/`))!.url()).toMatch(/\/login\?next=%2F$/);
    await page.fill('input[name=token]', OPERATOR);
    await Promise.all([page.waitForURL(`${secured}/`), page.click('button[type=submit]')]);
    expect(await rowIds(page)).toHaveLength(5);
    expect(await page.evaluate(async () => (await fetch('/metrics')).status)).toBe(200);
    expect(problems).toEqual([]);
  });
});
