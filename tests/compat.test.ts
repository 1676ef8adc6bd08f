// The compatibility routes end to end: a client of the original project written in Python's standard library
// (tests/compat/client.py, run with the system python3) posts the original body shapes from several threads
// for a few seconds to POST /emoji and /send_emoji on a real HTTP server (createApp, the real ingest path on
// the test broker), and Kafka Streams (in this process through java-bridge) must then count exactly the
// events that were answered 200. Bad input on the compatibility routes gets the same JSON errors as /v1, and
// nothing refused reaches emoji-events.
// The client sends zone-less local times under TZ=Asia/Kolkata and the server reads them in
// COMPAT_TIMEZONE=Asia/Kolkata: read in any other zone they would be 5.5 h off and refused for skew.
// Isolation on the shared broker: the events carry no match_id, and DEFAULT_MATCH_ID is this run's own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { EmojiEvent } from '../src/domain/event.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startIngest, type IngestService } from '../src/kafka/producer.ts';
import { startExactCounts, type ExactCounts } from '../src/streams/bridge.ts';
import type { MatchTotals } from '../src/streams/counts.ts';
import { readTopicFromNow } from './support/topic-reader.ts';
import { waitFor as waitForIt } from './support/wait.ts';

const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const MATCH = `t-compat-${run}`;
const BAD = `${MATCH}-bad`;
const EMOJIS = ['👏', '😂', '❤️', '🔥'];
const CLIENT = resolve(import.meta.dirname, 'compat/client.py');

let dataDir: string;
let config: Config;
let kafka: Kafka;
let exact: ExactCounts | null = null;
let ingest: IngestService;
let server: ServerType;
let url: string;
let consumer: Consumer;
/** every record of this run on emoji-events (match_id MATCH or BAD), in arrival order */
const seen: { partition: number; value: EmojiEvent }[] = [];

interface ClientReport {
  requests: number;
  statuses: Record<string, number>;
  accepted: Record<string, number>;
  by_shape: Record<string, number>;
  by_path: Record<string, number>;
  errors: unknown[];
}
let report: ClientReport | null = null;

/** Run the Python client to its end; its stdout is one JSON report. Async: this process serves its requests. */
function runClient(args: string[]): Promise<ClientReport> {
  return new Promise((done, fail) => {
    const py = spawn('python3', [CLIENT, ...args], { env: { ...process.env, TZ: 'Asia/Kolkata' } });
    let out = '';
    let err = '';
    py.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    py.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    py.on('error', fail);
    py.on('close', (code) => (code === 0 ? done(JSON.parse(out) as ClientReport) : fail(new Error(`client.py exited ${code}: ${err}`))));
  });
}

interface Reply {
  status: number;
  type: string | undefined;
  text: string;
}
function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Reply> {
  return new Promise((done, fail) => {
    const buf = Buffer.from(body);
    const req = request(new URL(path, url), { method: 'POST', headers: { ...headers, 'content-length': String(buf.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, type: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', fail);
    req.end(buf);
  });
}

async function totals(): Promise<MatchTotals> {
  const res = await fetch(new URL(`/v1/counts?match=${MATCH}`, url));
  expect(res.status).toBe(200);
  return (await res.json()) as MatchTotals;
}

const waitFor = <T>(what: string, f: () => T | Promise<T>, timeoutMs = 30_000) => waitForIt(what, f, timeoutMs, 100);

const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'compat-'));
  config = loadConfig({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DEFAULT_MATCH_ID: MATCH,
    COMPAT_PATHS: '/emoji,/send_emoji',
    COMPAT_TIMEZONE: 'Asia/Kolkata',
    STREAMS_APP_ID: `compat-test-${run}`,
    // the broker is shared: a new application id starts at the end of emoji-events, not at its backlog
    STREAMS_OFFSET_RESET: 'latest',
    FLUSH_INTERVAL_MS: '50',
    // a slow acknowledgement on this loaded machine must not turn into a 503 of unknown outcome
    PRODUCE_TIMEOUT_MS: '20000',
  });
  kafka = createKafka(config, 'compat-test');

  // read emoji-events from where it ends now: everything of this run comes later
  consumer = await readTopicFromNow(kafka, config.topics.events, `compat-test-${run}-reader`, ({ partition, value }) => {
    if (typeof value.match_id === 'string' && value.match_id.startsWith(MATCH)) seen.push({ partition, value });
  });

  exact = await startExactCounts(config);
  ingest = await startIngest(config, kafka);
  // with 'latest', a partition's start offset is fixed at its first fetch: wait until ticks from every
  // partition have been processed, so no event posted below can fall before it
  await waitFor('ticks from every partition', () => exact!.metrics().ticks >= 4 * config.topics.eventsPartitions);

  const app = createApp({ config, ingest, counts: exact });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await exact?.close();
  await ingest?.stop();
  await consumer?.disconnect();
  if (kafka) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([`compat-test-${run}-reader`]).catch(() => {});
    await admin.disconnect();
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("the original project's traffic simulator against POST /emoji", () => {
  it('gets 200 {"status":"ok"} for every request of every original shape', async () => {
    report = await runClient(['--url', url, '--paths', '/emoji,/send_emoji', '--seconds', '4', '--threads', '6', '--emojis', EMOJIS.join(',')]);
    process.stderr.write(`[compat] client.py: ${report.requests} requests, statuses ${JSON.stringify(report.statuses)}, by shape ${JSON.stringify(report.by_shape)}\n`);
    expect(report.errors).toEqual([]);
    expect(Object.keys(report.statuses)).toEqual(['200']);
    // ~300 requests on an idle machine; far fewer while other JVMs load it (each request waits for its ack)
    expect(report.requests).toBeGreaterThanOrEqual(20);
    const ok = report.statuses['200']!;
    expect(Object.values(report.accepted).reduce((a, b) => a + b, 0)).toBe(ok);
    for (const shape of ['iso_local', 'int_user_s', 'epoch_ms', 'iso_utc']) expect(report.by_shape[shape], shape).toBeGreaterThan(0);
    for (const path of ['/emoji', '/send_emoji']) expect(report.by_path[path], path).toBeGreaterThan(0);
  }, 60_000);

  it('Kafka Streams counts exactly the events answered 200, per emoji, under the default match', async () => {
    expect(report).not.toBeNull();
    const want = sorted(report!.accepted);
    const got = await waitFor('exact totals equal to the 200s', async () => {
      const t = await totals();
      return JSON.stringify(sorted(t.totals)) === JSON.stringify(want) ? t : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}: got ${JSON.stringify((await totals()).totals)}, want ${JSON.stringify(want)}`);
    });
    expect(got.total).toBe(report!.statuses['200']);
    // and on the topic: one record per 200, numeric user ids as strings, timestamps normalized to UTC
    await waitFor('every accepted event on emoji-events', () => seen.filter((s) => s.value.match_id === MATCH).length >= got.total);
    const records = seen.filter((s) => s.value.match_id === MATCH).map((s) => s.value);
    expect(records).toHaveLength(got.total);
    for (const r of records) {
      expect(r.user_id).toMatch(/^(user_)?\d+$/);
      expect(r.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(r.timestamp) - Date.parse(r.received_at))).toBeLessThan(config.ingest.timestampSkewMs);
    }
  }, 60_000);
});

describe('bad input on the compatibility routes', () => {
  const j = (o: unknown) => JSON.stringify(o);
  const text = { 'content-type': 'text/plain' };
  type Body = Record<string, unknown> | unknown[];
  // [case, the body sent to the compatibility routes, the same event in /v1's shape (default: the same body),
  // headers]. Bodies without match_id would be counted under MATCH if they leaked.
  const CASES: [string, (ms: number) => Body | string, ((ms: number) => Body | string)?, Record<string, string>?][] = [
    ['unknown emoji (😍, from the original simulators)', (ms) => ({ user_id: 1, emoji_type: '😍', timestamp: Math.floor(ms / 1000) }), (ms) => ({ user_id: '1', emoji_type: '😍', timestamp: Math.floor(ms / 1000) * 1000 })],
    ['two emojis', (ms) => ({ user_id: 'user_1', emoji_type: '🔥🔥', timestamp: new Date(ms + 19_800_000).toISOString().slice(0, -1) }), (ms) => ({ user_id: 'user_1', emoji_type: '🔥🔥', timestamp: `${new Date(ms + 19_800_000).toISOString().slice(0, -1)}+05:30` })],
    ['user_id a fraction', (ms) => ({ user_id: 1.5, emoji_type: '🔥', timestamp: ms })],
    ['user_id a boolean', (ms) => ({ user_id: true, emoji_type: '🔥', timestamp: ms })],
    ['timestamp from time.time() (a fraction of a second)', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: Math.floor(ms / 1000) + 0.25 })],
    ['timestamp from str(datetime.now())', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: new Date(ms).toISOString().slice(0, -1).replace('T', ' ') })],
    ['timestamp seconds as a string', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: String(Math.floor(ms / 1000)) })],
    ['timestamp in seconds, an hour ahead', (ms) => ({ user_id: 2, emoji_type: '🔥', timestamp: Math.floor(ms / 1000) + 3600, match_id: BAD }), (ms) => ({ user_id: '2', emoji_type: '🔥', timestamp: (Math.floor(ms / 1000) + 3600) * 1000, match_id: BAD })],
    ['zone-less timestamp read as UTC by its client (5.5 h behind in Asia/Kolkata)', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: new Date(ms).toISOString().slice(0, -1) }), (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: `${new Date(ms).toISOString().slice(0, -1)}+05:30` })],
    ['missing timestamp', () => ({ user_id: 'user_1', emoji_type: '🔥' })],
    ['unknown field', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: ms, client: 'py' })],
    ['match_id with a slash', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: ms, match_id: `${BAD}/x` })],
    ['an array of events (no batch shape)', (ms) => [{ user_id: 'user_1', emoji_type: '🔥', timestamp: ms }]],
    ['malformed JSON', () => '{"user_id": "user_1", "emoji_type": '],
    ['text/plain', (ms) => ({ user_id: 'user_1', emoji_type: '🔥', timestamp: ms }), undefined, text],
  ];

  it.each(CASES)('%s: the same status and JSON error as POST /v1/emoji', async (_case, compatBody, v1Body, headers) => {
    const ms = Date.now();
    const raw = (b: Body | string) => (typeof b === 'string' ? b : j(b));
    const [v1, compat, alt] = await Promise.all([
      post('/v1/emoji', raw((v1Body ?? compatBody)(ms)), headers),
      post('/emoji', raw(compatBody(ms)), headers),
      post('/send_emoji', raw(compatBody(ms)), headers),
    ]);
    expect(v1.status).toBeGreaterThanOrEqual(400);
    expect(v1.status).toBeLessThan(500);
    // a skew message names the offset in ms, which differs with the requests' arrival times
    const error = (r: Reply) => JSON.parse(r.text.replace(/\d+ ms (ahead of|behind)/g, 'N ms $1')) as { error: { code: string } };
    for (const r of [compat, alt]) {
      expect(r.status).toBe(v1.status);
      expect(r.type).toBe(v1.type);
      expect(error(r)).toEqual(error(v1));
    }
    expect(error(compat).error.code).not.toBe('invalid_event'); // one bad field each, named alike
  });

  it('none of them reached emoji-events, and the counts did not move', async () => {
    // a barrier: sentinels on every partition, posted after every refusal was answered; once all of them
    // are read, anything written before them would have been read too
    const users = Array.from({ length: 120 }, (_, i) => `sentinel-${i}`);
    const res = await post('/v1/emoji/batch', JSON.stringify(users.map((u) => ({ user_id: u, emoji_type: '🔥', timestamp: Date.now(), match_id: BAD }))));
    expect(res.status).toBe(202);
    const ids = new Set<string>((JSON.parse(res.text) as { event_ids: string[] }).event_ids);
    await waitFor('the sentinels', () => seen.filter((s) => ids.has(s.value.event_id)).length === ids.size);
    expect(new Set(seen.filter((s) => ids.has(s.value.event_id)).map((s) => s.partition)).size).toBe(config.topics.eventsPartitions);

    expect(seen.filter((s) => s.value.match_id === BAD && !ids.has(s.value.event_id))).toEqual([]);
    expect(seen.filter((s) => s.value.match_id === MATCH)).toHaveLength(report!.statuses['200']!);
    expect((await totals()).total).toBe(report!.statuses['200']);
  });
});
