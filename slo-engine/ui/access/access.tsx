// Who may use the engine's HTTP server. Without tokens (loopback only, see config.ts) everyone sees
// everything. With tokens, every path except health, readiness, the login page and static assets
// needs one: `Authorization: Bearer` or `X-API-Key` for API clients, or the session cookie the
// login form sets (HttpOnly, SameSite=Strict). A token with a tenant sees only that tenant's SLOs
// and spans, and not /metrics (which carries every SLO and the process's own series).
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { createSession, presentedToken, tokenKeys, verifySession } from './credentials.ts';
import { createTokenMatcher, type TokenEntry } from './tokens.ts';
import { OPEN_VIEWER, type AppEnv, type Viewer } from './viewer.ts';
import { ASSET_PREFIX } from '../assets.ts';
import { LoginPage } from '../pages/login.tsx';
import { renderPage } from '../render.ts';

export const SESSION_COOKIE = 'burnrate_session';
const SESSION_SECONDS = 7 * 86_400;
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/login']);

export interface Access {
  readonly enabled: boolean;
  middleware: MiddlewareHandler<AppEnv>;
  /** GET/POST /login and POST /logout. */
  mount(app: Hono<AppEnv>): void;
}

const isMachinePath = (path: string) => path === '/metrics' || path === '/api' || path.startsWith('/api/');

/** A local path to return to after signing in; anything else (another origin, `//host`) is home. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

function refuse(c: Context<AppEnv>, message: string) {
  c.header('www-authenticate', 'Bearer realm="burnrate"');
  return c.json({ error: message }, 401);
}

export function createAccess(tokens: readonly TokenEntry[], clock: () => number = Date.now): Access {
  const keys = tokenKeys(tokens);
  const match = createTokenMatcher(tokens);
  const enabled = tokens.length > 0;
  const now = () => Math.floor(clock() / 1000);
  const toViewer = (tenant: string, via: Viewer['via']): Viewer => ({ ...(tenant === '' ? {} : { tenant }), authenticated: true, via });

  const middleware: MiddlewareHandler<AppEnv> = async function access(c, next) {
    const path = c.req.path;
    if (!enabled) {
      c.set('viewer', OPEN_VIEWER);
      return next();
    }
    // These read no data; they set no viewer, so a data route reached through them would fail loudly.
    if (OPEN_PATHS.has(path) || path.startsWith(ASSET_PREFIX)) return next();
    let viewer: Viewer | undefined;
    const token = presentedToken(c.req.header('authorization'), c.req.header('x-api-key'));
    if (token !== undefined) {
      const tenant = match(token);
      if (tenant === undefined) return refuse(c, 'invalid credentials');
      viewer = toViewer(tenant, 'header');
    } else {
      const session = getCookie(c, SESSION_COOKIE);
      const tenant = session === undefined ? undefined : verifySession(session, keys, now());
      if (tenant !== undefined) viewer = toViewer(tenant, 'session');
    }
    if (!viewer) {
      if (isMachinePath(path)) return refuse(c, 'missing credentials: send Authorization: Bearer <token> or X-API-Key');
      const url = new URL(c.req.url);
      return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
    }
    if (path === '/metrics' && viewer.tenant !== undefined) return c.json({ error: 'a tenant token cannot read /metrics (it carries every SLO): use a token without a tenant' }, 403);
    c.set('viewer', viewer);
    return next();
  };

  function mount(app: Hono<AppEnv>) {
    app.get('/login', (c) => (enabled ? renderPage(c, <LoginPage next={safeNext(c.req.query('next'))} />) : c.redirect('/', 303)));
    // Same-origin form posts only (Origin checked), small bodies only.
    const guard = [csrf(), bodyLimit({ maxSize: 8 * 1024, onError: (c) => c.text('request too large', 413) })] as const;
    app.post('/login', ...guard, async (c) => {
      if (!enabled) return c.redirect('/', 303);
      const form = await c.req.parseBody();
      const token = typeof form.token === 'string' ? form.token.trim() : '';
      const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
      if (!token || match(token) === undefined) return renderPage(c, <LoginPage next={next} error="That token is not valid." />, 401);
      const expires = now() + SESSION_SECONDS;
      const secure = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
      setCookie(c, SESSION_COOKIE, createSession(token, expires), { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: SESSION_SECONDS, secure });
      return c.redirect(next, 303);
    });
    app.post('/logout', ...guard, (c) => {
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return c.redirect(enabled ? '/login' : '/', 303);
    });
  }

  return { enabled, middleware, mount };
}
