// What every response carries, and which browsers may call the API:
// - secure headers (Hono's secure-headers) with a Content-Security-Policy the dashboard passes: its script,
//   styles and requests are same-origin files (app.js sets element styles through the CSSOM, which CSP allows),
//   the favicon is a data: URL; nothing may frame it;
// - CORS (CORS_ORIGINS): unset → same-origin only: a preflight from another origin is refused with 403 and no
//   response carries Access-Control-Allow-Origin; a list (or *) → Hono's cors for those origins.
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../config.ts';
import { ApiError } from './errors.ts';

export const CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Routes that write the raw Node response themselves (SSE) and answer RESPONSE_ALREADY_SENT. */
const RAW_STREAM = /^\/v1\/clusters\/[^/]+\/stream$/;

export function securityHeaders(): MiddlewareHandler {
  const headers = secureHeaders({ contentSecurityPolicy: CSP, xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' });
  // Not on the SSE route: its head is already written when the handler returns, and secure-headers would
  // turn the RESPONSE_ALREADY_SENT marker into a response @hono/node-server then tries to send again.
  return async function securityHeadersMiddleware(c, next) {
    if (RAW_STREAM.test(c.req.path)) return next();
    return headers(c, next);
  };
}

export function corsPolicy(config: Pick<Config, 'security'>): MiddlewareHandler {
  const origins = config.security.corsOrigins;
  if (origins.length > 0) {
    return cors({
      origin: origins.includes('*') ? '*' : origins,
      allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      allowHeaders: ['Content-Type', 'Authorization', 'Last-Event-ID', 'X-Request-Id'],
      exposeHeaders: ['X-Request-Id', 'Retry-After', 'Location', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    });
  }
  return async function sameOriginOnly(c, next) {
    if (c.req.method === 'OPTIONS' && c.req.header('origin') && c.req.header('access-control-request-method')) {
      throw new ApiError(403, 'cors_refused', 'cross-origin requests are not allowed (CORS_ORIGINS)', 'Origin');
    }
    await next();
  };
}
