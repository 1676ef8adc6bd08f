// GET /v1/clusters → each cluster with its subscribers, viewers and capacity.
// GET /v1/clusters/:id/stream?subscription=…&match=… → Server-Sent Events:
//   `retry:` hint first; then (on reconnect with Last-Event-ID) `event: reset` if the id is older than the
//   cluster's history, and the missed windows, each once; then live `event: window` frames with
//   `id: <match_id>:<window_start ms>`; `:hb` heartbeat comments; `event: disconnect` with a typed reason
//   when the server ends the stream. Without `subscription` the viewer joins that cluster ad hoc (match
//   filter from `match`), for as long as the stream stays open.
// Written to the raw Node response (`c.env.outgoing`, then RESPONSE_ALREADY_SENT): one shared Buffer per
// window per cluster, no per-viewer encoding and no per-write promise.
// Mounted by createApp (src/api/app.ts) at /v1/clusters when the broadcast runs.
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { ApiError } from '../errors.ts';
import { requireMatch } from '../match-gate.ts';
import { SseTransport, endUntilRestart } from '../../push/transport.ts';
import { CLUSTER_ID_RE, MATCH_ID_RE, SUBSCRIPTION_ID_RE } from '../../domain/ids.ts';
import { retryAfterSeconds, type BroadcastRouteDeps } from './subscriptions.routes.ts';

export function clusterRoutes(deps: BroadcastRouteDeps): Hono<{ Bindings: HttpBindings }> {
  const { facade, config, directory } = deps;
  const app = new Hono<{ Bindings: HttpBindings }>();

  app.get('/', function listClusters(c) {
    const scope = c.req.query('scope') ?? 'instance';
    if (scope !== 'instance' && scope !== 'deployment') {
      throw new ApiError(400, 'invalid_scope', 'scope must be instance (this process, the default) or deployment (every instance)', 'scope');
    }
    if (scope === 'deployment') {
      if (!directory) throw new ApiError(404, 'no_deployment_view', 'this instance runs alone (no control topic)', 'scope');
      return c.json({ ...directory.deployment(), clusters: facade.clusters() });
    }
    return c.json({ clusters: facade.clusters() });
  });

  app.get('/:id/stream', function openStream(c) {
    const clusterId = c.req.param('id');
    if (!CLUSTER_ID_RE.test(clusterId) || !facade.hasCluster(clusterId)) {
      throw new ApiError(404, 'cluster_not_found', `no cluster "${clusterId}" (see GET /v1/clusters)`, 'id');
    }
    const subscriptionId = c.req.query('subscription') ?? null;
    if (subscriptionId !== null && !SUBSCRIPTION_ID_RE.test(subscriptionId)) {
      throw new ApiError(400, 'invalid_subscription', 'subscription must be a subscription_id from POST /v1/subscriptions', 'subscription');
    }
    const matchId = c.req.query('match') ?? null;
    if (matchId !== null && !MATCH_ID_RE.test(matchId)) {
      throw new ApiError(400, 'invalid_match_id', 'match must be 1–64 characters of A-Z a-z 0-9 . _ -', 'match');
    }
    if (matchId !== null && deps.matches) requireMatch(deps.matches.subscribable(matchId), 'match');
    // A subscription made on another instance: its stream_url's token says what it is; adopt it here.
    const token = c.req.query('token');
    if (subscriptionId !== null && token !== undefined && directory && !facade.holds(subscriptionId)) {
      const check = directory.verify(token);
      if (!check.ok) {
        throw check.reason === 'expired'
          ? new ApiError(401, 'token_expired', 'the stream token has expired; POST /v1/subscriptions again', 'token')
          : new ApiError(401, 'invalid_token', 'the stream token is not valid; use the stream_url from POST /v1/subscriptions', 'token');
      }
      const t = check.claims;
      if (t.s !== subscriptionId || t.c !== clusterId || t.m !== matchId) {
        throw new ApiError(401, 'invalid_token', 'the stream token names another subscription, cluster or match; use its stream_url as given', 'token');
      }
      if (directory.revoked(subscriptionId)) {
        throw new ApiError(404, 'subscription_not_found', `no subscription "${subscriptionId}" (it was deleted)`, 'subscription');
      }
      const adopted = facade.adopt({ subscriptionId, clusterId, matchId });
      if (!adopted.ok && adopted.code !== 'unavailable') {
        const retry = retryAfterSeconds(config);
        throw new ApiError(503, 'at_capacity', `cluster ${clusterId} is at capacity here; retry after ${retry} s`, undefined, undefined, { 'Retry-After': retry });
      }
    }
    // EventSource sends Last-Event-ID on reconnect; `last_event_id` in the query is for clients that cannot set headers.
    const lastEventId = c.req.header('last-event-id') || c.req.query('last_event_id') || null;
    if (lastEventId !== null && lastEventId.length > 256) {
      throw new ApiError(400, 'invalid_last_event_id', 'Last-Event-ID is longer than 256 characters', 'Last-Event-ID');
    }
    const res = c.env?.outgoing;
    if (!res || typeof res.writeHead !== 'function') {
      throw new ApiError(500, 'sse_unsupported', 'the stream needs the Node HTTP server (@hono/node-server)');
    }

    const release = deps.limits?.openStream(c) ?? (() => {});
    const transport = new SseTransport(res, config.broadcast.sseRetryMs);
    let r: ReturnType<BroadcastRouteDeps['facade']['attach']>;
    try {
      r = facade.attach({ clusterId, subscriptionId, matchId, lastEventId, transport });
    } catch (err) {
      release();
      throw err;
    }
    if (!r.ok) {
      release();
      switch (r.code) {
        case 'not_found':
          throw new ApiError(404, 'subscription_not_found', `no subscription "${subscriptionId}" (it was deleted or expired)`, 'subscription');
        case 'wrong_cluster':
          throw new ApiError(409, 'wrong_cluster', `subscription "${subscriptionId}" is not on cluster ${clusterId}; use its stream_url`, 'id');
        case 'cluster_not_found':
          throw new ApiError(404, 'cluster_not_found', `no cluster "${clusterId}"`, 'id');
        case 'full': {
          const retry = retryAfterSeconds(config);
          throw new ApiError(503, 'at_capacity', `cluster ${clusterId} is at capacity; retry after ${retry} s`, undefined, undefined, { 'Retry-After': retry });
        }
        case 'unavailable': {
          // the cluster publisher is restarting: end the stream with the retry hint (the viewer reconnects)
          endUntilRestart(res, Math.max(100, r.retryAfterMs ?? config.broadcast.sseRetryMs));
          return RESPONSE_ALREADY_SENT;
        }
      }
    }
    transport.start();
    const attached = r.subscriptionId;
    res.on('close', () => {
      release();
      transport.markGone();
      facade.detach(attached, transport);
    });
    return RESPONSE_ALREADY_SENT;
  });

  return app;
}
