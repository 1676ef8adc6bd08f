// The compatibility routes in-process (createApp with a fake ingest port): the original body shapes are
// accepted with 200 {"status":"ok"} after the submit resolved, and every refusal is byte-for-byte /v1's.
import { describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../config.ts';
import type { ValidEvent } from '../../domain/event.ts';
import { UnavailableError } from '../../ports/ingest.ts';
import { createApp } from '../app.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const NOW = Date.parse('2026-11-28T15:00:01.262Z');
const SECS = Math.floor(NOW / 1000);
const base = { KAFKA_BROKERS: '127.0.0.1:1', MAX_BODY_BYTES: '2048', RETRY_AFTER_S: '7', DEFAULT_MATCH_ID: 'final' };

function setup(config: Config = loadConfig(base)) {
  const written: ValidEvent[][] = [];
  let fail: Error | null = null;
  let release: (() => void) | null = null;
  const app = createApp({
    config,
    now: () => NOW,
    log: () => {},
    ingest: {
      submit: async (events) => {
        if (fail) throw fail;
        if (release === null) await new Promise<void>((r) => (release = r));
        written.push(events);
      },
    },
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return {
    app,
    written,
    post,
    failWith: (e: Error | null) => (fail = e),
    /** let every submit resolve at once (the broker acknowledges) */
    ack: () => {
      const r = release as (() => void) | null;
      release = () => {};
      r?.();
    },
  };
}

describe('POST /emoji (compatibility)', () => {
  it("answers 200 {status: ok} only after the submit resolved, with the original project's shapes normalized", async () => {
    const { post, written, ack } = setup();
    const pending = Promise.resolve(post('/emoji', { user_id: 17, emoji_type: '👏', timestamp: SECS }));
    let answered = false;
    void pending.then(() => (answered = true));
    await sleep(50);
    expect(answered).toBe(false); // still waiting for the broker
    ack();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(written).toHaveLength(1);
    expect(written[0]![0]).toMatchObject({
      user_id: '17',
      emoji_type: '👏',
      timestamp: '2026-11-28T15:00:01.000Z',
      match_id: 'final',
    });
    expect(written[0]![0]!.event_id).toMatch(/^[0-9a-f-]{36}$/);

    const iso = await post('/emoji', { user_id: 'user_3', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.510186' });
    expect(iso.status).toBe(200);
    expect(written[1]![0]).toMatchObject({ user_id: 'user_3', timestamp: '2026-11-28T15:00:01.510Z', match_id: 'final' });
  });

  it('reads zone-less timestamps in COMPAT_TIMEZONE and serves every path of COMPAT_PATHS', async () => {
    const { post, written, ack } = setup(loadConfig({ ...base, COMPAT_PATHS: '/emoji, /send_emoji', COMPAT_TIMEZONE: 'Asia/Kolkata' }));
    ack();
    expect((await post('/send_emoji', { user_id: 1, emoji_type: '🔥', timestamp: '2026-11-28T20:30:01.250' })).status).toBe(200);
    expect((await post('/emoji', { user_id: 2, emoji_type: '🔥', timestamp: '2026-11-28T20:30:01' })).status).toBe(200);
    expect(written.map((w) => w[0]!.timestamp)).toEqual(['2026-11-28T15:00:01.250Z', '2026-11-28T15:00:01.000Z']);
    // the same wall time is 5.5 h ahead when read as UTC
    const utc = setup(loadConfig(base));
    expect(await (await utc.post('/emoji', { user_id: 1, emoji_type: '🔥', timestamp: '2026-11-28T20:30:01.250' })).json()).toMatchObject({
      error: { code: 'timestamp_skew', field: 'timestamp' },
    });
  });

  it('is off with an empty COMPAT_PATHS', async () => {
    const { post } = setup(loadConfig({ ...base, COMPAT_PATHS: '' }));
    const res = await post('/emoji', { user_id: 'u', emoji_type: '🔥', timestamp: NOW });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  const json = { 'content-type': 'application/json' };
  // [case, body, headers]: refused on both routes; the answers must be identical
  const BAD: [string, unknown, Record<string, string>][] = [
    ['unknown emoji (the original palette has 😍)', { user_id: 'u', emoji_type: '😍', timestamp: NOW }, json],
    ['two emojis', { user_id: 'u', emoji_type: '🔥🔥', timestamp: NOW }, json],
    ['user_id 1.5', { user_id: 1.5, emoji_type: '🔥', timestamp: NOW }, json],
    ['user_id true', { user_id: true, emoji_type: '🔥', timestamp: NOW }, json],
    ['missing user_id', { emoji_type: '🔥', timestamp: NOW }, json],
    ['missing timestamp', { user_id: 'u', emoji_type: '🔥' }, json],
    ['timestamp seconds with a fraction (time.time())', { user_id: 'u', emoji_type: '🔥', timestamp: NOW / 1000 }, json],
    ['timestamp with a space (str(datetime))', { user_id: 'u', emoji_type: '🔥', timestamp: '2026-11-28 15:00:01.250186' }, json],
    ['timestamp an hour ahead', { user_id: 'u', emoji_type: '🔥', timestamp: NOW + 3_600_000 }, json],
    ['timestamp a day behind', { user_id: 'u', emoji_type: '🔥', timestamp: '2026-11-27T15:00:01Z' }, json],
    ['match_id with a space', { user_id: 'u', emoji_type: '🔥', timestamp: NOW, match_id: 'a b' }, json],
    ['unknown field', { user_id: 'u', emoji_type: '🔥', timestamp: NOW, extra: 1 }, json],
    ['several errors', { user_id: [], emoji_type: 'x', timestamp: 'now', country: 'IN' }, json],
    ['an array (no batch shape)', [{ user_id: 'u', emoji_type: '🔥', timestamp: NOW }], json],
    ['null', null, json],
    ['malformed JSON', '{"user_id":', json],
    ['empty body', '', json],
    ['text/plain', { user_id: 'u', emoji_type: '🔥', timestamp: NOW }, { 'content-type': 'text/plain' }],
    ['no content type', { user_id: 'u', emoji_type: '🔥', timestamp: NOW }, {}],
    ['body too large', { user_id: 'x'.repeat(3000), emoji_type: '🔥', timestamp: NOW }, json],
  ];
  it.each(BAD)('refuses %s exactly as POST /v1/emoji does, and writes nothing', async (_case, body, headers) => {
    const { post, written, ack } = setup();
    ack();
    const v1 = await post('/v1/emoji', body, headers);
    const compat = await post('/emoji', body, headers);
    expect(v1.status).toBeGreaterThanOrEqual(400);
    expect(compat.status).toBe(v1.status);
    expect(compat.headers.get('content-type')).toBe(v1.headers.get('content-type'));
    expect(await compat.text()).toBe(await v1.text());
    expect(written).toEqual([]);
  });

  it('answers 503 with Retry-After like /v1 when the ingest service is unavailable', async () => {
    const { post, failWith } = setup();
    failWith(new UnavailableError('kafka_unavailable', 'Kafka is unavailable: ECONNREFUSED'));
    const res = await post('/emoji', { user_id: 1, emoji_type: '🔥', timestamp: SECS });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
  });

  it('takes POST only', async () => {
    const { app } = setup();
    expect((await app.request('/emoji')).status).toBe(404);
  });
});
