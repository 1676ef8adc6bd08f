// The POST /v1/emoji fast path (src/api/fast-emoji.ts) answers exactly as Hono does: one table of requests
// (valid, each kind of invalid, oversized, wrong content type, slow body, each limit and each write-path
// failure) sent as raw bytes to the API served with API_FAST_PATH on and off, the raw answers compared (status
// line, every header but Date, body), then what each wrote, counted and logged.
import net from 'node:net';
import type { Counter } from 'prom-client';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import type { Logger } from '../log.ts';
import type { Admission } from '../matches/registry.ts';
import { httpRequests, eventsAccepted, ingestRefused, registry } from '../metrics/registry.ts';
import { IdempotencyConflictError, UnavailableError } from '../ports/ingest.ts';
import type { ViewerDirectory } from '../ports/viewers.ts';
import { createApi, serveApi } from './app.ts';

const NOW = Date.parse('2026-11-28T15:00:01.262Z');
const event = (over: Record<string, unknown> = {}) => ({ user_id: 'u-1', emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250Z', match_id: 'm-1', ...over });
const json = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body));

/** One raw HTTP/1.1 request: `head` lines after the request line, `body` as bytes. */
interface Case {
  name: string;
  target?: string;
  head?: string[];
  body?: string | Buffer;
  /** Sent after the head and this many ms (a slow body). */
  later?: { ms: number; body: string };
}

const post = (name: string, body: unknown, head: string[] = ['content-type: application/json'], target = '/v1/emoji'): Case => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(json(body));
  return { name, target, head: [...head, `content-length: ${b.length}`], body: b };
};

const CASES: Case[] = [
  post('valid', event()),
  post('valid, client request id', event({ user_id: 'u-2' }), ['content-type: application/json', 'x-request-id: abc-123_=']),
  post('valid, bad request id replaced', event({ user_id: 'u-3' }), ['content-type: application/json', 'x-request-id: no spaces']),
  post('valid, charset', event({ user_id: 'u-4' }), ['content-type: application/json; charset=utf-8']),
  post('valid, +json', event({ user_id: 'u-5' }), ['Content-Type: application/vnd.emo+json']),
  post('valid, client event_id', event({ user_id: 'u-6', event_id: '0b3c1d2e-8f41-4c55-9a1e-1f2a3b4c5d6e' })),
  post('no content type', event(), []),
  post('text/plain', event(), ['content-type: text/plain']),
  post('two content types', event(), ['content-type: application/json', 'content-type: text/plain']),
  post('malformed JSON', '{"user_id":'),
  post('empty body', ''),
  post('invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
  post('array', [event()]),
  post('null', 'null'),
  post('unknown emoji', event({ emoji_type: '🍕' })),
  post('several bad fields', event({ emoji_type: '🍕', user_id: '', timestamp: 'yesterday' })),
  post('unknown field', event({ extra: 1 })),
  post('declared too large', 'x'.repeat(3000)),
  { name: 'chunked too large', head: ['content-type: application/json', 'transfer-encoding: chunked'], body: `${(3000).toString(16)}\r\n${'x'.repeat(3000)}\r\n0\r\n\r\n` },
  { name: 'chunked valid', head: ['content-type: application/json', 'transfer-encoding: chunked'], body: chunk(json(event({ user_id: 'u-7' }))) },
  { name: 'slow body', head: ['content-type: application/json', 'content-length: 200'], body: '{"user_id":', later: { ms: 600, body: '' } },
  post('closed match', event({ match_id: 'closed' })),
  post('too many live matches', event({ match_id: 'full' })),
  post('write path full', event({ user_id: 'unavailable' })),
  post('write path unsure', event({ user_id: 'unknown' })),
  post('idempotency conflict', event({ user_id: 'conflict' })),
  post('unexpected error', event({ user_id: 'boom' })),
  // the user's burst is 3: the fourth of u-9 is over its rate limit (the clock stands still)
  ...[1, 2, 3, 4].map((i) => post(`user limit ${i}`, event({ user_id: 'u-9', event_id: `0b3c1d2e-8f41-4c55-9a1e-1f2a3b4c5d${60 + i}` }))),
  // falls through to Hono on the fast-path server: the same answers
  post('with a query', event({ user_id: 'u-10' }), undefined, '/v1/emoji?x=1'),
  post('trailing slash', event({ user_id: 'u-11' }), undefined, '/v1/emoji/'),
  post('batch route', [event({ user_id: 'u-12' })], undefined, '/v1/emoji/batch'),
  post('host with port 80', event({ user_id: 'u-13' }), ['content-type: application/json', 'host: example.com:80']),
  // the address's burst is 20 events, 17 charged by now: the fourth on is refused before its body is read
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => post(`address limit ${i}`, event({ user_id: `a-${i}` }))),
];

function chunk(s: string): string {
  const b = Buffer.from(s);
  return `${b.length.toString(16)}\r\n${s}\r\n0\r\n\r\n`;
}

interface Served {
  port: number;
  written: ValidEvent[][];
  /** The requests the fast path answered. */
  taken: string[];
  log: Record<string, unknown>[];
  close(): Promise<void>;
}

async function start(fastPath: boolean): Promise<Served> {
  const config = loadConfig({
    KAFKA_BROKERS: '127.0.0.1:1',
    MAX_BODY_BYTES: '2048',
    BODY_TIMEOUT_MS: '300',
    RETRY_AFTER_S: '7',
    RATE_LIMIT_USER_BURST: '3',
    RATE_LIMIT_ADDRESS_BURST: '20',
    RATE_LIMIT_ADDRESS_PER_S: '1',
    API_FAST_PATH: String(fastPath),
  });
  const written: ValidEvent[][] = [];
  const log: Record<string, unknown>[] = [];
  const record = (fields?: Record<string, unknown>) => void log.push(fields ?? {});
  const logger: Logger = {
    debug: () => {},
    info: (_m, f) => record(f),
    warn: () => {},
    error: (m, f) => record({ error: m.split('\n')[0], ...f }),
    child: () => logger,
    isLevelEnabled: () => true,
  };
  const refusal = (status: 409 | 503, code: 'match_closed' | 'too_many_live_matches', matchId: string): Admission => ({
    ok: false,
    status,
    code,
    matchId,
    message: `match ${matchId} refused`,
    ...(status === 503 ? { retryAfterS: 11 } : {}),
  });
  const api = createApi({
    config,
    now: () => NOW,
    log: logger,
    viewers: { instanceId: 'i-1' } as ViewerDirectory,
    matches: {
      admit: (ids: Iterable<string>) => {
        const id = [...ids][0]!;
        return id === 'closed' ? refusal(409, 'match_closed', id) : id === 'full' ? refusal(503, 'too_many_live_matches', id) : { ok: true };
      },
    } as never,
    ingest: {
      submit: async (events) => {
        const u = events[0]!.user_id;
        if (u === 'unavailable') throw new UnavailableError('buffer_full', 'the ingest buffer is full');
        if (u === 'unknown') throw new UnavailableError('kafka_unavailable', 'the broker did not answer', undefined, 'unknown');
        if (u === 'conflict') throw new IdempotencyConflictError(0, events[0]!.event_id);
        if (u === 'boom') throw new Error('boom');
        written.push(events);
      },
    },
  });
  expect(api.fast !== null).toBe(fastPath);
  // count what the fast path answered itself
  const fast = api.fast;
  const taken: string[] = [];
  if (fast) api.fast = (req, res) => fast(req, res) && taken.push(req.url!) > 0;
  const server = await new Promise<ReturnType<typeof serveApi>>((resolve) => {
    const s = serveApi(api, { port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  return {
    port: (server.address() as AddressInfo).port,
    written,
    taken,
    log,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Sends one case on a connection of its own; the raw answer (head lines, body) once the server ends it or answers in full. */
function send(port: number, c: Case): Promise<{ head: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const hasHost = (c.head ?? []).some((h) => h.toLowerCase().startsWith('host:'));
    const head = [`POST ${c.target ?? '/v1/emoji'} HTTP/1.1`, ...(hasHost ? [] : [`host: 127.0.0.1:${port}`]), ...(c.head ?? []), '', ''].join('\r\n');
    s.write(Buffer.concat([Buffer.from(head), Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body ?? '')]));
    if (c.later) setTimeout(() => s.writable && s.write(c.later!.body), c.later.ms);
    let got = Buffer.alloc(0);
    const done = () => {
      const text = got.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return false;
      const lines = text.slice(0, end).split('\r\n');
      const len = lines.find((l) => l.toLowerCase().startsWith('content-length:'));
      const body = text.slice(end + 4);
      if (len && Buffer.byteLength(body) < Number(len.split(':')[1])) return false;
      s.destroy();
      resolve({ head: lines, body });
      return true;
    };
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      done();
    });
    s.on('end', () => done() || reject(new Error(`${c.name}: connection ended without an answer: ${got.toString()}`)));
    s.on('error', reject);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What may differ between two answers to one request: the Date, a generated request id, a fresh event_id. */
function normal(a: { head: string[]; body: string }) {
  const head = a.head
    .filter((l) => !l.toLowerCase().startsWith('date:'))
    .map((l) => (l.startsWith('X-Request-Id: ') && UUID.test(l.slice(14)) ? 'X-Request-Id: <uuid>' : l));
  return { head, body: a.body.replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, '<id>') };
}

/** The request metrics this table moved, as `name{labels} value` lines. */
async function counted(): Promise<string[]> {
  const lines: string[] = [];
  for (const m of [httpRequests, eventsAccepted, ingestRefused] as Counter<string>[]) {
    const got = await m.get();
    for (const v of got.values) lines.push(`${got.name}${JSON.stringify(v.labels)} ${v.value}`);
  }
  return lines.sort();
}

describe('POST /v1/emoji fast path', () => {
  const answers: Record<'hono' | 'fast', { head: string[]; body: string }[]> = { hono: [], fast: [] };
  const servers: Partial<Record<'hono' | 'fast', Served>> = {};
  const metrics: Partial<Record<'hono' | 'fast', string[]>> = {};

  beforeAll(async () => {
    for (const mode of ['hono', 'fast'] as const) {
      registry.resetMetrics();
      const s = (servers[mode] = await start(mode === 'fast'));
      await new Promise((r) => setTimeout(r, 10)); // the security header list is ready
      for (const c of CASES) answers[mode].push(await send(s.port, c));
      await new Promise((r) => setTimeout(r, 50)); // the last access-log lines
      metrics[mode] = await counted();
    }
  }, 30_000);

  afterAll(async () => {
    for (const s of Object.values(servers)) await s?.close();
  });

  it.each(CASES.map((c, i) => [c.name, i] as const))('%s: the same status, headers and body', (_name, i) => {
    expect(normal(answers.fast[i]!)).toEqual(normal(answers.hono[i]!));
  });

  it('the table covers what it claims: each answer it expects, and the security headers on each', () => {
    const status = (name: string) => Number(answers.fast[CASES.findIndex((c) => c.name === name)]!.head[0]!.split(' ')[1]);
    expect(
      Object.fromEntries(
        ['valid', 'no content type', 'malformed JSON', 'declared too large', 'chunked too large', 'slow body', 'closed match', 'too many live matches', 'write path full', 'idempotency conflict', 'unexpected error', 'user limit 3', 'user limit 4', 'address limit 3', 'address limit 4', 'address limit 10'].map((n) => [n, status(n)]),
      ),
    ).toEqual({
      valid: 202,
      'no content type': 415,
      'malformed JSON': 400,
      'declared too large': 413,
      'chunked too large': 413,
      'slow body': 408,
      'closed match': 409,
      'too many live matches': 503,
      'write path full': 503,
      'idempotency conflict': 409,
      'unexpected error': 500,
      'user limit 3': 202,
      'user limit 4': 429,
      'address limit 3': 202,
      'address limit 4': 429,
      'address limit 10': 429,
    });
    for (const a of answers.fast) {
      expect(a.head).toContain("Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
      expect(a.head).toContain('X-Content-Type-Options: nosniff');
      expect(a.head).toContain('EmoStream-Instance: i-1');
    }
    expect(answers.fast[1]!.head).toContain('X-Request-Id: abc-123_=');
    // every POST /v1/emoji with a plain Host went the fast way; the others went on to Hono
    const fallThrough = ['with a query', 'trailing slash', 'batch route', 'host with port 80'];
    expect(servers.fast!.taken.length).toBe(CASES.length - fallThrough.length);
    expect(servers.hono!.taken).toEqual([]);
  });

  it('writes, counts and logs the same', () => {
    const { hono, fast } = servers as Record<'hono' | 'fast', Served>;
    const ids = (w: ValidEvent[][]): unknown => w.map((b) => b.map((e) => ({ ...e, event_id: e.user_id === 'u-6' || e.user_id === 'u-9' ? e.event_id : '<id>' })));
    expect(ids(fast.written)).toEqual(ids(hono.written));
    expect(fast.written.length).toBeGreaterThan(5);
    expect(metrics.fast).toEqual(metrics.hono);
    const lines = (l: Record<string, unknown>[]) => l.map(({ ms, req_id, ...rest }) => ({ ...rest, ms: typeof ms, req_id: typeof req_id === 'string' && UUID.test(req_id) ? '<uuid>' : req_id }));
    expect(lines(fast.log)).toEqual(lines(hono.log));
    expect(fast.log.length).toBeGreaterThanOrEqual(CASES.length);
  });
});
