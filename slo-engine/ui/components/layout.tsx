// The page shell: head with our assets only, the top bar (pages, who is signed in), the content.
import type { Child } from 'hono/jsx';
import { assetUrl } from '../assets.ts';
import type { Viewer } from '../access/viewer.ts';

export interface LayoutProps {
  title: string;
  nav: 'slos' | 'services' | 'none';
  viewer?: Viewer;
  /** Loads uPlot and the chart script. */
  charts?: boolean;
  /** Seconds between refreshes of the [data-live] parts (none: no refresh). */
  refreshSeconds?: number;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  const current = (nav: LayoutProps['nav']) => (props.nav === nav ? { 'aria-current': 'page' } : {});
  const viewer = props.viewer;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · burnrate`}</title>
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        {props.charts ? <link rel="stylesheet" href={assetUrl('uPlot.min.css')} /> : null}
        {props.refreshSeconds ? (
          <noscript>
            <meta http-equiv="refresh" content={String(props.refreshSeconds)} />
          </noscript>
        ) : null}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            burnrate
          </a>
          {props.nav !== 'none' ? (
            <nav>
              <a href="/" {...current('slos')}>
                SLOs
              </a>
              <a href="/services" {...current('services')}>
                Services
              </a>
            </nav>
          ) : null}
          {viewer?.authenticated ? (
            <div class="who">
              <span>{viewer.tenant === undefined ? 'all tenants' : `tenant ${viewer.tenant || '(none)'}`}</span>
              {viewer.via === 'session' ? (
                <form method="post" action="/logout">
                  <button type="submit">Sign out</button>
                </form>
              ) : null}
            </div>
          ) : null}
        </header>
        <main id="main" data-refresh={props.refreshSeconds ? String(props.refreshSeconds) : undefined}>
          {props.children}
        </main>
        <script src={assetUrl('app.js')} defer></script>
        {props.charts ? <script src={assetUrl('uPlot.iife.min.js')} defer></script> : null}
        {props.charts ? <script src={assetUrl('charts.js')} defer></script> : null}
      </body>
    </html>
  );
}
