// `GET /metrics`: Prometheus text format, from the one registry in src/metrics/registry.ts.
// Also `requestMetrics()`, the middleware that counts requests by route pattern and status.
// Both mounted by createApp (src/api/app.ts): requestMetrics() first, so it sees every response (errors included).
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { Registry } from 'prom-client';
import { httpRequestDuration, httpRequests, ingestRefused, registry as defaultRegistry } from '../../metrics/registry.ts';

/** Ingest routes whose refusals are counted in emostream_ingest_refused_total, by endpoint label. */
const INGEST_ROUTES: Record<string, string> = { '/v1/emoji': 'single', '/v1/emoji/batch': 'batch' };

export function metricsRoutes(registry: Registry = defaultRegistry): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const body = await registry.metrics();
    return c.body(body, 200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  });
  return app;
}

/** The route PATTERN a request matched (e.g. `/v1/clusters/:id/stream`), or `unmatched`: a bounded label. */
export function routeLabel(c: Context): string {
  try {
    const p = routePath(c, -1);
    if (p && p !== '*' && p !== '/*') return p;
  } catch {
    /* no route matched */
  }
  return 'unmatched';
}

/**
 * Counts every request by method, route PATTERN (e.g. `/v1/clusters/:id/stream`, never the raw path, so
 * the label set stays bounded) and status. Requests that match no route are labelled `unmatched`.
 * Refusals of POST /v1/emoji and /v1/emoji/batch also count in emostream_ingest_refused_total.
 */
export function requestMetrics(): MiddlewareHandler {
  return async function requestMetricsMiddleware(c, next) {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      // c.res is the error response when onError handled a throw; 500 if nothing was produced
      countRequest(c.req.method, routeLabel(c), c.res?.status, t0, c.get('errorCode'));
    }
  };
}

/**
 * One request in the request metrics (requestMetrics, and the POST /v1/emoji fast path): `status` undefined
 * when nothing was produced (counted as 500), `t0` performance.now() at arrival, `errorCode` the refusal's code.
 */
export function countRequest(method: string, route: string, status: number | undefined, t0: number, errorCode: string | undefined): void {
  const st = String(status ?? 500);
  httpRequests.inc({ method, route, status: st });
  httpRequestDuration.observe({ method, route }, (performance.now() - t0) / 1000);
  const endpoint = INGEST_ROUTES[route];
  // the code of the error this request was refused with, noted by the app's onError (never re-parsed)
  if (endpoint && method === 'POST' && status !== undefined && status >= 400) ingestRefused.inc({ endpoint, status: st, code: errorCode ?? 'unknown' });
}
