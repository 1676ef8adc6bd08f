// GET /openapi.json: the HTTP API described once, as OpenAPI 3.1, from the zod schemas in
// openapi.schemas.ts (z.toJSONSchema; JSON Schema 2020-12 is OpenAPI 3.1's schema dialect).
// Mounted by createApp (src/api/app.ts) at /.
import { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { MATCH_ID_PATTERN } from '../../domain/ids.ts';
import { apiSchemas } from './openapi.schemas.ts';

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({ description, content: { 'application/json': { schema: ref(id) } } });
const errorResponse = (description: string) => json('Error', description);
const matchQuery = { name: 'match', in: 'query', required: true, schema: { type: 'string', pattern: MATCH_ID_PATTERN } };
const matchPath = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: MATCH_ID_PATTERN } };
const intQuery = (name: string, min: number, max: number, def: number, description: string) =>
  ({ name, in: 'query', required: false, schema: { type: 'integer', minimum: min, maximum: max, default: def }, description });
/** A moment (README "Moments"): the record on emoji-moments, in `event: moment` and in the routes below. */
const MOMENT = {
  type: 'object',
  required: ['match_id', 'window_start', 'window_end', 'peak_emoji', 'peak_count', 'peak_baseline', 'total', 'total_baseline', 'trigger', 'score', 'baseline_windows', 'counts'],
  properties: {
    match_id: { type: 'string' },
    window_start: { type: 'string', format: 'date-time' },
    window_end: { type: 'string', format: 'date-time' },
    peak_emoji: { type: 'string', description: 'the emoji of the window with the highest score' },
    peak_count: { type: 'integer' },
    peak_baseline: { type: 'number', description: "median count of the peak emoji over the baseline windows" },
    total: { type: 'integer' },
    total_baseline: { type: 'number' },
    trigger: { type: 'string', description: 'the series that scored highest: an emoji or "total"' },
    score: { type: 'number', description: '(x − median) / max(1.4826 · MAD, √median) of the trigger' },
    baseline_windows: { type: 'integer' },
    counts: { type: 'object', additionalProperties: { type: 'integer' } },
  },
};
const jsonSchema = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });

export function openapiDocument(config: Pick<Config, 'ingest' | 'broadcast' | 'kafka' | 'topics' | 'compat'>): Record<string, unknown> {
  const s = apiSchemas(config);
  const { schemas } = z.toJSONSchema(s.registry, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  // drop each schema's own $schema/$id: inside components they are plain schemas
  const components: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as Record<string, unknown>;
    components[id] = rest;
  }
  const retry = { 'Retry-After': { description: 'seconds', schema: { type: 'integer' } } };
  const unavailable = {
    description:
      'Not stored now (Kafka unreachable, the buffer full, or shutting down; or too_many_live_matches: a new match over MAX_LIVE_MATCHES, nothing written); retry after Retry-After with the same event_id. ' +
      'error.outcome says what is known: not_written (refused before anything was sent: nothing reached Kafka) or unknown ' +
      `(sent, but not acknowledged within ${config.ingest.produceTimeoutMs} ms: the event may be in Kafka, and counted; its retry with the same event_id is counted once).`,
    headers: retry,
    content: { 'application/json': { schema: ref('Error') } },
  };
  const { replicationFactor: rf, minInsyncReplicas: isr } = config.topics;
  const durability =
    config.kafka.brokers === null
      ? 'acks=all on the embedded single broker: one copy, written to that broker\'s log (it survives the broker process being killed, not the loss of its disk)'
      : `acks=all on topics with ${rf === 'auto' ? 'min(3, brokers)' : rf} replicas and min.insync.replicas ${isr === 'auto' ? 'replicas - 1 (at least 1)' : isr}: at least that many brokers hold it`;
  const conflict = errorResponse('event_id already used by this user_id for a different event (emoji_type, timestamp or match_id differ), or the match was closed (match_closed, MATCH_POLICY=registered); nothing was written');
  const unknownMatch = errorResponse('MATCH_POLICY=registered: the match is not registered (unknown_match); nothing was written');
  const slowBody = errorResponse(`the body was not received within ${config.ingest.bodyTimeoutMs} ms; the connection is closed`);

  // the compatibility routes (COMPAT_PATHS), tagged as such
  const compat: Record<string, unknown> = {};
  for (const path of config.compat.paths) {
    compat[path] = {
      post: {
        tags: ['compatibility'],
        summary: "Compatibility: send one reaction in the original project's shape",
        description:
          'For clients of the original project, unchanged. Rules, and nothing more: a whole-number user_id becomes its decimal string; ' +
          `a whole-number timestamp below 10^11 is epoch seconds; an ISO timestamp without a zone is read in ${config.compat.timeZone} (COMPAT_TIMEZONE); ` +
          'match_id defaults as on /v1. Then validated and refused exactly as POST /v1/emoji (same errors); 200 only after the broker acknowledged the event. ' +
          'No batch shape: an array is refused. New clients use /v1/emoji.',
        requestBody: { required: true, content: { 'application/json': { schema: ref('OriginalEmojiEvent') } } },
        responses: {
          '200': json('CompatAccepted', 'acknowledged by Kafka'),
          '400': errorResponse('as POST /v1/emoji'),
          '413': errorResponse('body too large'),
          '415': errorResponse('not application/json'),
          '503': unavailable,
        },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'EmoStream API',
      version: '0.1.0',
      description:
        'Real-time emoji reactions: ingest (202 = durably in Kafka), the 2 s emoji swarm over Server-Sent Events, exact counts (Kafka Streams, exactly once).',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: [{ name: 'compatibility', description: "Drop-in routes for the original project's clients (COMPAT_PATHS); new clients use /v1" }],
    paths: {
      '/v1/emoji': {
        post: {
          summary: 'Send one reaction',
          requestBody: { required: true, content: { 'application/json': { schema: ref('EmojiEvent') } } },
          responses: {
            '202': json('Accepted', `acknowledged by Kafka (${durability}); a retry with the same event_id is answered again without a second count`),
            '400': errorResponse('malformed JSON, wrong types, unknown emoji (the message lists the palette), timestamp outside the allowed skew'),
            '408': slowBody,
            '404': unknownMatch,
            '409': conflict,
            '413': errorResponse('body too large'),
            '415': errorResponse('not application/json'),
            '503': unavailable,
          },
        },
      },
      '/v1/emoji/batch': {
        post: {
          summary: `Send up to ${config.ingest.maxBatchEvents} reactions, all or nothing`,
          requestBody: { required: true, content: { 'application/json': { schema: ref('EmojiBatch') } } },
          responses: {
            '202': json('BatchAccepted', `every event acknowledged by Kafka (${durability})`),
            '400': errorResponse('one or more invalid events (details lists the first 20 errors with index, field and reason, details_total counts them all; unknown keys are one error per event); none was written'),
            '408': slowBody,
            '404': unknownMatch,
            '409': conflict,
            '413': errorResponse('body too large, or too many events'),
            '415': errorResponse('not application/json'),
            '503': unavailable,
          },
        },
      },
      '/v1/subscriptions': {
        post: {
          summary: 'Register as a viewer: placed on the least-loaded cluster and subscriber',
          requestBody: { required: false, content: { 'application/json': { schema: ref('SubscriptionRequest') } } },
          responses: {
            '201': json('Subscription', 'registered; open stream_url'),
            '400': errorResponse('invalid body'),
            '404': errorResponse('no such cluster'),
            '503': { description: 'every subscriber is full', headers: retry, content: { 'application/json': { schema: ref('Error') } } },
          },
        },
      },
      '/v1/subscriptions/{id}': {
        delete: {
          summary: 'Leave; the stream ends with event: disconnect (reason "left")',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          description: 'A subscription held by another instance of the deployment is deleted there (through the control topic); every instance refuses its token from then on.',
          responses: { '204': { description: 'deleted' }, '404': errorResponse('no such subscription (no instance confirmed within 3 s)') },
        },
      },
      '/v1/clusters': {
        get: {
          summary: 'Clusters with their subscribers, viewers and capacity',
          parameters: [
            { name: 'scope', in: 'query', required: false, schema: { type: 'string', enum: ['instance', 'deployment'], default: 'instance' }, description: 'deployment: also every instance of the deployment (from their heartbeats) and the totals per cluster' },
          ],
          responses: { '200': json('Clusters', 'every cluster'), '400': errorResponse('bad scope') },
        },
      },
      '/v1/clusters/{id}/stream': {
        get: {
          summary: 'Server-Sent Events: event "window" (id <match_id>:<window_start ms>, data = Window), "reset", "disconnect"; ":hb" heartbeats',
          description:
            'Reconnect with Last-Event-ID to receive every window after it from the cluster history, each once; an id older than the history gets `event: reset` first.',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'subscription', in: 'query', required: false, schema: { type: 'string' }, description: 'from POST /v1/subscriptions; without it the viewer joins ad hoc' },
            { name: 'match', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: "from stream_url: lets any instance of the deployment serve the subscription" },
            { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'the stream: event: window (this schema), event: moment (see /v1/matches/{id}/moments), reset, disconnect', content: { 'text/event-stream': { schema: ref('Window') } } },
            '401': errorResponse('the token is expired, forged, or names another subscription'),
            '404': errorResponse('no such cluster or subscription'),
            '409': errorResponse('the subscription lives on another cluster'),
            '503': errorResponse('cluster at capacity'),
          },
        },
      },
      '/v1/counts': {
        get: {
          summary: 'Exact running totals of a match (Kafka Streams, exactly once)',
          parameters: [matchQuery],
          responses: { '200': json('MatchTotals', 'totals'), '400': errorResponse('bad match id'), '503': errorResponse('the topology is not queryable yet') },
        },
      },
      '/v1/counts/matches': {
        get: {
          summary: 'Exact running totals of every match, merged over every instance holding the Kafka Streams stores',
          responses: {
            '200': { description: 'totals of every match: {"matches":[{"match_id","totals","total"}],"total","as_of","instances"}', content: { 'application/json': { schema: { type: 'object' } } } },
            '503': errorResponse('a store partition is not answered (rebalancing, restoring, a peer not answering)'),
          },
        },
      },
      '/v1/counts/windows': {
        get: {
          summary: 'Exact per-window counts of a match in [from, to)',
          parameters: [
            matchQuery,
            { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO-8601 or epoch ms; default to − 60 s' },
            { name: 'to', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO-8601 or epoch ms; default now' },
          ],
          responses: { '200': json('ExactWindows', 'windows'), '400': errorResponse('bad parameters'), '503': errorResponse('the topology is not queryable yet') },
        },
      },
      '/v1/matches/{id}/moments': {
        get: {
          summary: 'Moments of a match whose window starts in [from, to), newest first (Kafka Streams)',
          parameters: [
            matchPath,
            { name: 'from', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO-8601 or epoch ms; default to − MOMENTS_RETENTION_MS' },
            { name: 'to', in: 'query', required: false, schema: { type: 'string' }, description: 'ISO-8601 or epoch ms; default now' },
            intQuery('limit', 1, 1000, 100, 'at most this many, newest first'),
          ],
          responses: {
            '200': jsonSchema({ type: 'object', properties: { match_id: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, moments: { type: 'array', items: MOMENT } } }, 'moments'),
            '400': errorResponse('bad match id, from, to, range or limit'),
            '404': errorResponse('no reaction was ever counted for this match (unknown_match)'),
            '503': errorResponse('the topology is not queryable yet'),
          },
        },
      },
      '/v1/matches/{id}/summary': {
        get: {
          summary: 'Exact totals, the top moments and the mood curve of a match, in one response',
          parameters: [matchPath, intQuery('moments', 0, 50, 5, 'top moments, highest score first'), intQuery('points', 1, 2000, 120, 'mood curve points at most (downsampled)')],
          responses: {
            '200': jsonSchema(
              {
                type: 'object',
                properties: {
                  match_id: { type: 'string' },
                  as_of: { type: 'string', format: 'date-time' },
                  totals: { type: 'object', additionalProperties: { type: 'integer' } },
                  total: { type: 'integer' },
                  top_moments: { type: 'array', items: MOMENT },
                  mood_curve: {
                    type: 'object',
                    properties: {
                      mood_available: { type: 'boolean' },
                      windows: { type: 'integer' },
                      downsampled: { type: 'boolean' },
                      points: {
                        type: 'array',
                        items: { type: 'object', properties: { window_start: { type: 'string' }, window_end: { type: 'string' }, score: { type: 'number', minimum: -1, maximum: 1 }, feeling: { type: 'string' }, total: { type: 'integer' }, windows: { type: 'integer' } } },
                      },
                    },
                  },
                },
              },
              'summary',
            ),
            '400': errorResponse('bad match id, moments or points'),
            '404': errorResponse('no reaction was ever counted for this match (unknown_match)'),
            '503': errorResponse('the topology is not queryable yet'),
          },
        },
      },
      '/v1/admin/matches': {
        get: {
          summary: 'The live (MATCH_POLICY=open) or registered matches; admin token',
          responses: {
            '200': { description: '{"policy","live","max_live","matches":[{match_id,state,opened_at,closed_at,last_event_at}]}', content: { 'application/json': { schema: { type: 'object' } } } },
            '401': errorResponse('no or wrong admin token'),
          },
        },
      },
      '/v1/admin/matches/{id}': {
        put: {
          summary: 'Open a match (MATCH_POLICY=registered), written to the lifecycle topic before the answer; admin token',
          parameters: [matchPath],
          responses: {
            '201': { description: 'opened: {"match"}', content: { 'application/json': { schema: { type: 'object' } } } },
            '200': { description: 'already open: {"match"}', content: { 'application/json': { schema: { type: 'object' } } } },
            '400': errorResponse('not a match id'),
            '401': errorResponse('no or wrong admin token'),
            '409': errorResponse('MATCH_POLICY=open (policy_open)'),
          },
        },
        delete: {
          summary: 'Close a registered match (events and viewers refused, totals kept) or retire a live one (open policy); admin token',
          parameters: [matchPath],
          responses: {
            '200': { description: 'closed: {"match"}', content: { 'application/json': { schema: { type: 'object' } } } },
            '401': errorResponse('no or wrong admin token'),
            '404': errorResponse('not registered (or not live)'),
          },
        },
      },
      '/v1/palette': { get: { summary: 'The configured emojis and the swarm parameters', responses: { '200': json('Palette', 'palette') } } },
      '/healthz': { get: { summary: 'Process alive', responses: { '200': json('Health', 'alive') } } },
      '/readyz': { get: { summary: 'For a load balancer: this instance can take events and serve viewers (Kafka reachable, topics present, ingest up)', responses: { '200': json('Readiness', 'ready'), '503': json('Readiness', 'not ready') } } },
      '/status': { get: { summary: 'For operators: every part (ingest, Kafka broker, Spark job, Kafka Streams, window consumer) with its supervision phase and restarts; a stuck Spark query is not ok', responses: { '200': json('Readiness', 'every part ok'), '503': json('Readiness', 'some part not ok') } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/': { get: { summary: 'The live dashboard', responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      ...compat,
    },
    components: { schemas: components },
  };
}

export function openapiRoutes(config: Pick<Config, 'ingest' | 'broadcast' | 'kafka' | 'topics' | 'compat'>): Hono {
  const doc = JSON.stringify(openapiDocument(config));
  const app = new Hono();
  app.get('/openapi.json', (c) => c.body(doc, 200, { 'content-type': 'application/json; charset=utf-8' }));
  return app;
}
