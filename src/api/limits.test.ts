// The limits as the routes apply them, in process (app.request, a fake ingest port, a clock of our own).
// tests/hostile/limits.test.ts holds the same rules against the real server and broker.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import { createApp } from './app.ts';

const base = { KAFKA_BROKERS: '127.0.0.1:1', MAX_BATCH_EVENTS: '10', BUFFER_ADDRESS_EVENTS: '10', BUFFER_MAX_EVENTS: '40', BUFFER_RESERVE_PERCENT: '25' };
const event = (user: string, t: number) => ({ user_id: user, emoji_type: '🔥', timestamp: t, match_id: 'lim' });

function setup(env: Record<string, string>, hold = false) {
  let t = Date.parse('2026-11-28T15:00:00.000Z');
  const written: ValidEvent[][] = [];
  const pending: (() => void)[] = [];
  const app = createApp({
    config: loadConfig({ ...base, ...env }),
    now: () => t,
    log: () => {},
    ingest: {
      submit: (events) => {
        if (!hold) {
          written.push(events);
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => pending.push(() => (written.push(events), resolve())));
      },
    },
  });
  const post = (path: string, body: unknown, from = '192.0.2.1', headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) }, {
      incoming: { socket: { remoteAddress: from } },
    });
  return { post, written, pending, tick: (ms: number) => (t += ms), now: () => t };
}

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}

interface Refusal {
  error: { code: string; limit: string; retry_after_s: number; field?: string; message: string };
}

describe('ingest rate limits (events, not requests)', () => {
  it('refuses a user over its rate with 429, the draft headers and a body naming the limit; the user next door is served', async () => {
    const s = setup({ RATE_LIMIT_USER_PER_S: '1', RATE_LIMIT_USER_BURST: '3' });
    for (let i = 0; i < 3; i++) expect((await s.post('/v1/emoji', event('greedy', s.now()))).status).toBe(202);
    const res = await s.post('/v1/emoji', event('greedy', s.now()));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('ratelimit-policy')).toBe('"user";q=3;w=3');
    expect(res.headers.get('ratelimit')).toBe('"user";r=0;t=3');
    const body = (await res.json()) as Refusal;
    expect(body.error).toMatchObject({ code: 'rate_limited', limit: 'user', field: 'user_id', retry_after_s: 1 });
    expect((await s.post('/v1/emoji', event('calm', s.now()))).status).toBe(202);
    expect(s.written.flat().map((e) => e.user_id)).toEqual(['greedy', 'greedy', 'greedy', 'calm']);
    s.tick(1000);
    expect((await s.post('/v1/emoji', event('greedy', s.now()))).status).toBe(202); // one token back
  });

  it('charges a batch its events per user, all or nothing', async () => {
    const s = setup({ RATE_LIMIT_USER_PER_S: '1', RATE_LIMIT_USER_BURST: '5' });
    expect((await s.post('/v1/emoji/batch', [...Array(4)].map(() => event('a', s.now())))).status).toBe(202);
    // 2 more of "a" do not fit (1 left): the whole batch is refused, "b" is not charged either
    const res = await s.post('/v1/emoji/batch', [event('b', s.now()), event('a', s.now()), event('a', s.now())]);
    expect(res.status).toBe(429);
    expect(((await res.json()) as Refusal).error.limit).toBe('user');
    expect((await s.post('/v1/emoji/batch', [...Array(5)].map(() => event('b', s.now())))).status).toBe(202);
    // more of one user than the burst can never pass: said so, with the refill window as Retry-After
    const never = await s.post('/v1/emoji/batch', [...Array(6)].map(() => event('c', s.now())));
    expect(never.status).toBe(429);
    expect(((await never.json()) as Refusal).error.message).toContain('more than the user limit');
    expect(never.headers.get('retry-after')).toBe('5');
    expect(s.written.flat().length).toBe(9);
  });

  it('limits an address in events across its users, and refuses it before reading the body once it is out', async () => {
    const s = setup({ RATE_LIMIT_ADDRESS_PER_S: '10', RATE_LIMIT_ADDRESS_BURST: '10' });
    const batch = (n: number, p: string) => [...Array(n)].map((_, i) => event(`${p}${i}`, s.now()));
    expect((await s.post('/v1/emoji/batch', batch(10, 'x'))).status).toBe(202);
    const res = await s.post('/v1/emoji/batch', batch(1, 'y'));
    expect(res.status).toBe(429);
    expect(res.headers.get('ratelimit-policy')).toBe('"address";q=10;w=1');
    // out of tokens: even a malformed body is answered 429 (the body is not read)
    expect((await s.post('/v1/emoji', '{"user_id":')).status).toBe(429);
    expect((await s.post('/v1/emoji/batch', batch(3, 'z'), '192.0.2.2')).status).toBe(202); // another address
    expect(s.written.flat().length).toBe(13);
  });

  it('bounds one address share of the ingest buffer: a flood gets 429, a calm address still gets in', async () => {
    const s = setup({}, true);
    const batch = (n: number, p: string) => [...Array(n)].map((_, i) => event(`${p}${i}`, s.now()));
    const flood = [0, 1, 2].map(() => s.post('/v1/emoji/batch', batch(10, 'f'))); // 30 of 40: up to the reserve of 10
    await until(() => s.pending.length === 3);
    const over = await s.post('/v1/emoji/batch', batch(1, 'g'));
    expect(over.status).toBe(429);
    expect(((await over.json()) as Refusal).error.limit).toBe('buffer');
    const calm = s.post('/v1/emoji/batch', batch(10, 'c'), '192.0.2.9'); // within its guaranteed 10
    await until(() => s.pending.length === 4);
    for (const p of s.pending.splice(0)) p();
    expect((await Promise.all(flood)).map((r) => r.status)).toEqual([202, 202, 202]);
    expect((await calm).status).toBe(202);
    const again = s.post('/v1/emoji/batch', batch(1, 'g')); // released: admitted again
    await until(() => s.pending.length === 1);
    s.pending.pop()!();
    expect((await again).status).toBe(202);
  });

  it('behind a load balancer (TRUST_PROXY=1) each client behind it has its own address bucket; off, X-Forwarded-For is ignored', async () => {
    const batch = (n: number, p: string, t: number) => [...Array(n)].map((_, i) => event(`${p}${i}`, t));
    const lb = '10.0.0.9';
    const xff = (a: string) => ({ 'x-forwarded-for': a });
    const behind = setup({ RATE_LIMIT_ADDRESS_PER_S: '1', RATE_LIMIT_ADDRESS_BURST: '5', TRUST_PROXY: '1' });
    expect((await behind.post('/v1/emoji/batch', batch(5, 'a', behind.now()), lb, xff('203.0.113.1'))).status).toBe(202);
    expect((await behind.post('/v1/emoji', event('a9', behind.now()), lb, xff('203.0.113.1'))).status).toBe(429);
    // a spoofed entry before the balancer's own does not buy a new bucket
    expect((await behind.post('/v1/emoji', event('a8', behind.now()), lb, xff('6.6.6.6, 203.0.113.1'))).status).toBe(429);
    expect((await behind.post('/v1/emoji', event('b0', behind.now()), lb, xff('203.0.113.2'))).status).toBe(202);

    const direct = setup({ RATE_LIMIT_ADDRESS_PER_S: '1', RATE_LIMIT_ADDRESS_BURST: '5' });
    expect((await direct.post('/v1/emoji/batch', batch(5, 'a', direct.now()), '198.51.100.1', xff('203.0.113.1'))).status).toBe(202);
    // off (the default): a new X-Forwarded-For per request is still the same client
    for (const spoof of ['203.0.113.2', '203.0.113.3']) expect((await direct.post('/v1/emoji', event(spoof, direct.now()), '198.51.100.1', xff(spoof))).status).toBe(429);
  });

  it('RATE_LIMITS=false turns the buckets off', async () => {
    const s = setup({ RATE_LIMITS: 'false', RATE_LIMIT_USER_PER_S: '1', RATE_LIMIT_USER_BURST: '1' });
    for (let i = 0; i < 5; i++) expect((await s.post('/v1/emoji', event('u', s.now()))).status).toBe(202);
  });
});
