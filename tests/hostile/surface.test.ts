// Hostile clients, the API's surface (README "Security"): a table of cases against the real server
// (startPlatform) on the test broker, one platform for every case: AUTH=jwt, an ADMIN_TOKEN, fault injection
// mounted, CORS left at same-origin, on its own topics. Every case lists the user ids of the events it had
// refused: after the case, a barrier event is acknowledged and none of them may be on emoji-events.
// CR/LF in a match_id read from Kafka: a window record written straight to the platform's windows topic (its
// own, so no other file's platform reads it) and the raw SSE bytes of a viewer; the id line and the record
// parsers alone in src/push/frames.test.ts.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign } from 'hono/jwt';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../src/app/platform.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';
import { readTopicFromNow, type TopicRecord } from '../support/topic-reader.ts';
import { waitFor } from '../support/wait.ts';
import { testWindow } from '../support/broadcast.ts';

const RUN = `hs-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const ADMIN = `admin-${RUN}-0123456789`;
const SECRET = `jwt-secret-${RUN}-0123456789abcdef`;
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const MATCH = `${RUN}-m`;

const uid = (tag: string) => `${tag}-${Math.random().toString(36).slice(2, 8)}`;
const ev = (user?: string) => ({ ...(user ? { user_id: user } : {}), emoji_type: '🔥', timestamp: Date.now(), match_id: MATCH });
const token = (sub: string, o: { exp?: number; secret?: string } = {}) =>
  sign({ sub, exp: o.exp ?? Math.floor(Date.now() / 1000) + 300 }, o.secret ?? SECRET, 'HS256');
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}
async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, text, json };
}

let config: Config;
let platform: Platform;
let kafka: Kafka;
let events: Consumer;
const seen: TopicRecord[] = [];
let dataDir: string;

/** Everything refused before now would be on the topic once this event, posted after it, is. */
async function barrier(): Promise<void> {
  const user = uid('barrier');
  const r = await call('POST', '/v1/emoji', ev(user), bearer(await token(user)));
  expect(r.status, r.text).toBe(202);
  await waitFor('the barrier event on emoji-events', () => seen.some((s) => s.value?.user_id === user), 15_000);
}

interface Case {
  name: string;
  /** Runs the case; returns the user ids whose events must not be on emoji-events. */
  run: () => Promise<string[]>;
}

const CASES: Case[] = [
  {
    name: 'GET /v1/clusters/__proto__/stream → 404 cluster_not_found',
    run: async () => {
      const r = await call('GET', '/v1/clusters/__proto__/stream');
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('cluster_not_found');
      return [];
    },
  },
  {
    name: 'GET /v1/clusters/constructor/stream → 404 cluster_not_found',
    run: async () => {
      const r = await call('GET', '/v1/clusters/constructor/stream');
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe('cluster_not_found');
      expect(r.headers.get('retry-after')).toBeNull();
      return [];
    },
  },
  {
    name: 'POST /v1/subscriptions {cluster: __proto__ | constructor | toString} → 404, no Retry-After: NaN',
    run: async () => {
      for (const cluster of ['__proto__', 'constructor', 'toString']) {
        const r = await call('POST', '/v1/subscriptions', { cluster });
        expect(r.status, cluster).toBe(404);
        expect(r.json.error).toMatchObject({ code: 'cluster_not_found', field: 'cluster' });
        expect(r.headers.get('retry-after')).toBeNull();
      }
      return [];
    },
  },
  {
    name: 'AUTH=jwt: POST /v1/emoji without a token → 401 with WWW-Authenticate',
    run: async () => {
      const user = uid('anon');
      const r = await call('POST', '/v1/emoji', ev(user));
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('unauthorized');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer /);
      return [user];
    },
  },
  {
    name: 'AUTH=jwt: an expired token → 401',
    run: async () => {
      const user = uid('expired');
      const r = await call('POST', '/v1/emoji', ev(user), bearer(await token(user, { exp: Math.floor(Date.now() / 1000) - 60 })));
      expect(r.status).toBe(401);
      return [user];
    },
  },
  {
    name: 'AUTH=jwt: a token signed with another secret (forged) → 401',
    run: async () => {
      const user = uid('forged');
      const r = await call('POST', '/v1/emoji', ev(user), bearer(await token(user, { secret: 'not-the-secret-of-this-service-0123' })));
      expect(r.status).toBe(401);
      return [user];
    },
  },
  {
    name: 'AUTH=jwt: an unsigned token (alg none) and a malformed header → 401',
    run: async () => {
      const user = uid('none');
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: user })}.`;
      expect((await call('POST', '/v1/emoji', ev(user), bearer(unsigned))).status).toBe(401);
      expect((await call('POST', '/v1/emoji', ev(user), { authorization: `Basic ${unsigned}` })).status).toBe(401);
      return [user];
    },
  },
  {
    name: "AUTH=jwt: a body user_id other than the token's subject → 403 user_id_mismatch",
    run: async () => {
      const victim = uid('victim');
      const r = await call('POST', '/v1/emoji', ev(victim), bearer(await token(uid('attacker'))));
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: 'user_id_mismatch', field: 'user_id' });
      return [victim];
    },
  },
  {
    name: 'AUTH=jwt: a batch with one foreign user_id → 403 naming its index, none of the batch written',
    run: async () => {
      const me = uid('me');
      const other = uid('other');
      const r = await call('POST', '/v1/emoji/batch', [ev(me), ev(me), ev(other)], bearer(await token(me)));
      expect(r.status).toBe(403);
      expect(r.json.error.field).toBe('[2].user_id');
      return [me, other];
    },
  },
  {
    name: 'AUTH=jwt: the compatibility route POST /emoji without a token → 401',
    run: async () => {
      const user = uid('compat');
      const r = await call('POST', '/emoji', { user_id: user, emoji_type: '🔥', timestamp: new Date().toISOString() });
      expect(r.status).toBe(401);
      return [user];
    },
  },
  {
    name: "AUTH=jwt: a good token and no user_id → 202, written as the token's subject",
    run: async () => {
      const user = uid('good');
      const r = await call('POST', '/v1/emoji', ev(), bearer(await token(user)));
      expect(r.status, r.text).toBe(202);
      await waitFor('the accepted event as its subject', () => seen.some((s) => s.value?.user_id === user && s.value?.event_id === r.json.event_id), 15_000);
      return [];
    },
  },
  {
    name: 'admin routes refuse anonymous callers and wrong tokens: /metrics, /faults, /v1/admin/matches → 401',
    run: async () => {
      for (const [method, path] of [['GET', '/metrics'], ['POST', '/faults/crash'], ['GET', '/v1/admin/matches']] as const) {
        const anon = await call(method, path);
        expect(anon.status, `${method} ${path}`).toBe(401);
        expect(anon.headers.get('www-authenticate'), path).toMatch(/^Bearer /);
        expect((await call(method, path, undefined, bearer(`${ADMIN}-wrong`))).status, path).toBe(401);
      }
      expect((await call('GET', '/metrics', undefined, bearer(ADMIN))).status).toBe(200);
      return [];
    },
  },
  {
    name: '/status: parts without details for anonymous callers, with details for the admin',
    run: async () => {
      const anon = await call('GET', '/status');
      expect(anon.json.checks.length).toBeGreaterThan(0);
      expect(anon.json.checks.every((c: { detail?: string }) => c.detail === undefined)).toBe(true);
      const admin = await call('GET', '/status', undefined, bearer(ADMIN));
      expect(admin.json.checks.some((c: { detail?: string }) => typeof c.detail === 'string')).toBe(true);
      return [];
    },
  },
  {
    name: 'CORS: a preflight from a foreign origin → 403, no Access-Control-Allow-Origin',
    run: async () => {
      const r = await call('OPTIONS', '/v1/emoji', undefined, {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      });
      expect(r.status).toBe(403);
      expect(r.json.error.code).toBe('cors_refused');
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      const post = await call('POST', '/v1/emoji', ev(uid('x')), { origin: 'https://evil.example' });
      expect(post.headers.get('access-control-allow-origin')).toBeNull();
      return [];
    },
  },
  {
    name: 'security headers (CSP, nosniff, frame-ancestors, X-Request-Id) on the dashboard, a 200 and a 401',
    run: async () => {
      for (const r of [await call('GET', '/'), await call('GET', '/v1/palette'), await call('POST', '/v1/emoji', ev(uid('h')))]) {
        const csp = r.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(r.headers.get('x-content-type-options')).toBe('nosniff');
        expect(r.headers.get('x-frame-options')).toBe('DENY');
        expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
      return [];
    },
  },
  {
    name: 'a window on Kafka whose match_id carries CR/LF never reaches an SSE frame (raw bytes of a viewer)',
    run: async () => {
      // a viewer of every match on cluster c1, read as raw bytes
      let raw = '';
      const req = http.get(`${platform.url}/v1/clusters/c1/stream`, (res) => {
        expect(res.statusCode).toBe(200);
        res.setEncoding('utf8');
        res.on('data', (d: string) => (raw += d));
        res.on('error', () => {});
      });
      req.on('error', () => {});
      try {
        await waitFor('the stream open', () => raw.length > 0, 10_000);
        const t = Math.floor(Date.now() / 2000) * 2000;
        const hostile = [
          `${RUN}\r\nid: injected\r\nevent: window\r\ndata: {"injected":true}\r\n`,
          `${RUN}\ninjected`,
          `${RUN}\rinjected`,
          `${RUN}\u0000injected`,
        ];
        const producer = kafka.producer();
        await producer.connect();
        const good = testWindow(`${RUN}-ok`, t);
        await producer.send({
          topic: config.topics.windows,
          acks: -1,
          // one key: one partition, so the well-formed window is read after the hostile ones
          messages: [...hostile.map((m) => ({ key: RUN, value: JSON.stringify(testWindow(m, t)) })), { key: RUN, value: JSON.stringify(good) }],
        });
        await producer.disconnect();
        await waitFor('the well-formed window at the viewer', () => raw.includes(`id: ${RUN}-ok:${t}\n`), 20_000);
      } finally {
        req.destroy();
      }
      expect(raw).not.toContain('injected');
      expect(raw).not.toContain('\r');
      expect(raw).not.toContain('\u0000');
      // every line of the stream is an SSE field the server writes, or a comment, or a frame's end
      for (const line of raw.split('\n')) expect(line).toMatch(/^(|:.*|retry: \d+|id: [A-Za-z0-9._:-]+|event: [a-z]+|data: \{.*\})$/);
      return [];
    },
  },
  {
    name: 'readiness details carry no absolute filesystem path',
    run: async () => {
      const r = await call('GET', '/readyz');
      expect(r.status).toBe(200);
      expect(r.text).not.toContain(dataDir);
      for (const c of r.json.checks as { detail?: string }[]) expect(c.detail ?? '').not.toMatch(/(^|\s)\/[^\s/]/);
      return [];
    },
  },
];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'emostream-surface-'));
  config = loadConfig({
    KAFKA_BROKERS: BROKERS,
    DATA_DIR: dataDir,
    PORT: '0',
    SPARK_ENABLED: 'false',
    STREAMS_ENABLED: 'false',
    FLUSH_INTERVAL_MS: '20',
    TICK_INTERVAL_MS: '0',
    ADMIN_TOKEN: ADMIN,
    AUTH: 'jwt',
    JWT_SECRET: SECRET,
    FAULT_INJECTION: 'true',
    LOG_LEVEL: 'warn',
    TOPIC_WINDOWS: `${RUN}-windows`, // the CR/LF case writes hostile windows here
  });
  kafka = createKafka(config, 'hostile-surface');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  events = await readTopicFromNow(kafka, config.topics.events, `hostile-surface-${RUN}`, (r) => seen.push(r));
  platform = await startPlatform(config);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await events?.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('hostile clients: the surface (one server: AUTH=jwt, ADMIN_TOKEN, same-origin CORS)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const refused = await c.run();
    if (refused.length === 0) return;
    await barrier();
    const leaked = seen.filter((s) => refused.includes(s.value?.user_id));
    expect(leaked, 'refused events on emoji-events').toEqual([]);
  });

});
