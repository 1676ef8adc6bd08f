import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { fromOriginal } from '../../domain/compat.ts';
import { createEventValidator } from '../../domain/event.ts';
import { openapiDocument, openapiRoutes } from './openapi.routes.ts';
import { apiSchemas } from './openapi.schemas.ts';

const config = loadConfig({ MAX_BATCH_EVENTS: '50' });
const NOW = Date.now();
const ok = { user_id: 'u-17', emoji_type: '🔥', timestamp: new Date(NOW).toISOString(), match_id: 'ind-aus' };

// bodies the validator and the published schema must judge alike (timestamps within the allowed skew)
const TABLE: [string, unknown][] = [
  ['valid, ISO timestamp', ok],
  ['valid, epoch ms', { ...ok, timestamp: NOW }],
  ['valid, no match_id', { user_id: 'u', emoji_type: '😀', timestamp: NOW }],
  ['valid, event_id', { ...ok, event_id: 'abc-123:4' }],
  ['valid, palette emoji without U+FE0F', { ...ok, emoji_type: '❤' }],
  ['valid, ZWJ sequence', { ...ok, emoji_type: '🧑‍🤝‍🧑' }],
  ['valid, skin tone', { ...ok, emoji_type: '👍🏽' }],
  ['valid, 128-character user id', { ...ok, user_id: 'x'.repeat(128) }],
  ['unknown emoji', { ...ok, emoji_type: '🦄' }],
  ['two emojis', { ...ok, emoji_type: '🔥🔥' }],
  ['text instead of an emoji', { ...ok, emoji_type: 'fire' }],
  ['missing user_id', { emoji_type: '🔥', timestamp: NOW }],
  ['missing emoji_type', { user_id: 'u', timestamp: NOW }],
  ['missing timestamp', { user_id: 'u', emoji_type: '🔥' }],
  ['user_id a number', { ...ok, user_id: 17 }],
  ['user_id empty', { ...ok, user_id: '' }],
  ['user_id blank', { ...ok, user_id: '   ' }],
  ['user_id with a control character', { ...ok, user_id: 'a\u0007b' }],
  ['user_id too long', { ...ok, user_id: 'x'.repeat(129) }],
  ['timestamp without a zone', { ...ok, timestamp: '2026-11-28T15:00:01' }],
  ['timestamp a date only', { ...ok, timestamp: '2026-11-28' }],
  ['timestamp negative', { ...ok, timestamp: -1 }],
  ['timestamp fractional ms', { ...ok, timestamp: NOW + 0.5 }],
  ['timestamp a boolean', { ...ok, timestamp: true }],
  ['match_id with a space', { ...ok, match_id: 'ind aus' }],
  ['match_id too long', { ...ok, match_id: 'm'.repeat(65) }],
  ['match_id a number', { ...ok, match_id: 7 }],
  ['event_id with a slash', { ...ok, event_id: 'a/b' }],
  ['unknown field', { ...ok, extra: 1 }],
  ['an array', [ok]],
  ['null', null],
  ['a string', 'hello'],
];

// bodies the compatibility route and its published schema must judge alike
const SECS = Math.floor(NOW / 1000);
const zoneless = new Date(NOW).toISOString().slice(0, -1); // UTC wall time, the default COMPAT_TIMEZONE
const COMPAT_TABLE: [string, unknown][] = [
  ...TABLE.filter(([name]) => name !== 'user_id a number' && name !== 'timestamp without a zone'),
  ['original: numeric user_id', { ...ok, user_id: 17 }],
  ['original: epoch seconds', { ...ok, timestamp: SECS }],
  ['original: zone-less ISO', { ...ok, timestamp: zoneless }],
  ['original: zone-less ISO with microseconds', { ...ok, timestamp: `${zoneless}186` }],
  ['original: all three, no match_id', { user_id: 3, emoji_type: '👏', timestamp: SECS }],
  ['user_id a fraction', { ...ok, user_id: 1.5 }],
  ['timestamp seconds with a fraction', { ...ok, timestamp: SECS + 0.5 }],
  ['timestamp with a space', { ...ok, timestamp: zoneless.replace('T', ' ') }],
  ['timestamp seconds as a string', { ...ok, timestamp: String(SECS) }],
];

describe('OpenAPI document', () => {
  const s = apiSchemas(config);
  const validate = createEventValidator(config.ingest);

  it.each(TABLE)('schema and validator agree: %s', (_name, body) => {
    const byValidator = validate(body, { now: NOW }).ok;
    expect(s.event.safeParse(body).success).toBe(byValidator);
  });

  it.each(COMPAT_TABLE)('compatibility schema and route agree: %s', (_name, body) => {
    const byRoute = validate(fromOriginal(body, config.compat), { now: NOW }).ok;
    expect(s.originalEvent.safeParse(body).success).toBe(byRoute);
  });

  it('lists each COMPAT_PATHS route under the compatibility tag, and none when it is empty', () => {
    type Doc = { tags: { name: string }[]; paths: Record<string, { post?: { tags?: string[]; responses: Record<string, unknown> } }> };
    const doc = openapiDocument(loadConfig({ COMPAT_PATHS: '/emoji,/send_emoji' })) as Doc;
    expect(doc.tags.map((t) => t.name)).toContain('compatibility');
    const tagged = Object.entries(doc.paths).filter(([, v]) => v.post?.tags?.includes('compatibility')).map(([p]) => p);
    expect(tagged).toEqual(['/emoji', '/send_emoji']);
    expect(doc.paths['/emoji']!.post!.responses).toHaveProperty(['200']);
    const off = openapiDocument(loadConfig({ COMPAT_PATHS: '' })) as Doc;
    expect(Object.values(off.paths).filter((v) => v.post?.tags?.includes('compatibility'))).toEqual([]);
  });

  it('limits a batch to MAX_BATCH_EVENTS, at least one', () => {
    expect(s.batch.safeParse([ok]).success).toBe(true);
    expect(s.batch.safeParse([]).success).toBe(false);
    expect(s.batch.safeParse(Array(51).fill(ok)).success).toBe(false);
  });

  it('is OpenAPI 3.1 with every route, and every $ref resolves', () => {
    const doc = openapiDocument(config) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/emoji', '/v1/emoji', '/v1/emoji/batch', '/v1/subscriptions', '/v1/subscriptions/{id}', '/v1/clusters', '/v1/clusters/{id}/stream', '/v1/counts', '/v1/counts/windows', '/v1/palette', '/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect(doc.paths, p).toHaveProperty([p]);
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(doc.components.schemas, r).toHaveProperty([r]);
    const ev = doc.components.schemas.EmojiEvent as { required: string[]; additionalProperties: boolean; properties: { emoji_type: { enum: string[] } } };
    expect(ev.required).toEqual(['user_id', 'emoji_type', 'timestamp']);
    expect(ev.additionalProperties).toBe(false);
    expect(ev.properties.emoji_type.enum).toEqual(expect.arrayContaining(config.ingest.palette));
  });

  it('is served at GET /openapi.json', async () => {
    const res = await openapiRoutes(config).request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(((await res.json()) as { info: { title: string } }).info.title).toBe('EmoStream API');
  });
});
