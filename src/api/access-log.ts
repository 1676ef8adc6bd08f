// The access log: one line per request, after its answer, with the request id that the response echoes as
// X-Request-Id (Hono's requestId middleware: a client's X-Request-Id is kept only when it is at most 64
// characters of A-Z a-z 0-9 _ - =, else a fresh UUID). Lines carry the route PATTERN
// (`/v1/clusters/:id/stream`), never the raw path or query, so no client-chosen string reaches the log.
// ACCESS_LOG: all | refusals (status >= 400) | off. Lines go through the logger's `bulk` stream (src/log.ts:
// written without blocking the event loop).
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.ts';
import { routeLabel } from './routes/metrics.routes.ts';

export type AccessLogMode = 'all' | 'refusals' | 'off';

/** Writes one access-log line (or none, by ACCESS_LOG and the level); `t0`: performance.now() at arrival. */
export type AccessLine = (reqId: string | undefined, method: string, route: string, status: number, t0: number, code: string | undefined) => void;

export function accessLine(logger: Logger, mode: AccessLogMode): AccessLine {
  const log = logger.bulk?.('api') ?? logger;
  return (reqId, method, route, status, t0, code) => {
    if (mode !== 'off' && (mode === 'all' || status >= 400) && log.isLevelEnabled('info')) {
      log.info('request', {
        req_id: reqId,
        method,
        route,
        status,
        ms: Math.round((performance.now() - t0) * 10) / 10,
        ...(status >= 400 && code ? { code } : {}),
      });
    }
  };
}

export function accessLog(logger: Logger, mode: AccessLogMode): MiddlewareHandler {
  const line = accessLine(logger, mode);
  return async function accessLogMiddleware(c, next) {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      if (mode !== 'off') line(c.get('requestId'), c.req.method, routeLabel(c), c.res?.status ?? 500, t0, c.get('errorCode'));
    }
  };
}
