// Debian's Chromium driven by playwright-core: headless, without the network calls this machine
// refuses (sync, component updates, QUIC), in a fresh profile. Missing Chromium skips the browser
// tests loudly on a laptop and fails them in CI (.ci/run installs it).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ci = process.env.CI === 'true' || process.env.CI === '1';

export const chromiumMissing = existsSync(CHROMIUM) ? undefined : `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
if (chromiumMissing && ci) throw new Error(`CI=true: ${chromiumMissing}; the browser tests must run in CI.`);
if (chromiumMissing) process.stderr.write(`\n!!! ${chromiumMissing}: the browser tests are SKIPPED.\n\n`);

/** Playwright gives every launch a fresh temporary --user-data-dir and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
}

export interface Watched {
  page: Page;
  /** Console errors, uncaught exceptions, failed requests and HTTP errors, as text. */
  problems: string[];
}

/** A page in a new context (own cookies and cache) that records everything that goes wrong. */
export async function watchedPage(browser: Browser, options: { expectStatus?: number[] } = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const allowed = new Set(options.expectStatus ?? []);
  page.on('console', (m) => {
    // A page answered with an expected error status logs it as a console error: not a problem.
    if (m.type() === 'error' && !(allowed.size && /Failed to load resource: the server responded with a status of (\d+)/.test(m.text()) && allowed.has(Number(/status of (\d+)/.exec(m.text())![1])))) {
      problems.push(`console: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // ERR_ABORTED is Chromium cancelling a request because the page navigated on (a favicon, a
  // refresh in flight); a server that fails shows up as an HTTP status or another network error.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !allowed.has(r.status())) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems };
}
