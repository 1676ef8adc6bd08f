// The live dashboard: `GET /` serves a static page (src/dashboard/, no build step) that registers as a
// viewer, draws the swarm as windows arrive, polls the exact totals and the clusters, and sends reactions.
// Also `GET /v1/palette`, the configured emojis and the few figures the page needs to draw them.
// Mounted by createApp (src/api/app.ts) at /.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Hono, type Context } from 'hono';
import type { Config } from '../../config.ts';

export const DASHBOARD_DIR = resolve(import.meta.dirname, '../../dashboard');

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

export interface PaletteResponse {
  palette: string[];
  default_match_id: string;
  window_ms: number;
  scale_factor: number;
  max_batch_events: number;
}

export function paletteOf(config: Pick<Config, 'ingest' | 'windows'>): PaletteResponse {
  return {
    palette: config.ingest.palette,
    default_match_id: config.ingest.defaultMatchId,
    window_ms: config.windows.windowMs,
    scale_factor: config.windows.scaleFactor,
    max_batch_events: config.ingest.maxBatchEvents,
  };
}

/** Route factory. `dir` is only overridden by tests. */
export function dashboardRoutes(config: Pick<Config, 'ingest' | 'windows'>, dir = DASHBOARD_DIR): Hono {
  // Read once: the files are small and never change while the process runs.
  const files = new Map<string, Buffer>();
  for (const name of Object.keys(ASSETS)) files.set(name, readFileSync(resolve(dir, name)));
  const palette = paletteOf(config);

  // c.body (not a new Response): keeps the headers the middleware set before (X-Request-Id, CORS)
  const serve = (name: string) => (c: Context) =>
    c.body(new Uint8Array(files.get(name)!), 200, { 'content-type': ASSETS[name]!, 'cache-control': 'no-cache' });

  const app = new Hono();
  app.get('/', serve('index.html'));
  app.get('/index.html', serve('index.html'));
  app.get('/dashboard/app.js', serve('app.js'));
  app.get('/dashboard/style.css', serve('style.css'));
  app.get('/v1/palette', (c) => c.json(palette));
  return app;
}
