// The HTTP ingest path against a real broker (KAFKA_BROKERS, set by tests/setup/global.ts): posted events
// land on emoji-events with every field, refused requests write nothing, client event_ids are idempotent,
// and a kafkajs consumer group can join, consume and commit against this Kafka 4.x broker.
// Isolation from other traffic on the topic: every record of this file carries the match_id prefix RUN.
import { request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { EmojiEvent } from '../src/domain/event.ts';
import { actualTopicDurability, clusterTopicDurability, createKafka, ensureTopics } from '../src/kafka/client.ts';
import { partitionOfKey } from '../src/kafka/packed.ts';
import { startIngest, type IngestService } from '../src/kafka/producer.ts';
import { readTopicFromNow } from './support/topic-reader.ts';
import { readReply, type Reply } from './support/http-reply.ts';
import { waitFor } from './support/wait.ts';
import { createTopicWithLeaders } from './support/topics.ts';

const RUN = `t-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
const BROKERS = process.env.KAFKA_BROKERS || inject('kafkaBrokers') || '127.0.0.1:9092';

let config: Config;
let kafka: Kafka;
let ingest: IngestService;
let server: ServerType;
let port: number;
let consumer: Consumer;
/** Every record of this run seen on emoji-events, in arrival order. */
const seen: { partition: number; offset: string; key: string; position: number; value: EmojiEvent }[] = [];

/** Keyed by user_id: on its user's partition, under its own key or (packed) the key of an event of that partition. */
const expectKeyedBy = (rec: (typeof seen)[number], userId: string) => {
  const partitions = config.topics.eventsPartitions;
  expect(rec.partition).toBe(partitionOfKey(userId, partitions));
  if (rec.position === 0) expect(rec.key).toBe(userId);
  else expect(partitionOfKey(rec.key, partitions)).toBe(rec.partition);
};

function post(path: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, chunked = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(buf.length) } }, (res) => readReply(res, resolve));
    req.on('error', reject);
    if (chunked) {
      // several writes without a content-length: sent chunked, so the limit is enforced while reading
      for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
      req.end();
    } else req.end(buf);
  });
}
const postJson = (path: string, body: unknown) => post(path, JSON.stringify(body));

const ev = (match: string, user: string, extra: Record<string, unknown> = {}) => ({
  user_id: user,
  emoji_type: '🔥',
  timestamp: new Date().toISOString(),
  match_id: match,
  ...extra,
});

/**
 * Everything acknowledged before this call is visible afterwards: post one batch of sentinels whose keys
 * spread over every partition, and wait until all of them were consumed (they sit after earlier writes).
 */
async function barrier(match: string): Promise<void> {
  const users = Array.from({ length: 120 }, (_, i) => `${match}-sentinel-${i}`);
  const r = await postJson('/v1/emoji/batch', users.map((u) => ev(match, u)));
  expect(r.status).toBe(202);
  const ids = new Set<string>(r.json.event_ids);
  await waitFor('the sentinels', () => seen.filter((s) => ids.has(s.value.event_id)).length === ids.size);
  const partitions = new Set(seen.filter((s) => ids.has(s.value.event_id)).map((s) => s.partition));
  expect(partitions.size).toBe(config.topics.eventsPartitions);
}

beforeAll(async () => {
  config = loadConfig({ KAFKA_BROKERS: BROKERS, LOG_LEVEL: 'warn', BODY_TIMEOUT_MS: '1500', INGEST_PACK_EVENTS: '100' });
  kafka = createKafka(config, 'test-ingest');
  // Start reading where the topic ends now: this file's records all come later.
  consumer = await readTopicFromNow(kafka, config.topics.events, `${RUN}-reader`, (r) => {
    if (typeof r.value.match_id === 'string' && r.value.match_id.startsWith(RUN)) seen.push({ ...r, key: r.key! });
  });

  ingest = await startIngest(config, kafka);
  const app = createApp({ config, ingest });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await ingest?.stop();
  await consumer?.disconnect();
  if (!kafka) return;
  // leave no reader group behind on a shared broker
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([`${RUN}-reader`]).catch(() => {});
  await admin.disconnect();
});

describe('ingest → emoji-events', () => {
  it('a posted event appears with every field, keyed by user_id', async () => {
    const match = `${RUN}-one`;
    const body = { user_id: 'u-17', emoji_type: '❤️', timestamp: Date.now() - 1500, match_id: match };
    const t0 = Date.now();
    const r = await postJson('/v1/emoji', body);
    expect(r.status).toBe(202);
    const id: string = r.json.event_id;
    const rec = await waitFor('the event', () => seen.find((s) => s.value.event_id === id));
    expectKeyedBy(rec, 'u-17');
    expect(rec.value).toEqual({
      event_id: id,
      user_id: 'u-17',
      emoji_type: '❤️',
      timestamp: new Date(body.timestamp).toISOString(),
      match_id: match,
      received_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Math.abs(Date.parse(rec.value.received_at) - t0)).toBeLessThan(5000);
  });

  it('a batch is written packed (INGEST_PACK_EVENTS): one record per partition, its events in order', async () => {
    expect(config.ingest.packEvents).toBeGreaterThan(20);
    const match = `${RUN}-packed`;
    const items = Array.from({ length: 20 }, (_, i) => ev(match, i % 2 ? 'u-1' : 'u-2'));
    const r = await postJson('/v1/emoji/batch', items);
    expect(r.status).toBe(202);
    const ids: string[] = r.json.event_ids;
    const recs = await waitFor('the batch', () => {
      const got = ids.map((id) => seen.find((s) => s.value.event_id === id));
      return got.every(Boolean) ? (got as (typeof seen)[number][]) : undefined;
    });
    // u-1 and u-2 are on two partitions (contracts/event-records.json): two records, ten events each, in order
    const records = new Map<string, number[]>();
    recs.forEach((rec, i) => {
      expectKeyedBy(rec, items[i]!.user_id);
      const at = `${rec.partition}/${rec.offset}`;
      records.set(at, [...(records.get(at) ?? []), rec.position]);
    });
    expect([...records.values()]).toEqual([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i)]);
  });

  it('a batch appears whole, with the ids the API returned and one received_at', async () => {
    const match = `${RUN}-batch`;
    const items = ['🔥', '👍🏽', '🧑‍🤝‍🧑', '😀', '🏏'].map((e, i) => ev(match, `u-${i}`, { emoji_type: e }));
    const r = await postJson('/v1/emoji/batch', items);
    expect(r.status).toBe(202);
    expect(r.json.accepted).toBe(5);
    const ids: string[] = r.json.event_ids;
    const recs = await waitFor('the batch', () => {
      const got = ids.map((id) => seen.find((s) => s.value.event_id === id));
      return got.every(Boolean) ? (got as (typeof seen)[number][]) : undefined;
    });
    recs.forEach((rec, i) => {
      expectKeyedBy(rec, `u-${i}`);
      expect(rec.value).toMatchObject({ user_id: `u-${i}`, emoji_type: items[i]!.emoji_type, match_id: match, timestamp: items[i]!.timestamp });
    });
    expect(new Set(recs.map((x) => x.value.received_at)).size).toBe(1);
  });

  it('a slow upload is stamped when it has arrived, not when it started (it cannot be late for the watermark)', async () => {
    const match = `${RUN}-slow`;
    const body = Buffer.from(JSON.stringify(ev(match, 'u-slow', { event_id: `${RUN}-slow-1` })));
    const started = Date.now();
    let lastByteAt = 0;
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/emoji', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('error', reject);
      // the body in 4 pieces over ~1.2 s (BODY_TIMEOUT_MS is 1.5 s here)
      let i = 0;
      const step = Math.ceil(body.length / 4);
      const next = () => {
        req.write(body.subarray(i, i + step));
        i += step;
        if (i < body.length) setTimeout(next, 400);
        else {
          lastByteAt = Date.now();
          req.end();
        }
      };
      next();
    });
    expect(reply).toBe(202);
    const rec = await waitFor('the slow event', () => seen.find((s) => s.value.event_id === `${RUN}-slow-1`));
    const receivedAt = Date.parse(rec.value.received_at);
    expect(lastByteAt - started).toBeGreaterThanOrEqual(1100);
    expect(receivedAt).toBeGreaterThanOrEqual(lastByteAt - 50); // a few ms of clock anchoring between the two
  });

  it('a client event_id is written once, however often it is retried (also concurrently)', async () => {
    const match = `${RUN}-idem`;
    const body = ev(match, 'u-idem', { event_id: `${RUN}-key-1` });
    const replies = await Promise.all([postJson('/v1/emoji', body), postJson('/v1/emoji', body)]);
    const again = await postJson('/v1/emoji', body);
    for (const r of [...replies, again]) expect(r).toMatchObject({ status: 202, json: { event_id: `${RUN}-key-1` } });
    await barrier(match);
    expect(seen.filter((s) => s.value.event_id === `${RUN}-key-1`)).toHaveLength(1);
  });

  it('idempotency is per (user_id, event_id): another user may reuse an id; another payload under a known key is a 409', async () => {
    const match = `${RUN}-idem2`;
    const id = `${RUN}-key-2`;
    expect((await postJson('/v1/emoji', ev(match, 'u-a', { event_id: id }))).status).toBe(202);
    expect((await postJson('/v1/emoji', ev(match, 'u-b', { event_id: id }))).status).toBe(202);
    const conflict = await postJson('/v1/emoji', ev(match, 'u-a', { event_id: id, emoji_type: '😡' }));
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ code: 'idempotency_conflict', field: 'event_id' });
    const inBatch = await postJson('/v1/emoji/batch', [ev(match, 'u-c'), ev(match, 'u-b', { event_id: id, emoji_type: '😡' })]);
    expect(inBatch.status).toBe(409);
    expect(inBatch.json.error).toMatchObject({ code: 'idempotency_conflict', field: '[1].event_id' });
    await barrier(match);
    expect(seen.filter((s) => s.value.match_id === match && s.value.user_id.startsWith('u-')).map((s) => s.value.user_id).sort()).toEqual(['u-a', 'u-b']);
  });
});

describe('refused requests', () => {
  const M = `${RUN}-bad`;
  const marker = (i: number) => `${M}-u${i}`;
  const good = (i: number, extra: Record<string, unknown> = {}) => ev(M, marker(i), extra);
  const json = (o: unknown) => JSON.stringify(o);
  const big = 'x'.repeat(1_100_000);
  type Case = { name: string; path?: string; body: (i: number) => string | Buffer; headers?: Record<string, string>; chunked?: boolean; status: number; code: string; field?: string; contains?: string };
  const cases: Case[] = [
    { name: 'malformed JSON', body: (i) => `{"user_id":"${marker(i)}",`, status: 400, code: 'malformed_json' },
    { name: 'empty body', body: () => '', status: 400, code: 'malformed_json' },
    { name: 'invalid UTF-8', body: (i) => Buffer.concat([Buffer.from(`{"user_id":"${marker(i)}","x":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), status: 400, code: 'invalid_encoding' },
    { name: 'an array to /v1/emoji', body: (i) => json([good(i)]), status: 400, code: 'invalid_type' },
    { name: 'a JSON string', body: () => json('🔥'), status: 400, code: 'invalid_type' },
    { name: 'JSON null', body: () => 'null', status: 400, code: 'invalid_type' },
    { name: 'missing user_id', body: () => json({ emoji_type: '🔥', timestamp: Date.now(), match_id: M }), status: 400, code: 'required', field: 'user_id' },
    { name: 'numeric user_id', body: () => json(good(0, { user_id: 17 })), status: 400, code: 'invalid_type', field: 'user_id' },
    { name: 'empty user_id', body: () => json(good(0, { user_id: '' })), status: 400, code: 'invalid_format', field: 'user_id' },
    { name: 'user_id of 129 characters', body: () => json(good(0, { user_id: `${M}-`.padEnd(129, 'x') })), status: 400, code: 'too_long', field: 'user_id' },
    { name: 'control character in user_id', body: (i) => json(good(i, { user_id: `${marker(i)}\u0007` })), status: 400, code: 'invalid_format', field: 'user_id' },
    { name: 'missing emoji_type', body: (i) => json({ user_id: marker(i), timestamp: Date.now(), match_id: M }), status: 400, code: 'required', field: 'emoji_type' },
    { name: 'unknown emoji', body: (i) => json(good(i, { emoji_type: '🍕' })), status: 400, code: 'unknown_emoji', field: 'emoji_type', contains: '🔥 😀 😡' },
    { name: 'two emojis', body: (i) => json(good(i, { emoji_type: '🔥🔥' })), status: 400, code: 'not_single_emoji', field: 'emoji_type' },
    { name: 'a word instead of an emoji', body: (i) => json(good(i, { emoji_type: 'fire' })), status: 400, code: 'not_single_emoji', field: 'emoji_type' },
    { name: 'numeric emoji_type', body: (i) => json(good(i, { emoji_type: 128293 })), status: 400, code: 'invalid_type', field: 'emoji_type' },
    { name: 'missing timestamp', body: (i) => json({ user_id: marker(i), emoji_type: '🔥', match_id: M }), status: 400, code: 'required', field: 'timestamp' },
    { name: 'timestamp an hour ahead', body: (i) => json(good(i, { timestamp: Date.now() + 3_600_000 })), status: 400, code: 'timestamp_skew', field: 'timestamp' },
    { name: 'timestamp a day behind (ISO)', body: (i) => json(good(i, { timestamp: new Date(Date.now() - 86_400_000).toISOString() })), status: 400, code: 'timestamp_skew', field: 'timestamp' },
    { name: 'timestamp not a date', body: (i) => json(good(i, { timestamp: 'now' })), status: 400, code: 'invalid_format', field: 'timestamp' },
    { name: 'timestamp without a zone', body: (i) => json(good(i, { timestamp: new Date().toISOString().slice(0, 19) })), status: 400, code: 'invalid_format', field: 'timestamp' },
    { name: 'timestamp in seconds with a fraction', body: (i) => json(good(i, { timestamp: Date.now() / 1000 })), status: 400, code: 'invalid_format', field: 'timestamp' },
    { name: 'boolean timestamp', body: (i) => json(good(i, { timestamp: true })), status: 400, code: 'invalid_type', field: 'timestamp' },
    { name: 'match_id with a slash', body: (i) => json(good(i, { match_id: `${M}/x` })), status: 400, code: 'invalid_format', field: 'match_id' },
    { name: 'match_id of 65 characters', body: (i) => json(good(i, { match_id: M.padEnd(65, 'm') })), status: 400, code: 'invalid_format', field: 'match_id' },
    { name: 'null match_id', body: (i) => json(good(i, { match_id: null })), status: 400, code: 'invalid_type', field: 'match_id' },
    { name: 'event_id with spaces', body: (i) => json(good(i, { event_id: 'a b' })), status: 400, code: 'invalid_format', field: 'event_id' },
    { name: 'unknown field', body: (i) => json(good(i, { country: 'IN' })), status: 400, code: 'unknown_field', field: 'country' },
    { name: 'text/plain content type', body: (i) => json(good(i)), headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
    { name: 'form content type', body: (i) => `user_id=${marker(i)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
    { name: 'no content type', body: (i) => json(good(i)), headers: {}, status: 415, code: 'unsupported_media_type' },
    { name: 'body over the limit (content-length)', body: (i) => json(good(i, { pad: big })), status: 413, code: 'body_too_large' },
    { name: 'body over the limit (chunked)', body: (i) => json(good(i, { pad: big })), chunked: true, status: 413, code: 'body_too_large' },
    { name: 'batch: an object', path: '/v1/emoji/batch', body: (i) => json(good(i)), status: 400, code: 'invalid_type' },
    { name: 'batch: empty', path: '/v1/emoji/batch', body: () => '[]', status: 400, code: 'empty_batch' },
    { name: 'batch: over MAX_BATCH_EVENTS', path: '/v1/emoji/batch', body: (i) => json(Array.from({ length: 1001 }, (_, k) => ev(M, `${marker(i)}-${k}`))), status: 413, code: 'too_many_events' },
    { name: 'batch: one bad among good ones', path: '/v1/emoji/batch', body: (i) => json([good(i), good(i, { emoji_type: '🍕' }), good(i)]), status: 400, code: 'unknown_emoji', field: '[1].emoji_type' },
    { name: 'batch: several bad ones', path: '/v1/emoji/batch', body: (i) => json([good(i, { timestamp: 'x' }), good(i), good(i, { user_id: 5 })]), status: 400, code: 'invalid_batch', field: '[0].timestamp' },
    { name: 'batch: a repeated event_id', path: '/v1/emoji/batch', body: (i) => json([good(i, { event_id: `${M}-dup` }), good(i, { event_id: `${M}-dup` })]), status: 400, code: 'duplicate', field: '[1].event_id' },
  ];

  it(`has at least 25 different bad requests (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s → refused', async (_name, c, i) => {
    const r = await post(c.path ?? '/v1/emoji', c.body(i), c.headers ?? { 'content-type': 'application/json' }, c.chunked);
    expect(r.status).toBe(c.status);
    expect(r.json.error.code).toBe(c.code);
    expect(typeof r.json.error.message).toBe('string');
    if (c.field !== undefined) {
      expect(r.json.error.field).toBe(c.field);
      expect(r.json.error.message).toContain(c.field.replace(/^\[\d+\]\./, ''));
    }
    if (c.contains) expect(r.json.error.message).toContain(c.contains);
  });

  it('a 1 MiB hostile batch (1000 events, each with 45 unknown keys) gets a 400 under 16 KiB', async () => {
    const events = Array.from({ length: 1000 }, (_, k) => {
      const e: Record<string, unknown> = good(cases.length + k);
      for (let j = 0; j < 45; j++) e[`unknown_key_${j}`] = j;
      return e;
    });
    const body = json(events);
    expect(body.length).toBeGreaterThan(1_000_000);
    const r = await post('/v1/emoji/batch', body);
    expect(r.status).toBe(400);
    expect(r.bytes).toBeLessThan(16 * 1024);
    expect(r.json.error).toMatchObject({ code: 'invalid_batch', field: '[0].unknown_key_0', details_total: 1000 });
    expect(r.json.error.details).toHaveLength(20);
    console.log(`[ingest] hostile batch: ${body.length} bytes in, ${r.bytes} bytes of 400 out`);
  });

  it('a body that is not received within BODY_TIMEOUT_MS gets 408 and the connection is closed', async () => {
    const body = json(good(cases.length + 5000));
    const t0 = Date.now();
    const reply = await new Promise<{ text: string; closedAfterMs: number }>((resolve, reject) => {
      const sock = connect(port, '127.0.0.1');
      let text = '';
      sock.on('data', (d) => (text += d.toString('utf8')));
      sock.on('close', () => resolve({ text, closedAfterMs: Date.now() - t0 }));
      sock.on('error', reject);
      // headers and the first bytes of the body, then nothing more (a stalled upload)
      sock.write(`POST /v1/emoji HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      sock.write(body.slice(0, 10));
    });
    expect(reply.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(reply.text).toContain('"code":"body_timeout"');
    expect(reply.closedAfterMs).toBeGreaterThanOrEqual(1400);
    expect(reply.closedAfterMs).toBeLessThan(6000); // the deadline, not Node's own requestTimeout (300 s)
  });

  it('none of them reached the topic, and the server still accepts', async () => {
    await barrier(M); // every refused request was answered before this batch was posted
    const leaked = seen.filter((s) => s.value.match_id.startsWith(M) && !s.value.user_id.startsWith(`${M}-sentinel-`));
    expect(leaked).toEqual([]);
  });
});

describe('health', () => {
  it('is alive and ready against the real broker', async () => {
    const h = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(h.status).toBe(200);
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await r.json()) as { status: string; checks: { name: string; ok: boolean }[] };
    expect(body.checks.map((c) => c.name)).toEqual(['kafka', 'ingest']);
    expect(r.status).toBe(200);
    expect(body.status).toBe('ready');
  });
});

describe('topic durability', () => {
  it('creates the platform topics with the configured replicas and an explicit min.insync.replicas; refuses an impossible one', async () => {
    const names = { TOPIC_EVENTS: `${RUN}-d-events`, TOPIC_WINDOWS: `${RUN}-d-windows`, TOPIC_EXACT: `${RUN}-d-exact`, TOPIC_METRICS: `${RUN}-d-metrics`, TOPIC_MOMENTS: `${RUN}-d-moments` };
    const c = loadConfig({ KAFKA_BROKERS: BROKERS, ...names });
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await clusterTopicDurability(admin, c)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 }); // auto on one broker
      expect((await ensureTopics(admin, c)).sort()).toEqual(Object.values(names).sort());
      for (const topic of Object.values(names)) {
        expect(await actualTopicDurability(admin, topic)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1, explicitMinInsync: true });
      }
      const impossible = loadConfig({ KAFKA_BROKERS: BROKERS, TOPIC_MIN_INSYNC_REPLICAS: '2' });
      await expect(clusterTopicDurability(admin, impossible)).rejects.toThrow(/exceeds the replication factor \(1\) on this cluster of 1 broker/);
      await admin.deleteTopics({ topics: Object.values(names) });
    } finally {
      await admin.disconnect();
    }
  });
});

describe('kafkajs consumer groups on this Kafka 4.x broker', () => {
  it('join, consume, commit; a new member of the group resumes after the committed offset', async () => {
    const topic = `${RUN}-group`;
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await createTopicWithLeaders(admin, topic, 1);
      await producer.connect();
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `m${i}` })) });
      const groupId = `${RUN}-group`;

      const first = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await first.connect();
      await first.subscribe({ topic, fromBeginning: true });
      const got1: string[] = [];
      let committed!: () => void;
      const done1 = new Promise<void>((r) => (committed = r));
      await first.run({
        autoCommit: false,
        eachMessage: async ({ message, partition }) => {
          if (got1.length >= 5) return;
          got1.push(message.value!.toString());
          if (got1.length === 5) {
            await first.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
            committed();
          }
        },
      });
      await done1;
      await first.disconnect();
      expect(got1).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets[0]!.partitions[0]!.offset).toBe('5');

      const second = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
      await second.connect();
      await second.subscribe({ topic, fromBeginning: true });
      const got2: string[] = [];
      await second.run({ eachMessage: async ({ message }) => void got2.push(message.value!.toString()) });
      await waitFor('the rest of the topic', () => got2.length >= 5);
      await second.disconnect();
      expect(got2).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
      await admin.deleteGroups([groupId]).catch(() => {});
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});
