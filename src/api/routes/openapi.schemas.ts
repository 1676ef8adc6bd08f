// The HTTP API's request and response shapes as zod schemas, for GET /openapi.json (z.toJSONSchema).
// The ingest path validates with the hand-written validator in src/domain/event.ts (every refusal names
// the field and reason, and it runs once per event on the hot path); `eventSchema` describes the same rules
// and openapi.routes.test.ts holds the two to the same verdicts on a table of bodies, so they cannot drift;
// likewise `originalEvent` and the compatibility routes (src/domain/compat.ts, then the same validator).
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { EVENT_ID_PATTERN, MATCH_ID_PATTERN } from '../../domain/ids.ts';

const ISO_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?(?:Z|[+-]\\d{2}:?\\d{2})$';
const USER_ID_PATTERN = '^[^\\p{C}]{1,128}$';

export interface SchemaMeta {
  id: string;
  description?: string;
  examples?: unknown[];
}

const ZONELESS_ISO_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?$';

export function apiSchemas(config: Pick<Config, 'ingest' | 'compat'>) {
  const { palette, defaultMatchId, timestampSkewMs, maxBatchEvents } = config.ingest;
  // A registry of our own (not zod's global one): named schemas become components/schemas entries, and
  // building the schemas twice (tests, two platforms in one process) does not clash on ids.
  const registry = z.registry<SchemaMeta>();

  const matchId = z.string().regex(new RegExp(MATCH_ID_PATTERN)).describe(`a match id; default "${defaultMatchId}"`);
  const event = z
    .strictObject({
      user_id: z
        .string()
        .regex(new RegExp(USER_ID_PATTERN, 'u'))
        .refine((s) => s.trim() !== '', 'not blank')
        .describe('1–128 printable characters'),
      emoji_type: z.enum([...new Set([...palette, ...palette.map((p) => p.replace(/\uFE0F/g, ''))])] as [string, ...string[]]).describe('exactly one emoji from the palette (GET /v1/palette); U+FE0F optional'),
      timestamp: z
        .union([z.string().regex(new RegExp(ISO_PATTERN)).describe('ISO-8601 date-time with a zone'), z.int().min(0).describe('epoch milliseconds')])
        .describe(`client time; must be within ±${timestampSkewMs} ms of the server clock`),
      match_id: matchId.optional(),
      event_id: z.string().regex(new RegExp(EVENT_ID_PATTERN)).optional().describe('idempotency key: a retry with the same event_id is counted once'),
    })
    .register(registry, { id: 'EmojiEvent', examples: [{ user_id: 'u-17', emoji_type: palette[0], timestamp: '2026-11-28T15:00:01.250Z', match_id: 'ind-aus' }] });

  const batch = z.array(event).min(1).max(maxBatchEvents).register(registry, { id: 'EmojiBatch' });

  // The body of the compatibility routes (src/domain/compat.ts): EmojiEvent plus the rules' wider types.
  const originalEvent = event
    .extend({
      user_id: z.union([event.shape.user_id, z.int().describe('a whole number: becomes its decimal string')]),
      timestamp: z
        .union([
          z.string().regex(new RegExp(ISO_PATTERN)).describe('ISO-8601 date-time with a zone'),
          z.string().regex(new RegExp(ZONELESS_ISO_PATTERN)).describe(`ISO-8601 date-time without a zone: read in COMPAT_TIMEZONE (${config.compat.timeZone})`),
          z.int().min(0).describe('below 10^11: epoch seconds; from 10^11: epoch milliseconds'),
        ])
        .describe(`client time; must be within ±${timestampSkewMs} ms of the server clock`),
    })
    .register(registry, {
      id: 'OriginalEmojiEvent',
      description: "The original project's body, read by the compatibility rules and then validated as EmojiEvent",
      examples: [{ user_id: 17, emoji_type: palette[0], timestamp: '2026-11-28T15:00:01.250186' }],
    });

  const error = z
    .object({
      error: z.object({
        code: z.string(),
        message: z.string(),
        field: z.string().optional(),
        details: z
          .array(z.object({ index: z.int().optional(), field: z.string(), code: z.string(), message: z.string() }))
          .max(20)
          .optional()
          .describe('the first 20 field errors (one per unknown-keys object), in index order'),
        details_total: z.int().min(1).optional().describe('how many field errors there were in all'),
        outcome: z
          .enum(['not_written', 'unknown'])
          .optional()
          .describe('503 of an ingest route: not_written = refused before anything was sent; unknown = sent, not confirmed in time (it may be in Kafka). Retry with the same event_id either way.'),
      }),
    })
    .register(registry, { id: 'Error' });

  const counts = z.record(z.string(), z.int().min(1)).describe('emoji → count; emojis without events are absent');
  const window = z
    .object({
      match_id: z.string(),
      window_start: z.iso.datetime(),
      window_end: z.iso.datetime(),
      counts,
      swarm: z.record(z.string(), z.int().min(1)).describe('emoji → max(1, floor(count / SCALE_FACTOR))'),
      total: z.int().min(0),
    })
    .register(registry, { id: 'Window', description: 'A 2 s window: the value on emoji-windows and the SSE `data:` of `event: window`' });

  const subscriber = z.object({ subscriber_id: z.string(), viewers: z.int(), subscriptions: z.int(), capacity: z.int() });
  const cluster = z
    .object({
      cluster_id: z.string(),
      status: z.enum(['up', 'restarting']),
      generation: z.int(),
      restarts: z.int(),
      viewers: z.int(),
      subscriptions: z.int(),
      capacity: z.int(),
      max_capacity: z.int(),
      history_windows: z.int(),
      subscribers: z.array(subscriber),
    })
    .register(registry, { id: 'Cluster' });

  return {
    registry,
    event,
    batch,
    error,
    window,
    originalEvent,
    accepted: z.object({ event_id: z.string() }).register(registry, { id: 'Accepted' }),
    compatAccepted: z.object({ status: z.literal('ok') }).register(registry, { id: 'CompatAccepted' }),
    batchAccepted: z.object({ accepted: z.int(), event_ids: z.array(z.string()) }).register(registry, { id: 'BatchAccepted' }),
    subscriptionRequest: z.strictObject({ match_id: matchId.optional(), cluster: z.string().regex(new RegExp(MATCH_ID_PATTERN)).optional() }).register(registry, { id: 'SubscriptionRequest' }),
    subscription: z
      .object({ subscription_id: z.string(), cluster_id: z.string(), subscriber_id: z.string(), stream_url: z.string().describe('GET it as text/event-stream') })
      .register(registry, { id: 'Subscription' }),
    clusters: z.object({ clusters: z.array(cluster) }).register(registry, { id: 'Clusters' }),
    totals: z
      .object({ match_id: z.string(), totals: counts, total: z.int(), as_of: z.iso.datetime(), stream_time: z.iso.datetime().optional() })
      .register(registry, { id: 'MatchTotals' }),
    exactWindows: z
      .object({ match_id: z.string(), from: z.iso.datetime(), to: z.iso.datetime(), windows: z.array(window.extend({ closed: z.boolean() })) })
      .register(registry, { id: 'ExactWindows' }),
    palette: z
      .object({ palette: z.array(z.string()), default_match_id: z.string(), window_ms: z.int(), scale_factor: z.int(), max_batch_events: z.int() })
      .register(registry, { id: 'Palette' }),
    health: z.object({ status: z.literal('ok'), uptime_s: z.number(), node: z.string() }).register(registry, { id: 'Health' }),
    ready: z
      .object({
        status: z.enum(['ready', 'not_ready', 'degraded']).describe('/readyz: ready | not_ready; /status: ready | degraded'),
        checks: z.array(
          z.object({
            name: z.string(),
            ok: z.boolean(),
            detail: z.string().optional(),
            phase: z.enum(['starting', 'running', 'restarting', 'failed', 'stopped']).optional().describe('supervised parts'),
            restarts: z.int().optional().describe('supervised parts: restarts since start'),
          }),
        ),
      })
      .register(registry, { id: 'Readiness' }),
  };
}

export type ApiSchemas = ReturnType<typeof apiSchemas>;
