// The web UI's routes: the SLO list (/), one SLO (/slos/:id), services (/services) and static
// assets. Each page reads through the data functions in data/ (one per view) and shows only what
// the viewer's tenant may see.
import type { Context, Hono } from 'hono';
import type { Clickhouse } from '../../storage/client.ts';
import { tenantOf, type Slo } from '../model.ts';
import type { StalenessFacts } from '../views.ts';
import { canSee, type AppEnv, type Viewer } from './access/viewer.ts';
import { mountAssets } from './assets.ts';
import { renderPage } from './render.ts';
import { BadRequest, parseTimeRange } from './time-range.ts';
import { applyListQuery, parseListQuery } from './list-query.ts';
import { listSlos } from './data/slo-list.ts';
import { sloDetail } from './data/slo-detail.ts';
import { SERVED_KINDS, servicesRed } from './data/service-red.ts';
import { specYaml } from './spec-view.ts';
import { SloListPage } from './pages/slo-list.tsx';
import { SloDetailPage } from './pages/slo-detail.tsx';
import { ServicesPage } from './pages/services.tsx';
import { ErrorPage } from './pages/error.tsx';

export interface UiOptions {
  ch: Clickhouse;
  /** views.ts staleness limit (from the engine's tick interval), seconds. */
  staleAfterSeconds: number;
  /** What the running engine knows about an SLO's freshness beyond what it recorded (views.ts). */
  engineFacts?: (sloId: string) => StalenessFacts;
  /** Epoch milliseconds. */
  clock?: () => number;
  /** Seconds between refreshes of the list (default 30). */
  refreshSeconds?: number;
  /** Where a failed page's cause goes (the engine's log); the viewer sees only that it failed. */
  log?: (line: string) => void;
}

/** The viewer the access middleware set; a page reached without one is a bug, not an open door. */
export function viewerOf(c: Context<AppEnv>): Viewer {
  const viewer = c.get('viewer');
  if (!viewer) throw new Error(`no viewer for ${c.req.path}: the access middleware did not run`);
  return viewer;
}

/** The SLOs this viewer may see. */
export const visibleSlos = (viewer: Viewer, slos: readonly Slo[]): Slo[] => slos.filter((s) => canSee(viewer, tenantOf(s)));

export function mountUi(app: Hono<AppEnv>, slos: readonly Slo[], options: UiOptions): void {
  const clock = options.clock ?? Date.now;
  const freshness = { staleAfter: options.staleAfterSeconds, ...(options.engineFacts ? { engineFacts: options.engineFacts } : {}) };
  const refreshSeconds = options.refreshSeconds ?? 30;
  mountAssets(app);

  /** Bad query parameters are a 400 page saying which; a failing ClickHouse a 503 saying so. */
  const page = (handler: (c: Context<AppEnv>, viewer: Viewer, now: number) => Promise<Response>) => async (c: Context<AppEnv>) => {
    const viewer = viewerOf(c);
    try {
      return await handler(c, viewer, Math.floor(clock() / 1000));
    } catch (err) {
      if (err instanceof BadRequest) return renderPage(c, <ErrorPage viewer={viewer} title="Bad request" message={err.message} />, 400);
      // The cause may name internal addresses: it goes to the log, not to every viewer.
      options.log?.(`ui: ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      return renderPage(c, <ErrorPage viewer={viewer} title="Data unavailable" message="Reading ClickHouse failed; the engine's log has the cause. Try again in a moment." />, 503);
    }
  };

  app.get(
    '/',
    page(async (c, viewer, now) => {
      const range = parseTimeRange(c.req.query(), now, '1d');
      const query = parseListQuery(c.req.query());
      const all = await listSlos(options.ch, visibleSlos(viewer, slos), { now, ...freshness, recentSince: range.from });
      return renderPage(c, <SloListPage viewer={viewer} all={all} rows={applyListQuery(all, query)} query={query} range={range} now={now} refreshSeconds={refreshSeconds} />);
    }),
  );

  app.get(
    '/slos/:id',
    page(async (c, viewer, now) => {
      // Another tenant's SLO is "no such SLO", exactly like a missing one.
      const slo = visibleSlos(viewer, slos).find((s) => s.id === c.req.param('id'));
      if (!slo) return renderPage(c, <ErrorPage viewer={viewer} title="No such SLO" message={`There is no SLO "${c.req.param('id')}".`} />, 404);
      const range = parseTimeRange(c.req.query(), now, '6h');
      const detail = await sloDetail(options.ch, slo, range, { now, ...freshness });
      return renderPage(c, <SloDetailPage viewer={viewer} detail={detail} specYaml={specYaml(slo, now)} now={now} />);
    }),
  );

  app.get(
    '/services',
    page(async (c, viewer, now) => {
      const range = parseTimeRange(c.req.query(), now, '1h');
      const kindsParam = c.req.query('kinds') ?? 'served';
      if (kindsParam !== 'served' && kindsParam !== 'all') throw new BadRequest(`kinds: "${kindsParam}" is not served or all`);
      const services = await servicesRed(options.ch, {
        from: range.from,
        to: range.to,
        ...(viewer.tenant !== undefined ? { tenant: viewer.tenant } : {}),
        ...(kindsParam === 'served' ? { kinds: SERVED_KINDS } : {}),
      });
      const byService = new Map<string, { id: string; name: string }[]>();
      for (const s of visibleSlos(viewer, slos)) byService.set(s.service, [...(byService.get(s.service) ?? []), { id: s.id, name: s.name }]);
      return renderPage(c, <ServicesPage viewer={viewer} services={services} slos={byService} range={range} kinds={kindsParam} />);
    }),
  );
}
