// The UI's static files: ours (assets/) and uPlot's from node_modules, read once at startup and
// served from memory under a content hash, so browsers cache them for good and nothing is fetched
// from anywhere else (the UI works offline).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { AppEnv } from './access/viewer.ts';

const require = createRequire(import.meta.url);
const OWN = join(import.meta.dirname, 'assets');

const FILES: Record<string, { path: string; type: string }> = {
  'app.css': { path: join(OWN, 'app.css'), type: 'text/css; charset=utf-8' },
  'app.js': { path: join(OWN, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { path: join(OWN, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  'favicon.svg': { path: join(OWN, 'favicon.svg'), type: 'image/svg+xml' },
  'uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'uPlot.iife.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
};

export type AssetName = keyof typeof FILES;

interface Loaded {
  body: Buffer;
  type: string;
  hash: string;
}

let loaded: Map<string, Loaded> | undefined;

function assets(): Map<string, Loaded> {
  loaded ??= new Map(
    Object.entries(FILES).map(([name, f]) => {
      const body = readFileSync(f.path);
      return [name, { body, type: f.type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) }];
    }),
  );
  return loaded;
}

export const ASSET_PREFIX = '/ui/assets/';

/** The URL of an asset, with its content hash so a new version is a new URL. */
export function assetUrl(name: AssetName): string {
  return `${ASSET_PREFIX}${name}?v=${assets().get(name)!.hash}`;
}

export function mountAssets(app: Hono<AppEnv>): void {
  app.get(`${ASSET_PREFIX}:name`, (c) => {
    const asset = assets().get(c.req.param('name'));
    if (!asset) return c.text('no such asset', 404);
    // Immutable only under the current hash; an old or missing ?v= is revalidated.
    const cache = c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(new Uint8Array(asset.body), 200, { 'content-type': asset.type, 'cache-control': cache, etag: `"${asset.hash}"` });
  });
}
