// Hostile clients, the match lifecycle (README "Matches"): a table of cases against the real server
// (startPlatform) on the test broker. Two platforms: MATCH_POLICY=open with MAX_LIVE_MATCHES=2 and a short
// MATCH_IDLE_MS, and MATCH_POLICY=registered with Kafka Streams (exact counts: the query routes are real);
// both with an ADMIN_TOKEN. A third, registered, shares the second's lifecycle topic (another instance, or the
// same one after a restart). Every case lists the match ids and user ids whose events it had refused: after the
// case, a barrier event is acknowledged and none of them may be on emoji-events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../src/app/platform.ts';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { openSse } from '../support/sse-client.ts';
import { readTopicFromNow, type TopicRecord } from '../support/topic-reader.ts';
import { waitFor } from '../support/wait.ts';

const RUN = `hm-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const TOKEN = `admin-${RUN}-0123456789`;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const MATCHES_TOPIC = `t-matches-${RUN}`;
const IDLE_MS = 8_000; // long enough that a live match does not idle out between two steps of a case on a loaded machine

const m = (name: string) => `${RUN}-${name}`;
const ev = (match: string, user = `u-${Math.random().toString(36).slice(2, 8)}`) => ({ user_id: user, emoji_type: '🔥', timestamp: Date.now(), match_id: match });

interface Reply {
  status: number;
  headers: Headers;
  json: any;
}
async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}
const admin = { authorization: `Bearer ${TOKEN}` };

let kafka: Kafka;
let events: Consumer;
let lifecycle: Consumer;
const seen: TopicRecord[] = [];
const lifecycleSeen: TopicRecord[] = [];
let windowsTopic: string;
let open: Platform;
let registered: Platform;
const dirs: string[] = [];

function platformConfig(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-matches-'));
  dirs.push(dataDir);
  return loadConfig({
    KAFKA_BROKERS: BROKERS,
    DATA_DIR: dataDir,
    PORT: '0',
    SPARK_ENABLED: 'false',
    STREAMS_ENABLED: 'false',
    FLUSH_INTERVAL_MS: '20',
    TICK_INTERVAL_MS: '0',
    ADMIN_TOKEN: TOKEN,
    TOPIC_MATCHES: MATCHES_TOPIC,
    LOG_LEVEL: 'warn',
    ...env,
  });
}

/** Everything refused before now would be on the topic once this event, posted after it, is. */
async function barrier(base: string, match: string): Promise<void> {
  const user = `barrier-${Math.random().toString(36).slice(2, 8)}`;
  const r = await call(base, 'POST', '/v1/emoji', ev(match, user));
  expect(r.status, JSON.stringify(r.json)).toBe(202);
  await waitFor('the barrier event on emoji-events', () => seen.some((s) => s.value?.user_id === user), 15_000);
}

interface Case {
  name: string;
  on: () => Platform;
  /** a match this platform accepts events for, for the barrier */
  barrierMatch: string;
  run: () => Promise<{ refusedMatches?: string[]; refusedUsers?: string[] }>;
}

const expectRefusal = (r: Reply, status: number, code: string, field: string, matchId?: string) => {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.error.code).toBe(code);
  expect(r.json.error.field).toBe(field);
  if (matchId) expect(r.json.error.message).toContain(matchId);
};

const cases: Case[] = [
  {
    name: 'open: a third match over MAX_LIVE_MATCHES=2 gets 503 naming it with Retry-After, while the two live matches keep getting 202',
    on: () => open,
    barrierMatch: m('a'),
    async run() {
      const base = open.url;
      expect((await call(base, 'POST', '/v1/emoji', ev(m('a')))).status).toBe(202);
      expect((await call(base, 'POST', '/v1/emoji', ev(m('b')))).status).toBe(202);
      const r = await call(base, 'POST', '/v1/emoji', ev(m('c')));
      expectRefusal(r, 503, 'too_many_live_matches', 'match_id', m('c'));
      expect(r.json.error.message).toContain('MAX_LIVE_MATCHES 2');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(base, 'POST', '/v1/emoji/batch', [ev(m('a')), ev(m('b'))])).status).toBe(202);
      const compat = await call(base, 'POST', '/emoji', ev(m('c')));
      expectRefusal(compat, 503, 'too_many_live_matches', 'match_id', m('c'));
      return { refusedMatches: [m('c')] };
    },
  },
  {
    name: 'open: a batch naming a live match and a new one over the cap is refused whole (503, field [1].match_id), none of it written',
    on: () => open,
    barrierMatch: m('a'),
    async run() {
      const user = `whole-${RUN}`;
      const r = await call(open.url, 'POST', '/v1/emoji/batch', [ev(m('a'), user), ev(m('d'), user)]);
      expectRefusal(r, 503, 'too_many_live_matches', '[1].match_id', m('d'));
      expect(r.json.error.message).toContain('none of the batch was written');
      return { refusedMatches: [m('d')], refusedUsers: [user] };
    },
  },
  {
    name: 'open: a match idle for MATCH_IDLE_MS retires and frees its slot; the admin API lists the live ones and retires one at once',
    on: () => open,
    barrierMatch: m('e'),
    async run() {
      const base = open.url;
      // keep a live; b goes idle and retires, so e takes its slot
      const keepA = setInterval(() => void call(base, 'POST', '/v1/emoji', ev(m('a'))), 300);
      try {
        await waitFor('match b retired', async () => (await call(base, 'POST', '/v1/emoji', ev(m('e')))).status === 202, IDLE_MS * 5, 250);
      } finally {
        clearInterval(keepA);
      }
      const list = await call(base, 'GET', '/v1/admin/matches', undefined, admin);
      expect(list.status).toBe(200);
      expect(list.json).toMatchObject({ policy: 'open', live: 2, max_live: 2 });
      expect(list.json.matches.map((x: any) => x.match_id).sort()).toEqual([m('a'), m('e')]);
      // an admin retires a at once: f is admitted without waiting
      const del = await call(base, 'DELETE', `/v1/admin/matches/${m('a')}`, undefined, admin);
      expect(del.status).toBe(200);
      expect(del.json.match).toMatchObject({ match_id: m('a'), state: 'closed' });
      expect((await call(base, 'POST', '/v1/emoji', ev(m('f')))).status).toBe(202);
      expect((await call(base, 'DELETE', `/v1/admin/matches/${m('zz')}`, undefined, admin)).status).toBe(404);
      const put = await call(base, 'PUT', `/v1/admin/matches/${m('g')}`, undefined, admin);
      expectRefusal(put, 409, 'policy_open', 'id');
      return {};
    },
  },
  {
    name: 'open: subscriptions and streams to any number of new match ids take no live slot (they make no windows)',
    on: () => open,
    barrierMatch: m('f'),
    async run() {
      const base = open.url;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await call(base, 'POST', '/v1/subscriptions', { match_id: m(`watch-${i}`) });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        ids.push(r.json.subscription_id);
      }
      // none of them is live (an idle live match may have retired meanwhile: only the watched ids are checked)
      const after = (await call(base, 'GET', '/v1/admin/matches', undefined, admin)).json;
      expect(after.matches.filter((x: any) => x.match_id.includes('-watch-'))).toEqual([]);
      expect(after.live).toBe(after.matches.length);
      for (const id of ids) expect((await call(base, 'DELETE', `/v1/subscriptions/${id}`)).status).toBe(204);
      return {};
    },
  },
  {
    name: 'admin routes refuse anonymous callers, wrong tokens (401) and malformed credentials (400); nothing reaches the lifecycle topic',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const before = lifecycleSeen.length;
      for (const base of [open.url, registered.url]) {
        for (const [method, path] of [['GET', '/v1/admin/matches'], ['PUT', `/v1/admin/matches/${m('anon')}`], ['DELETE', `/v1/admin/matches/${m('r-open')}`]] as const) {
          // no credentials or a wrong token: 401; a header that is not a bearer token: 400 (Hono's bearerAuth)
          for (const [headers, status] of [[{}, 401], [{ authorization: 'Bearer wrong-token-0123456789' }, 401], [{ authorization: `Basic ${TOKEN}` }, 400]] as const) {
            const r = await call(base, method, path, undefined, headers);
            expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(status);
            expect(r.json.error.code).toBe(status === 400 ? 'invalid_authorization' : 'unauthorized');
            expect(r.headers.get('www-authenticate')).toContain('Bearer');
          }
        }
      }
      // nothing changed: anon is unknown, r-open still takes events
      expectRefusal(await call(registered.url, 'POST', '/v1/emoji', ev(m('anon'))), 404, 'unknown_match', 'match_id', m('anon'));
      expect((await call(registered.url, 'POST', '/v1/emoji', ev(m('r-open')))).status).toBe(202);
      await new Promise((r) => setTimeout(r, 300));
      expect(lifecycleSeen.slice(before).filter((x) => x.key === m('anon'))).toEqual([]);
      return { refusedMatches: [m('anon')] };
    },
  },
  {
    name: 'registered: an unknown match id is 404 unknown_match on ingest (single, batch, compat), subscriptions, streams and every match query',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const base = registered.url;
      const x = m('unknown');
      expectRefusal(await call(base, 'POST', '/v1/emoji', ev(x)), 404, 'unknown_match', 'match_id', x);
      expectRefusal(await call(base, 'POST', '/v1/emoji/batch', [ev(m('r-open')), ev(x)]), 404, 'unknown_match', '[1].match_id', x);
      expectRefusal(await call(base, 'POST', '/emoji', ev(x)), 404, 'unknown_match', 'match_id', x);
      expectRefusal(await call(base, 'POST', '/v1/subscriptions', { match_id: x }), 404, 'unknown_match', 'match_id', x);
      expectRefusal(await call(base, 'GET', `/v1/clusters/c1/stream?match=${x}`), 404, 'unknown_match', 'match', x);
      expectRefusal(await call(base, 'GET', `/v1/counts?match=${x}`), 404, 'unknown_match', 'match', x);
      expectRefusal(await call(base, 'GET', `/v1/counts/windows?match=${x}`), 404, 'unknown_match', 'match', x);
      expectRefusal(await call(base, 'GET', `/v1/matches/${x}/summary`), 404, 'unknown_match', 'id', x);
      expectRefusal(await call(base, 'GET', `/v1/matches/${x}/moments`), 404, 'unknown_match', 'id', x);
      expect((await call(base, 'GET', '/v1/clusters')).json.clusters.reduce((n: number, c: any) => n + c.subscriptions, 0)).toBe(0);
      return { refusedMatches: [x] };
    },
  },
  {
    name: 'registered: PUT opens a match (201, then 200), written to the compacted lifecycle topic; it takes events and viewers; GET lists it',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const base = registered.url;
      const id = m('final');
      const put = await call(base, 'PUT', `/v1/admin/matches/${id}`, undefined, admin);
      expect(put.status, JSON.stringify(put.json)).toBe(201);
      expect(put.json.match).toMatchObject({ match_id: id, state: 'open', closed_at: null });
      expect((await call(base, 'PUT', `/v1/admin/matches/${id}`, undefined, admin)).status).toBe(200);
      const rec = await waitFor('the open record on the lifecycle topic', () => lifecycleSeen.find((x) => x.key === id));
      expect(rec.value).toMatchObject({ match_id: id, state: 'open', closed_at: null });
      // Kafka Streams reads from the end of the topic (STREAMS_OFFSET_RESET=latest): count only once it runs
      await waitFor('Kafka Streams queryable', async () => (await call(base, 'GET', `/v1/counts?match=${id}`)).status === 200, 150_000, 250);
      expect((await call(base, 'POST', '/v1/emoji/batch', [ev(id), ev(id), ev(id)])).status).toBe(202);
      const sub = await call(base, 'POST', '/v1/subscriptions', { match_id: id });
      expect(sub.status).toBe(201);
      expect((await call(base, 'DELETE', `/v1/subscriptions/${sub.json.subscription_id}`)).status).toBe(204);
      const list = await call(base, 'GET', '/v1/admin/matches', undefined, admin);
      expect(list.json.policy).toBe('registered');
      expect(list.json.matches.find((x: any) => x.match_id === id)).toMatchObject({ state: 'open' });
      expectRefusal(await call(base, 'PUT', '/v1/admin/matches/bad%20id', undefined, admin), 400, 'invalid_match_id', 'id');
      return {};
    },
  },
  {
    name: 'registered: DELETE closes it: events 409 match_closed, subscriptions 409; its exact totals stay queryable',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const base = registered.url;
      const id = m('final');
      const del = await call(base, 'DELETE', `/v1/admin/matches/${id}`, undefined, admin);
      expect(del.status).toBe(200);
      expect(del.json.match.state).toBe('closed');
      await waitFor('the close record on the lifecycle topic', () => lifecycleSeen.some((x) => x.key === id && x.value.state === 'closed'));
      const user = `late-${RUN}`;
      expectRefusal(await call(base, 'POST', '/v1/emoji', ev(id, user)), 409, 'match_closed', 'match_id', id);
      expectRefusal(await call(base, 'POST', '/v1/subscriptions', { match_id: id }), 409, 'match_closed', 'match_id', id);
      // the three events counted before the close (Kafka Streams, exactly once) are still there
      const totals = await waitFor(
        'GET /v1/counts of the closed match → 200 with its 3 events',
        async () => {
          const r = await call(base, 'GET', `/v1/counts?match=${id}`);
          return r.status === 200 && r.json.total === 3 && r.json;
        },
        120_000,
        500,
      );
      expect(totals.totals).toEqual({ '🔥': 3 });
      return { refusedUsers: [user] };
    },
  },
  {
    name: 'registered: windows on emoji-windows of an unknown match, or of a closed one started after its close, never reach a viewer',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const closedAt = Date.parse((await call(registered.url, 'GET', '/v1/admin/matches', undefined, admin)).json.matches.find((x: any) => x.match_id === m('final')).closed_at);
      const now = Math.floor(Date.now() / 2000) * 2000;
      const win = (match: string, start: number) => ({
        match_id: match,
        window_start: new Date(start).toISOString(),
        window_end: new Date(start + 2000).toISOString(),
        counts: { '🔥': 1 },
        swarm: { '🔥': 1 },
        total: 1,
        mood: { score: 0.8, feeling: 'hype' },
      });
      const viewer = openSse(`${registered.url}/v1/clusters/c1/stream`); // every match
      expect((await viewer.opened).statusCode).toBe(200);
      const producer = kafka.producer();
      await producer.connect();
      // one partition: they arrive in this order; a misbehaving writer (or a late Spark window) wrote them
      const sent = [win(m('never-opened'), now), win(m('final'), closedAt + 2000), win(m('final'), closedAt - 4000), win(m('r-open'), now)];
      await producer.send({ topic: windowsTopic, messages: sent.map((w) => ({ key: w.match_id, value: JSON.stringify(w) })) });
      await producer.disconnect();
      try {
        await viewer.waitForWindows(2, 20_000);
        await new Promise((r) => setTimeout(r, 300));
        const ids = viewer.windows().map((e) => e.id);
        expect(ids).toEqual([`${m('final')}:${closedAt - 4000}`, `${m('r-open')}:${now}`]);
      } finally {
        viewer.close();
      }
      return {};
    },
  },
  {
    name: 'registered: another instance on the same lifecycle topic (or this one restarted) knows what was opened and closed',
    on: () => registered,
    barrierMatch: m('r-open'),
    async run() {
      const other = await startPlatform(platformConfig({ MATCH_POLICY: 'registered' }), { spark: false, streams: false });
      try {
        expect((await call(other.url, 'POST', '/v1/emoji', ev(m('r-open')))).status).toBe(202);
        expectRefusal(await call(other.url, 'POST', '/v1/emoji', ev(m('final'))), 409, 'match_closed', 'match_id', m('final'));
        expectRefusal(await call(other.url, 'POST', '/v1/emoji', ev(m('unknown'))), 404, 'unknown_match', 'match_id');
        // a match opened on the other instance reaches this one through the topic
        expect((await call(other.url, 'PUT', `/v1/admin/matches/${m('elsewhere')}`, undefined, admin)).status).toBe(201);
        await waitFor('the match opened elsewhere admitted here', async () => (await call(registered.url, 'POST', '/v1/emoji', ev(m('elsewhere')))).status === 202, 10_000, 100);
      } finally {
        await other.stop();
      }
      return { refusedMatches: [m('unknown')] };
    },
  },
];

describe('hostile clients: the match lifecycle', () => {
  beforeAll(async () => {
    const base = loadConfig({ KAFKA_BROKERS: BROKERS });
    kafka = createKafka(base, 'test-matches');
    windowsTopic = base.topics.windows;
    open = await startPlatform(platformConfig({ MAX_LIVE_MATCHES: '2', MATCH_IDLE_MS: String(IDLE_MS) }), { spark: false, streams: false });
    registered = await startPlatform(
      platformConfig({ MATCH_POLICY: 'registered', STREAMS_ENABLED: 'true', STREAMS_APP_ID: `emostream-${RUN}`, STREAMS_OFFSET_RESET: 'latest' }),
      { spark: false },
    );
    events = await readTopicFromNow(kafka, base.topics.events, `${RUN}-events`, (r) => {
      if (typeof r.value?.match_id === 'string' && r.value.match_id.startsWith(RUN)) seen.push(r);
    });
    lifecycle = await readTopicFromNow(kafka, MATCHES_TOPIC, `${RUN}-lifecycle`, (r) => lifecycleSeen.push(r));
    // the registered platform's barrier match
    expect((await call(registered.url, 'PUT', `/v1/admin/matches/${m('r-open')}`, undefined, admin)).status).toBe(201);
  }, 240_000);

  afterAll(async () => {
    await events?.disconnect();
    await lifecycle?.disconnect();
    await open?.stop();
    await registered?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 60_000);

  it.each(cases)('$name', async (c) => {
    const { refusedMatches = [], refusedUsers = [] } = await c.run();
    await barrier(c.on().url, c.barrierMatch);
    const leaked = seen.filter((s) => refusedMatches.includes(s.value.match_id) || refusedUsers.includes(s.value.user_id));
    expect(leaked.map((s) => s.value)).toEqual([]);
  }, 180_000);
});
