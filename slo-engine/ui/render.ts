// A page as an HTML response, with the headers every page carries: no caching of data, and a
// Content-Security-Policy that allows only our own scripts and styles (no inline code at all).
import type { Context } from 'hono';
import type { JSX } from 'hono/jsx/jsx-runtime';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export async function renderPage(c: Context, page: JSX.Element, status: 200 | 400 | 401 | 403 | 404 | 503 = 200): Promise<Response> {
  const html = `<!DOCTYPE html>${await (await page).toString()}`;
  return c.html(html, status, {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
  });
}
