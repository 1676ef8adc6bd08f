// What every response carries, and which browsers may call the API:
// - a request id (X-Request-Id): the client's when at most 64 characters of A-Z a-z 0-9 _ - =, else a UUID
//   (what Hono's requestId middleware does), in `c.get('requestId')` for the access log;
// - secure headers (Hono's secure-headers) with a Content-Security-Policy the dashboard passes: its script,
//   styles and requests are same-origin files (app.js sets element styles through the CSSOM, which CSP allows),
//   the favicon is a data: URL; nothing may frame it;
// Both are written on the Node response itself (`c.env.outgoing.setHeader`) before the handler runs, when
// there is one (@hono/node-server): Hono's way (c.header, then secure-headers setting 12 headers on
// `c.res.headers` after the handler) builds a WHATWG Headers object for every answer and takes the response
// off @hono/node-server's fast path: 20-25% of the API's CPU per POST /v1/emoji in a profile
// (bench/components/ingest-ab.ts --prof). Node merges them with the handler's own headers when it writes
// the head (the handler's win on a clash; no handler sets these). Without a Node response (app.request in
// tests) Hono's middlewares run as they are. The header list is Hono's: taken once from secure-headers itself.
// - CORS (CORS_ORIGINS): unset → same-origin only: a preflight from another origin is refused with 403 and no
//   response carries Access-Control-Allow-Origin; a list (or *) → Hono's cors for those origins.
import type { Context, MiddlewareHandler } from 'hono';
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

declare module 'hono' {
  interface ContextVariableMap {
    /** The request's id, echoed as X-Request-Id (requestIdHeader). */
    requestId: string;
  }
}

interface NodeOutgoing {
  setHeader(name: string, value: string): unknown;
}

/** The Node response under @hono/node-server (absent under app.request). */
export function nodeResponse(c: Context): NodeOutgoing | undefined {
  const out = (c.env as { outgoing?: NodeOutgoing } | undefined)?.outgoing;
  return out && typeof out.setHeader === 'function' ? out : undefined;
}

const REQUEST_ID = /[^\w\-=]/;

/** X-Request-Id (see the top of this file); `limitLength` as Hono's requestId. */
export function requestIdHeader(limitLength = 64): MiddlewareHandler {
  return async function requestIdMiddleware(c, next) {
    const id = requestIdOf(c.req.header('x-request-id'), limitLength);
    c.set('requestId', id);
    const out = nodeResponse(c);
    if (out) out.setHeader('X-Request-Id', id);
    else c.header('X-Request-Id', id);
    await next();
  };
}

/** The client's X-Request-Id when well-formed (see the top of this file), else a fresh UUID. */
export function requestIdOf(id: string | undefined, limitLength = 64): string {
  return !id || id.length > limitLength || REQUEST_ID.test(id) ? crypto.randomUUID() : id;
}

/** The [name, value] pairs a secure-headers middleware sets, read by running it once on a recording context. */
async function headersOf(mw: MiddlewareHandler): Promise<[string, string][]> {
  const set: [string, string][] = [];
  const headers = { set: (k: string, v: string) => void set.push([k, v]), has: () => false, delete: () => {} };
  await mw({ res: { headers } } as unknown as Context, async () => {});
  return set;
}

const secureHeadersMiddleware = () => secureHeaders({ contentSecurityPolicy: CSP, xFrameOptions: 'DENY', referrerPolicy: 'no-referrer' });
let fixedList: Promise<[string, string][]> | null = null;
let readyList: [string, string][] | null = null;

/** The security headers every answer carries, once known (a microtask after the first call), else null. */
export function securityHeaderList(): [string, string][] | null {
  if (!fixedList) {
    fixedList = headersOf(secureHeadersMiddleware());
    void fixedList.then((l) => (readyList = l));
  }
  return readyList;
}

export function securityHeaders(): MiddlewareHandler {
  const headers = secureHeadersMiddleware();
  securityHeaderList();
  const fixed = fixedList!;
  // Not on the SSE route: its head is already written when the handler returns, and secure-headers would
  // turn the RESPONSE_ALREADY_SENT marker into a response @hono/node-server then tries to send again.
  return async function securityHeadersMiddleware(c, next) {
    if (RAW_STREAM.test(c.req.path)) return next();
    const out = nodeResponse(c);
    if (!out) return headers(c, next);
    for (const [k, v] of readyList ?? (await fixed)) out.setHeader(k, v);
    await next();
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
