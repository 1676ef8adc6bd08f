// POST /v1/subscriptions {"match_id"?, "cluster"?} → 201 {"subscription_id","cluster_id","subscriber_id","stream_url"}
//   placed on the least-loaded cluster and subscriber unless a cluster is asked for; 503 + Retry-After when
//   everything is full; 400/404 naming the field.
//   stream_url carries a signed token (cluster, subscription, subscriber, match, expiry): any instance of the
//   deployment serves it (src/ports/viewers.ts).
// DELETE /v1/subscriptions/:id → 204; its stream (if open) ends with `event: disconnect` reason "left". Held by
//   another instance: the delete goes there through the control topic (204 once it confirmed, else 404).
// Mounted by createApp (src/api/app.ts) at /v1/subscriptions when the broadcast runs.
import { Hono } from 'hono';
import type { BroadcastFacade } from '../../actors/facade.ts';
import type { Config } from '../../config.ts';
import { CLUSTER_ID_RE, MATCH_ID_RE, SUBSCRIPTION_ID_RE } from '../../domain/ids.ts';
import type { MatchGate } from '../../matches/service.ts';
import { readJson } from '../body.ts';
import type { ViewerDirectory } from '../../ports/viewers.ts';
import { ApiError } from '../errors.ts';
import { requireMatch } from '../match-gate.ts';
import type { ApiLimits } from '../limits.ts';

export interface BroadcastRouteDeps {
  facade: BroadcastFacade;
  config: Pick<Config, 'broadcast'>;
  /** The match lifecycle: a subscription to a match it refuses (registered: unknown 404, closed 409) is not made. */
  matches?: Pick<MatchGate, 'subscribable'> | null;
  /** Tokens, deletes and the deployment view across instances; absent: this instance alone, no tokens. */
  directory?: ViewerDirectory | null;
  /** Per-address rate limits and stream caps (src/api/limits.ts); absent: none. */
  limits?: ApiLimits | null;
}

export const retryAfterSeconds = (c: Pick<Config, 'broadcast'>, ms?: number) =>
  String(Math.max(1, Math.ceil((ms ?? c.broadcast.sseRetryMs) / 1000)));

export function streamUrl(clusterId: string, subscriptionId: string, matchId: string | null, token?: string): string {
  const q = new URLSearchParams({ subscription: subscriptionId });
  if (matchId !== null) q.set('match', matchId);
  if (token !== undefined) q.set('token', token);
  return `/v1/clusters/${encodeURIComponent(clusterId)}/stream?${q}`;
}

export function subscriptionRoutes(deps: BroadcastRouteDeps): Hono {
  const { facade, config, directory } = deps;
  const app = new Hono();

  app.post('/', async function createSubscription(c) {
    deps.limits?.subscribe(c);
    const hasBody = Number(c.req.header('content-length') ?? '0') > 0 || c.req.header('transfer-encoding') !== undefined;
    const body = hasBody ? await readJson(c, 4096) : {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ApiError(400, 'invalid_body', 'the body must be a JSON object: {"match_id"?, "cluster"?}');
    }
    const o = body as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'match_id' && k !== 'cluster') throw new ApiError(400, 'unknown_field', `unknown field "${k}"; allowed: match_id, cluster`, k);
    }
    let matchId: string | null = null;
    if (o.match_id !== undefined && o.match_id !== null) {
      if (typeof o.match_id !== 'string' || !MATCH_ID_RE.test(o.match_id)) {
        throw new ApiError(400, 'invalid_match_id', 'match_id must be 1–64 characters of A-Z a-z 0-9 . _ -', 'match_id');
      }
      matchId = o.match_id;
      if (deps.matches) requireMatch(deps.matches.subscribable(matchId), 'match_id');
    }
    let clusterId: string | null = null;
    if (o.cluster !== undefined && o.cluster !== null) {
      if (typeof o.cluster !== 'string' || !CLUSTER_ID_RE.test(o.cluster)) {
        throw new ApiError(400, 'invalid_cluster', 'cluster must be a cluster id such as "c1" (see GET /v1/clusters)', 'cluster');
      }
      clusterId = o.cluster;
    }

    const r = facade.subscribe({ matchId, clusterId });
    if (!r.ok) {
      if (r.code === 'cluster_not_found') throw new ApiError(404, 'cluster_not_found', `no cluster "${clusterId}" (see GET /v1/clusters)`, 'cluster');
      const retry = retryAfterSeconds(config, r.retryAfterMs);
      const message =
        r.code === 'full'
          ? `every subscriber ${clusterId ? `of cluster ${clusterId} ` : ''}is at capacity; retry after ${retry} s`
          : `cluster ${clusterId} is restarting; retry after ${retry} s`;
      throw new ApiError(503, r.code === 'full' ? 'at_capacity' : 'unavailable', message, undefined, undefined, { 'Retry-After': retry });
    }
    const token = directory?.sign({ c: r.clusterId, s: r.subscriptionId, b: r.subscriberId, m: matchId });
    const url = streamUrl(r.clusterId, r.subscriptionId, matchId, token);
    c.header('Location', url);
    return c.json(
      { subscription_id: r.subscriptionId, cluster_id: r.clusterId, subscriber_id: r.subscriberId, match_id: matchId, stream_url: url },
      201,
    );
  });

  app.delete('/:id', async function deleteSubscription(c) {
    const id = c.req.param('id');
    const notFound = () => new ApiError(404, 'subscription_not_found', `no subscription "${id}"`, 'id');
    if (!SUBSCRIPTION_ID_RE.test(id)) throw notFound();
    if (facade.unsubscribe(id)) {
      // other instances may hold a copy (adopted by a reconnect) and must refuse its token from now on
      await directory?.deletedHere(id);
      return c.body(null, 204);
    }
    if (!directory || !(await directory.deleteElsewhere(id))) throw notFound();
    return c.body(null, 204);
  });

  return app;
}
