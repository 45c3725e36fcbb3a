// The web UI's numbers, printed (not asserted): page weight of the list and an SLO page, first
// render of the list with 1,000 SLOs, and the chart libraries compared (bundle bytes, time to draw).
//
//   npm run bench:ui                     embedded ClickHouse (current), Debian's Chromium
//   npm run bench:ui -- --engine server  ClickHouse 18.16 (clickhouse-server)
//   npm i --no-save chart.js && npm run bench:ui   ... and Chart.js next to uPlot
//
// A private ClickHouse with the browser tests' history (test/support/ui-seed.ts) and, in a second
// database, 1,000 SLOs with one evaluation each; the engine's real HTTP server; a fresh headless
// Chromium per measurement (cold cache).
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { connectClickhouse, ensureDatabase, type Clickhouse } from '../storage/client.ts';
import { startPrivateClickhouse, type EngineKind } from '../storage/local-clickhouse.ts';
import { migrate } from '../storage/migrate.ts';
import { createServer, createSloMetrics } from '../slo-engine/server.ts';
import type { Slo } from '../slo-engine/model.ts';
import type { Engine } from '../slo-engine/engine.ts';
import { seedManySlos, seedUiHistory } from '../test/support/ui-seed.ts';
import { launchChromium } from '../test/browser/chromium.ts';

const { values } = parseArgs({ options: { engine: { type: 'string', default: 'embedded' }, runs: { type: 'string', default: '5' } } });
const engineKind = values.engine as EngineKind;
const RUNS = Number(values.runs);
const require = createRequire(import.meta.url);
const CHARTJS = join(import.meta.dirname, '../node_modules/chart.js/dist/chart.umd.min.js');
const libFile = (lib: 'uplot' | 'chartjs') => (lib === 'uplot' ? require.resolve('uplot/dist/uPlot.iife.min.js') : CHARTJS);
/** Median of the measured values (a run without a first-contentful-paint entry gives NaN and is left out). */
const median = (xs: number[]) => {
  const ok = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return ok.length ? ok[Math.floor(ok.length / 2)]! : Number.NaN;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const dir = mkdtempSync(join(tmpdir(), 'bench-ui-'));
const clickhouse = await startPrivateClickhouse(engineKind, { dir });
const servers: ReturnType<typeof serve>[] = [];
const browser: Browser = await launchChromium();

async function database(name: string): Promise<Clickhouse> {
  const config = { url: clickhouse.url, username: 'default', password: '', database: name };
  await ensureDatabase(config);
  const ch = connectClickhouse(config);
  await migrate(ch);
  return ch;
}

async function listen(ch: Clickhouse, slos: Slo[]): Promise<string> {
  // An engine that has not ticked (as after a restart): the pages show what ClickHouse holds.
  const stub: Engine = { replicaId: 'bench', slos, tick: async () => { throw new Error('not ticking'); }, last: () => undefined, health: () => ({ lastEvaluated: new Map() }) };
  const app = createServer(stub, createSloMetrics(stub), async () => true, { ui: { ch } });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  servers.push(server);
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Load {
  /** Bytes on the wire (compressed bodies + headers) of the page and everything it loaded. */
  transferred: number;
  html: number;
  requests: number;
  ttfbMs: number;
  fcpMs: number;
  domContentLoadedMs: number;
  /** Until every chart has drawn (pages with charts). */
  chartsMs: number;
}

/** One cold load in a new context: no cache, no cookies. */
async function load(url: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  let transferred = 0;
  let html = 0;
  let requests = 0;
  page.on('requestfinished', async (r) => {
    const sizes = await r.sizes();
    transferred += sizes.responseBodySize + sizes.responseHeadersSize;
    requests += 1;
    if (r.resourceType() === 'document') html += sizes.responseBodySize;
  });
  const started = Date.now();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => document.querySelectorAll('[data-chart]').length === document.querySelectorAll('[data-chart][data-drawn]').length);
  const chartsMs = Date.now() - started;
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { ttfb: nav.responseStart - nav.requestStart, dcl: nav.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : NaN };
  });
  await context.close();
  return { transferred, html, requests, ttfbMs: t.ttfb, fcpMs: t.fcp, domContentLoadedMs: t.dcl, chartsMs };
}

async function measure(name: string, url: string) {
  const loads: Load[] = [];
  for (let i = 0; i < RUNS; i++) loads.push(await load(url));
  const m = (k: keyof Load) => median(loads.map((l) => l[k]));
  console.log(
    `${name.padEnd(28)} ${kb(m('transferred')).padStart(9)} transferred in ${m('requests')} requests (HTML ${kb(m('html'))})  ` +
      `server ${m('ttfbMs').toFixed(0)} ms  first paint ${m('fcpMs').toFixed(0)} ms  DOMContentLoaded ${m('domContentLoadedMs').toFixed(0)} ms` +
      (url.includes('/slos/') ? `  charts drawn ${m('chartsMs').toFixed(0)} ms` : ''),
  );
}

/** Draw time of a chart library: N points in 4 series, until the next frame, median of RUNS. */
async function drawTime(lib: 'uplot' | 'chartjs', points: number): Promise<number> {
  const file = libFile(lib);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.setContent('<div id="c" style="width:900px;height:300px"><canvas id="k"></canvas></div>');
    await page.addScriptTag({ content: readFileSync(file, 'utf8') });
    times.push(
      await page.evaluate(
        async ({ lib, n }) => {
          const x = Array.from({ length: n }, (_, i) => 1_700_000_000 + i * 60);
          const ys = [0, 1, 2, 3].map((s) => x.map((_, i) => Math.sin(i / 50 + s) * 10 + s * 3 + Math.random()));
          const t0 = performance.now();
          if (lib === 'uplot') {
            const w = window as unknown as { uPlot: new (o: object, d: unknown[], el: HTMLElement) => unknown };
            new w.uPlot({ width: 900, height: 300, series: [{}, ...ys.map(() => ({ stroke: '#2563eb', points: { show: false } }))] }, [x, ...ys], document.getElementById('c')!);
          } else {
            const w = window as unknown as { Chart: new (el: HTMLCanvasElement, cfg: object) => unknown };
            // A linear x axis: Chart.js needs a date adapter (another package) for a time axis.
            new w.Chart(document.getElementById('k') as HTMLCanvasElement, {
              type: 'line',
              data: { datasets: ys.map((y) => ({ data: y.map((v, i) => ({ x: x[i], y: v })), pointRadius: 0, borderWidth: 1 })) },
              options: { animation: false, responsive: false, parsing: false, normalized: true, scales: { x: { type: 'linear' } } },
            });
          }
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          return performance.now() - t0;
        },
        { lib, n: points },
      ),
    );
    await context.close();
  }
  return median(times);
}

try {
  console.log(`ClickHouse ${clickhouse.version} (${engineKind}), Chromium headless, ${RUNS} cold loads each, medians\n`);
  const history = await database('bench_ui_history');
  const seed = await seedUiHistory(history);
  const small = await listen(history, seed.slos);
  await measure(`SLO list (${seed.slos.length} SLOs)`, `${small}/`);
  await measure('SLO page (6 charts, 6h)', `${small}/slos/checkout-availability`);
  await measure('SLO page (30d)', `${small}/slos/checkout-availability?range=30d`);
  await measure('Services (1h)', `${small}/services`);
  await seed.close();

  const many = await database('bench_ui_many');
  const slos = await seedManySlos(many, 1000);
  const big = await listen(many, slos);
  await measure('SLO list (1,000 SLOs)', `${big}/`);
  await measure('SLO list (1,000, state=firing)', `${big}/?state=firing`);

  console.log('\nChart libraries (4 series, time to construct and draw one frame):');
  const libs: ('uplot' | 'chartjs')[] = existsSync(CHARTJS) ? ['uplot', 'chartjs'] : ['uplot'];
  for (const lib of libs) {
    const body = readFileSync(libFile(lib));
    const draws: string[] = [];
    for (const n of [1000, 10_000, 100_000]) draws.push(`${n.toLocaleString('en-US')} points ${(await drawTime(lib, n)).toFixed(0)} ms`);
    console.log(`  ${(lib === 'uplot' ? `uPlot ${require('uplot/package.json').version}` : `Chart.js ${JSON.parse(readFileSync(join(CHARTJS, '../../package.json'), 'utf8')).version}`).padEnd(16)} ${kb(body.length)} min, ${kb(gzipSync(body).length)} gzip;  ${draws.join(', ')}`);
  }
  if (libs.length === 1) console.log('  (npm i --no-save chart.js to compare with Chart.js)');
} finally {
  await browser.close();
  for (const s of servers) await new Promise((r) => s.close(r));
  await clickhouse.stop();
  rmSync(dir, { recursive: true, force: true });
}
