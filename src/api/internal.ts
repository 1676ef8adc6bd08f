// The internal listener's app: what peer instances ask this one for — exact counts held in this instance's
// Kafka Streams stores (interactive queries across instances, src/streams/distributed.ts). A Hono app of its
// own, served on INTERNAL_HOST:INTERNAL_PORT (src/app/internal-listener.ts) and never mounted on the public
// listener: it answers from local stores only and trusts its callers' arguments as far as the checks below.
//
//   POST /internal/v1/exact/:query  {"args":[…]}  → 200 {"result": …}
//        503 {"error":{"code":"unavailable","state","message"}} when this instance does not hold the key's
//        active store (rebalancing, restoring, moved): the caller answers 503 too, never a part
//   GET  /internal/healthz                         → 200 {"ok":true,"state"}
// With INTERNAL_TOKEN set every request must carry `Authorization: Bearer <token>` (401 otherwise).
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { MATCH_ID_RE } from '../domain/ids.ts';
import { CountsUnavailableError, type LocalExactCounts } from '../streams/counts.ts';
import { INTERNAL_QUERIES, type InternalQuery } from '../streams/distributed.ts';

const isQuery = (q: string): q is InternalQuery => Object.hasOwn(INTERNAL_QUERIES, q);

function argsOk(q: InternalQuery, args: unknown): args is unknown[] {
  const spec = INTERNAL_QUERIES[q];
  if (!Array.isArray(args) || args.length !== spec.length) return false;
  return spec.every((kind, i) => {
    const v = args[i];
    if (kind === 'match') return typeof v === 'string' && MATCH_ID_RE.test(v);
    return typeof v === 'number' && Number.isSafeInteger(v) && (kind === 'ms' || v >= 0);
  });
}

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export interface InternalAppOptions {
  /** This instance's exact counts, answering only for keys whose active store is here; null while not started. */
  local: () => LocalExactCounts | null;
  /** INTERNAL_TOKEN; null: no check. */
  token: string | null;
}

export function createInternalApp(o: InternalAppOptions): Hono {
  const app = new Hono();
  if (o.token) {
    const expected = `Bearer ${o.token}`;
    app.use('*', async (c, next) => {
      if (!sameSecret(c.req.header('authorization') ?? '', expected)) {
        return c.json({ error: { code: 'unauthorized', message: 'the internal listener needs the shared INTERNAL_TOKEN' } }, 401);
      }
      await next();
    });
  }
  const unavailable = (state: string, message: string) => ({ error: { code: 'unavailable', state, message } });

  app.get('/internal/healthz', (c) => c.json({ ok: true, state: o.local()?.state() ?? 'NOT_STARTED' }));

  app.post('/internal/v1/exact/:query', async (c) => {
    const q = c.req.param('query');
    if (!isQuery(q)) return c.json({ error: { code: 'not_found', message: `no internal query ${q}` } }, 404);
    const body = (await c.req.json().catch(() => null)) as { args?: unknown } | null;
    if (!body || !argsOk(q, body.args)) {
      return c.json({ error: { code: 'invalid_args', message: `${q} takes (${INTERNAL_QUERIES[q].join(', ')})` } }, 400);
    }
    const local = o.local();
    if (!local) return c.json(unavailable('NOT_STARTED', 'exact counts are not started on this instance'), 503);
    try {
      const fn = local[q] as (...a: unknown[]) => unknown;
      return c.json({ result: await fn.apply(local, body.args) });
    } catch (err) {
      if (err instanceof CountsUnavailableError) return c.json(unavailable(err.state, err.message), 503);
      throw err;
    }
  });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((err, c) => c.json({ error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } }, 500));
  return app;
}
