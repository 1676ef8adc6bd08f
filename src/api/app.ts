// The HTTP API: one Hono app holding the routes, the JSON 404 and the one onError that renders every
// refusal as `{"error":{"code","message","field"?}}`. Other parts mount their routes through `routes`
// (one line each), and add readiness checks through `readiness`.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Config } from '../config.ts';
import { UnavailableError } from '../kafka/batcher.ts';
import { ApiError } from './errors.ts';
import { emojiRoutes } from './routes/emoji.routes.ts';
import type { IngestPort } from './routes/emoji.handlers.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.routes.ts';
import { requestMetrics } from './routes/metrics.routes.ts';

export interface AppDeps {
  config: Pick<Config, 'ingest'>;
  /** The write path (src/kafka/producer.ts startIngest); its readiness() joins /readyz when present. */
  ingest: IngestPort & { readiness?: ReadinessCheck };
  /** Extra readiness checks (Spark, Kafka Streams, ...). */
  readiness?: ReadinessCheck[];
  /** Extra route groups, e.g. `['/v1/clusters', clusterRoutes(...)]`, `['/', dashboardRoutes(config)]`. */
  routes?: [path: string, app: Hono][];
  now?: () => number;
  log?: (msg: string) => void;
}

export function createApp(deps: AppDeps): Hono {
  const log = deps.log ?? ((m: string) => console.error(m));
  const retryAfter = String(deps.config.ingest.retryAfterS);
  const app = new Hono();
  app.use('*', requestMetrics()); // emostream_http_requests_total by route pattern and status (src/metrics)

  const checks: ReadinessCheck[] = [];
  if (deps.ingest.readiness) checks.push(() => deps.ingest.readiness!());
  checks.push(...(deps.readiness ?? []));

  app.route('/', healthRoutes(checks));
  app.route('/v1/emoji', emojiRoutes({ config: deps.config, ingest: deps.ingest, now: deps.now }));
  for (const [path, sub] of deps.routes ?? []) app.route(path, sub);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));

  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.headers) for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
      return c.json(err.toJSON(), err.status);
    }
    if (err instanceof UnavailableError) {
      c.header('Retry-After', retryAfter);
      const code = err.reason === 'buffer_full' ? 'overloaded' : 'unavailable';
      return c.json({ error: { code, message: `${err.message}; retry after ${retryAfter} s` } }, 503);
    }
    if (err instanceof HTTPException) {
      return c.json({ error: { code: `http_${err.status}`, message: err.message || 'request refused' } }, err.status);
    }
    log(`api: unexpected error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? err.stack : String(err)}`);
    return c.json({ error: { code: 'internal', message: 'internal server error' } }, 500);
  });
  return app;
}
