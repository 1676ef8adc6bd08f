// The HTTP API: one Hono app holding EVERY route (the list below), the JSON 404 and the one onError that
// renders every refusal as `{"error":{"code","message","field"?}}`. The composition root (src/app/platform.ts)
// passes the parts it started; a part left out (null) leaves its routes out.
import { createServer, type RequestListener, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { BroadcastFacade } from '../actors/facade.ts';
import type { Config } from '../config.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { IngestPort } from '../ports/ingest.ts';
import type { ReadinessCheck } from '../ports/readiness.ts';
import type { ViewerDirectory } from '../ports/viewers.ts';
import type { MoodCurves } from '../domain/mood-curve.ts';
import type { CountsFacade, MomentsFacade } from '../streams/counts.ts';
import { accessLog } from './access-log.ts';
import { adminGuard, passes } from './admin.ts';
import { publisherAuth } from './publisher-auth.ts';
import { corsPolicy, nodeResponse, requestIdHeader, securityHeaders } from './surface.ts';
import type { MatchAdmin, MatchGate } from '../matches/service.ts';
import { INTERNAL_ERROR, refusalOf } from './errors.ts';
import { adminMatchesRoutes } from './routes/admin-matches.routes.ts';
import { createLimits, type ApiLimits } from './limits.ts';
import { clusterRoutes } from './routes/clusters.routes.ts';
import { compatRoutes } from './routes/compat.routes.ts';
import { countsRoutes } from './routes/counts.routes.ts';
import { dashboardRoutes } from './routes/dashboard.routes.ts';
import { emojiRoutes } from './routes/emoji.routes.ts';
import { emojiHandlers } from './routes/emoji.handlers.ts';
import { emojiFastPath, withFastPath, type FastPath } from './fast-emoji.ts';
import { faultRoutes, type FaultTargets } from './routes/faults.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { matchesRoutes } from './routes/matches.routes.ts';
import { metricsRoutes, requestMetrics, routeLabel } from './routes/metrics.routes.ts';
import { openapiRoutes } from './routes/openapi.routes.ts';
import { subscriptionRoutes } from './routes/subscriptions.routes.ts';

export interface AppDeps {
  config: Config;
  /** The write path (src/kafka/producer.ts startIngest); its readiness() joins /readyz when present. Null: no ingest routes (ROLES without ingest). */
  ingest: IngestPort | null;
  /** Exact counts (Kafka Streams): /v1/counts, and its readiness joins /readyz. Null or absent: no /v1/counts. */
  counts?: CountsFacade | null;
  /** Moments (Kafka Streams, usually the same object as `counts`): /v1/matches/:id/moments and …/summary. */
  moments?: MomentsFacade | null;
  /** Mood curves per match (fed by the main publisher) for the summary; null: an empty curve. */
  moods?: Pick<MoodCurves, 'curve'> | null;
  /** The broadcast actors: /v1/subscriptions and /v1/clusters (SSE). Null or absent: neither. */
  broadcast?: BroadcastFacade | null;
  /** Viewers across instances (stream tokens, deletes, the deployment view); absent: this instance alone. */
  viewers?: ViewerDirectory | null;
  /** More checks behind /readyz (what a load balancer needs; the ingest path's are always there). */
  readiness?: ReadinessCheck[];
  /** Checks behind /status only (Spark, the broker child, the window consumer); Kafka Streams' joins them. */
  status?: ReadinessCheck[];
  /** Fault injection (POST /faults/…), mounted only when config.faultInjection is true. */
  faults?: FaultTargets | null;
  /** The match lifecycle (MATCH_POLICY): gates ingest, subscriptions and match queries, and the admin API. Absent: every match id is accepted. */
  matches?: (MatchGate & MatchAdmin) | null;
  /** Rate limits and connection caps (src/api/limits.ts); absent: created from config.limits. */
  limits?: ApiLimits;
  now?: () => number;
  /** The API's logger (access log, unexpected errors); a plain function gets the unexpected errors only. */
  log?: Logger | ((msg: string) => void);
}

export function createApp(deps: AppDeps): Hono {
  return createApi(deps).app;
}

/** The API: the Hono app, and the POST /v1/emoji fast path to serve in front of it (null: off, or no ingest). */
export interface Api {
  app: Hono;
  fast: FastPath | null;
}

/** Serve an API on node:http: its fast path first (src/api/fast-emoji.ts), then Hono. */
export function serveApi(api: Api, options: { port?: number; hostname?: string; serverOptions?: ServerOptions }, listening?: (info: AddressInfo) => void): ServerType {
  const http1 = ((opts: ServerOptions, listener: RequestListener) => createServer(opts, withFastPath(api.fast, listener))) as typeof createServer;
  return serve({ ...options, fetch: api.app.fetch, createServer: http1 }, listening);
}

export function createApi(deps: AppDeps): Api {
  const { config, ingest, counts, broadcast } = deps;
  const matches = deps.matches ?? null;
  const logger = typeof deps.log === 'object' ? deps.log : silentLogger;
  const log: (msg: string, fields?: Record<string, unknown>) => void =
    typeof deps.log === 'function' ? deps.log : deps.log ? (m, fields) => logger.error(m, fields) : (m) => console.error(m);
  const retryAfter = String(config.ingest.retryAfterS);
  const limits = deps.limits ?? createLimits(config, { now: deps.now });

  const ready: ReadinessCheck[] = [];
  if (ingest?.readiness) ready.push(() => ingest.readiness!());
  ready.push(...(deps.readiness ?? []));
  const status: ReadinessCheck[] = [];
  if (counts) status.push(() => counts.readiness());
  status.push(...(deps.status ?? []));

  // The one admin guard (src/api/admin.ts): operational routes below, and any admin route added later.
  const admin = adminGuard(config);

  const emojiDeps = ingest ? { config, ingest, matches, now: deps.now, limits } : null;
  const emoji = emojiDeps ? emojiHandlers(emojiDeps) : null;
  // Every route of the API, mounted here and nowhere else.
  const routes: [path: string, app: Hono][] = [
    ['/', healthRoutes({ ready, status, detailed: (c) => passes(admin, c) })],
    ...(ingest
      ? [
          ['/v1/emoji', emojiRoutes(emoji!)] as [string, Hono],
          ['/', compatRoutes({ ...emojiDeps!, config })] as [string, Hono], // POST /emoji for the original project's clients (COMPAT_PATHS)
        ]
      : []),
    ...(counts ? [['/v1/counts', countsRoutes(counts, { now: deps.now, matches })] as [string, Hono]] : []),
    ...(counts && deps.moments
      ? [['/v1/matches', matchesRoutes({ counts, moments: deps.moments, moods: deps.moods, retentionMs: config.moments.retentionMs, retryAfterS: config.ingest.retryAfterS, now: deps.now, matches })] as [string, Hono]]
      : []),
    ...(broadcast
      ? [
          ['/v1/subscriptions', subscriptionRoutes({ facade: broadcast, config, matches, directory: deps.viewers, limits })] as [string, Hono],
          ['/v1/clusters', clusterRoutes({ facade: broadcast, config, matches, directory: deps.viewers, limits }) as unknown as Hono] as [string, Hono],
        ]
      : []),
    ...(matches ? [['/v1/admin/matches', adminMatchesRoutes({ matches, maxLive: config.matches.maxLive })] as [string, Hono]] : []),
    ['/', metricsRoutes()],
    ['/', dashboardRoutes(config)],
    ['/', openapiRoutes(config)],
    ...(config.faultInjection ? [['/faults', faultRoutes(deps.faults ?? null)] as [string, Hono]] : []),
  ];

  const app = new Hono();
  app.use('*', requestIdHeader(64)); // X-Request-Id: the client's when well-formed, else a UUID (src/api/surface.ts)
  app.use('*', accessLog(logger, config.accessLog)); // one line per request, after its answer (src/api/access-log.ts)
  app.use('*', requestMetrics()); // emostream_http_requests_total by route pattern and status (src/metrics)
  app.use('*', securityHeaders()); // CSP, nosniff, frame-ancestors … on every response (src/api/surface.ts)
  app.use('*', corsPolicy(config)); // CORS_ORIGINS; unset: same-origin only
  // AUTH (src/api/publisher-auth.ts): who may publish, on every ingest route
  const publisher = publisherAuth(config);
  for (const path of ['/v1/emoji', '/v1/emoji/*', ...config.compat.paths]) app.use(path, publisher);
  app.use('/metrics', admin);
  app.use('/faults/*', admin);
  app.use('/v1/admin/*', admin); // the match admin API (and any admin route to come)
  const instanceId = deps.viewers?.instanceId;
  if (instanceId) {
    // which instance (API worker) answered: several share one port behind node:cluster or a load balancer
    app.use('*', async function instanceHeader(c, next) {
      // on the Node response itself when there is one: SSE streams write their head there, past Hono
      const out = nodeResponse(c);
      if (out) out.setHeader('EmoStream-Instance', instanceId);
      await next();
      if (!out) c.header('EmoStream-Instance', instanceId);
    });
  }
  for (const [path, sub] of routes) app.route(path, sub);

  app.notFound((c) => {
    c.set('errorCode', 'not_found');
    return c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404);
  });

  // Every refusal is rendered here; its code is noted on the context for the request metrics.
  app.onError((err, c) => {
    const r = refusalOf(err, retryAfter);
    if (r) {
      c.set('errorCode', r.code);
      if (r.headers) for (const [k, v] of Object.entries(r.headers)) c.header(k, v);
      return c.json(r.body, r.status);
    }
    if (err instanceof HTTPException && err.res) {
      // a middleware's own answer (bearerAuth's 401 with WWW-Authenticate); its code was noted by the guard
      if (!c.get('errorCode')) c.set('errorCode', `http_${err.status}`);
      return err.getResponse();
    }
    if (err instanceof HTTPException) {
      c.set('errorCode', `http_${err.status}`);
      return c.json({ error: { code: `http_${err.status}`, message: err.message || 'request refused' } }, err.status);
    }
    // the route pattern, never the raw path: no client-chosen string in the log
    log(`api: unexpected error on ${c.req.method} ${routeLabel(c)}: ${err instanceof Error ? err.stack : String(err)}`, { req_id: c.get('requestId') });
    c.set('errorCode', 'internal');
    return c.json(INTERNAL_ERROR, 500);
  });
  // POST /v1/emoji past Hono: the same handlers, headers, refusals, metrics and access log (src/api/fast-emoji.ts)
  const fast = emoji ? emojiFastPath({ config, handlers: emoji, limits: limits.enabled ? limits : null, logger, log, instanceId }) : null;
  return { app, fast };
}
