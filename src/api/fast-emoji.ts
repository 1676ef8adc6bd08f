// POST /v1/emoji straight from node:http (API_FAST_PATH, default on): the API's busiest route answered in the
// server's request listener, without building Hono's Request, Context and Response or running its middleware
// chain, which cost most of a single event's CPU (README "The ingest path: profile and producers").
// It does what the chain does for this route, with the same functions: the request id (requestIdOf), the
// security headers (securityHeaderList) and EmoStream-Instance, the handler's steps (emojiHandlers().accept:
// rate limits, body, validation, match gate, the write path's acknowledgement), every refusal rendered as the
// app's onError renders it (refusalOf), the request metrics (countRequest) and the access log (accessLine).
// It takes only requests it answers exactly as Hono would: `POST /v1/emoji` (no query, no trailing slash)
// with a plain Host header, AUTH=off and CORS_ORIGINS unset; anything else goes on to Hono untouched (nothing
// read). tests/fast-emoji.test.ts sends a table of requests to the API with it and without it and compares
// status, headers and body.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Config } from '../config.ts';
import { eventsAccepted } from '../metrics/registry.ts';
import { accessLine, type AccessLine } from './access-log.ts';
import { drainUnread, readNodeJson, requireJsonHead } from './body.ts';
import { INTERNAL_ERROR, refusalOf } from './errors.ts';
import type { ApiLimits } from './limits.ts';
import { oneAccepted, type emojiHandlers, type OneEventRequest } from './routes/emoji.handlers.ts';
import { countRequest } from './routes/metrics.routes.ts';
import { requestIdOf, securityHeaderList } from './surface.ts';
import type { Logger } from '../log.ts';

const PATH = '/v1/emoji';
/** @hono/node-server builds the request URL on this fast path of its own for such a Host; others go to Hono. */
const PLAIN_HOST = /^[a-z0-9._-]+(?::(?:[1-5]\d{3,4}|[6-9]\d{3}))?$/;
/** Hono's c.json. */
const JSON_TYPE = 'application/json';

export interface EmojiFastPathDeps {
  config: Pick<Config, 'apiFastPath' | 'accessLog' | 'security' | 'ingest'>;
  handlers: Pick<ReturnType<typeof emojiHandlers>, 'accept'>;
  limits: ApiLimits | null;
  logger: Logger;
  /** The app's log for unexpected errors. */
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** EmoStream-Instance, when the app sets it. */
  instanceId?: string;
}

/** Answers a request and returns true, or returns false having touched nothing (Hono's turn). */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The fast path for this configuration, or null when it is off or cannot answer as Hono would. */
export function emojiFastPath(deps: EmojiFastPathDeps): FastPath | null {
  const { config } = deps;
  if (!config.apiFastPath || config.security.auth !== 'off' || config.security.corsOrigins.length > 0) return null;
  const retryAfter = String(config.ingest.retryAfterS);
  const line: AccessLine = accessLine(deps.logger, config.accessLog);
  const logged = config.accessLog !== 'off';
  const limits = deps.limits;
  const accept = deps.handlers.accept;
  const instance = deps.instanceId;

  /** The head before the answer's own headers, in the order the middlewares set them. */
  let head: string[] | null = null;
  const headOf = (sec: [string, string][]) => {
    head = [];
    for (const [k, v] of sec) head.push(k, v);
    if (instance) head.push('EmoStream-Instance', instance);
    return head;
  };

  async function answer(req: IncomingMessage, res: ServerResponse, pre: string[]): Promise<void> {
    const t0 = performance.now();
    const id = requestIdOf(req.headers['x-request-id'] as string | undefined);
    let status: number;
    let body: unknown;
    let code: string | undefined;
    let extra: Record<string, string> | undefined;
    try {
      const event = await accept(new NodeEventRequest(req, limits));
      eventsAccepted.inc({ endpoint: 'single' });
      status = 202;
      body = oneAccepted(event);
    } catch (err) {
      const r = refusalOf(err, retryAfter);
      if (r) {
        ({ status, body, code } = r);
        extra = r.headers;
      } else {
        deps.log(`api: unexpected error on POST ${PATH}: ${err instanceof Error ? err.stack : String(err)}`, { req_id: id });
        status = 500;
        body = INTERNAL_ERROR;
        code = 'internal';
      }
    }
    countRequest('POST', PATH, status, t0, code);
    if (logged) line(id, 'POST', PATH, status, t0, code);
    const text = JSON.stringify(body);
    const headers = ['X-Request-Id', id, ...pre];
    const length = Buffer.byteLength(text);
    if (extra) {
      // the refusal's own headers as Hono sends them: through a Headers object, so lower case and sorted,
      // Content-Length last among them
      const own: [string, string][] = [['content-type', JSON_TYPE]];
      for (const k in extra) own.push([k.toLowerCase(), extra[k]!]);
      own.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const [k, v] of own) headers.push(k, v);
      headers.push('Content-Length', String(length));
    } else {
      // as @hono/node-server answers a plain c.json: Node's own Content-Length, after Connection and Keep-Alive
      headers.push('Content-Type', JSON_TYPE);
      (res as unknown as { _contentLength: number | null })._contentLength = length;
    }
    res.writeHead(status, headers);
    res.end(text);
    // a body nobody read (refused before reading it): read and dropped as @hono/node-server does
    if (req.readableFlowing !== true && !req.readableEnded) res.once('close', () => drainUnread(req));
  }

  return (req, res) => {
    if (req.url !== PATH || req.method !== 'POST') return false;
    const host = req.headers.host;
    if (host === undefined || !PLAIN_HOST.test(host)) return false;
    const pre = head ?? (securityHeaderList() && headOf(securityHeaderList()!));
    if (!pre) return false; // the first request: the header list is a microtask away
    void answer(req, res, pre).catch((err) => {
      deps.log(`api: could not answer POST ${PATH}: ${err instanceof Error ? err.stack : String(err)}`);
      res.destroy();
    });
    return true;
  };
}

/** A request listener that gives `fast` the first look at each request (for serve's createServer option). */
export function withFastPath(fast: FastPath | null, listener: RequestListener): RequestListener {
  if (!fast) return listener;
  return (req, res) => {
    if (!fast(req, res)) listener(req, res);
  };
}

/** One POST /v1/emoji as emojiHandlers().accept reads it, from node:http. */
class NodeEventRequest implements OneEventRequest {
  readonly subject = undefined;
  constructor(
    private readonly req: IncomingMessage,
    private readonly limits: ApiLimits | null,
  ) {}

  address(): string {
    return this.limits!.addressOfNode(this.req);
  }

  json(maxBytes: number, timeoutMs: number): Promise<unknown> {
    const raw = this.req.rawHeaders;
    requireJsonHead(joined(raw, 'content-type'), joined(raw, 'content-length'), maxBytes);
    return readNodeJson(this.req, maxBytes, timeoutMs);
  }
}

/**
 * A request header as Hono reads Content-Type and Content-Length (@hono/node-server: from the raw lines,
 * repeated ones joined with ', '; Node itself keeps only the first).
 */
function joined(raw: string[], lower: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === lower.length && name.toLowerCase() === lower) {
      const v = raw[i + 1]!; // Node's parser already dropped the surrounding whitespace
      value = value === null ? v : `${value}, ${v}`;
    }
  }
  return value;
}
