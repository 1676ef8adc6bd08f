// Exact counts end to end: the real ingest API (Hono app + kafkajs producer with its tick writer) on the
// test broker, and Kafka Streams in this process through java-bridge. Clients retry with the same event_id
// (the API's own idempotency cache is switched off, IDEMPOTENCY_MAX_KEYS=0, and some retries are written to
// Kafka directly, as a second API instance would): GET /v1/counts must equal the number of DISTINCT events
// per emoji, windows must close on ticks and reach emoji-exact, and a restarted topology (same state dir,
// then an empty one restored from the changelogs) must report the same totals.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import type { Consumer, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startIngest, type IngestService } from '../src/kafka/producer.ts';
import { ensureStreamsJvm, startExactCounts, type ExactCounts } from '../src/streams/bridge.ts';
import { JVM_LOG_FILES, JVM_LOG_MAX_BYTES } from '../src/processes/java-process.ts';
import type { ExactWindows, MatchTotals } from '../src/streams/counts.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './support/wait.ts';

const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const MATCH = `t-exact-${run}`;
const EMOJIS = ['🔥', '😀', '😡', '😂'];

let dataDir: string;
let config: Config;
let exact: ExactCounts | null = null;
let ingest: IngestService;
let app: Hono;
let producer: Producer;
let consumer: Consumer | null = null;
let child: ChildProcess | null = null;
let childExit: Promise<string> | null = null;
const t0 = Date.now();

// the facade behind the routes can be swapped on restart
const current = {
  totals: (m: string) => exact!.totals(m),
  windows: (m: string, f: number, t: number) => exact!.windows(m, f, t),
  state: () => exact?.state() ?? 'NOT_STARTED',
  readiness: () => exact?.readiness() ?? { name: 'kafka-streams', ok: false, detail: 'NOT_STARTED' },
};

/** distinct event_id → emoji, as accepted by the API */
const accepted = new Map<string, { emoji: string; user: string }>();
const expected = () => {
  const totals: Record<string, number> = {};
  for (const { emoji } of accepted.values()) totals[emoji] = (totals[emoji] ?? 0) + 1;
  return totals;
};

async function postBatch(events: object[]) {
  const res = await app.request('/v1/emoji/batch', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status, await res.clone().text()).toBe(202);
}

/** `n` new events (client-chosen ids) for MATCH, recorded as accepted. */
function newEvents(prefix: string, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const ev = {
      event_id: `${run}-${prefix}-${i}`,
      user_id: `u-${i % 37}`,
      emoji_type: EMOJIS[(i * 7) % EMOJIS.length]!,
      timestamp: new Date().toISOString(),
      match_id: MATCH,
    };
    return ev;
  });
}

async function getTotals(): Promise<MatchTotals> {
  const res = await app.request(`/v1/counts?match=${MATCH}`);
  expect(res.status).toBe(200);
  return (await res.json()) as MatchTotals;
}

/** The totals once they equal `want`, else (after the timeout) the last ones, for the assertion to show. */
async function waitForTotals(want: Record<string, number>, timeoutMs = 30_000): Promise<MatchTotals> {
  let last: MatchTotals | null = null;
  const same = (t: MatchTotals) => JSON.stringify(sorted(t.totals)) === JSON.stringify(sorted(want));
  return waitFor('the totals', async () => same((last = await getTotals())) && last, timeoutMs, 200).catch(() => last!);
}
const sorted = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'exact-counts-'));
  config = loadConfig({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    DATA_DIR: dataDir,
    STREAMS_APP_ID: `exact-test-${run}`,
    IDEMPOTENCY_MAX_KEYS: '0',
    FLUSH_INTERVAL_MS: '50',
    TICK_INTERVAL_MS: '250',
    // the broker is shared: a new application id starts at the end of emoji-events, not at its backlog
    STREAMS_OFFSET_RESET: 'latest',
  });
  const kafka = createKafka(config, 'exact-test');
  producer = kafka.producer({ idempotent: true });
  await producer.connect();
  // a child process alive while the JVM loads RocksDB (as the broker and the Spark job are in npm start)
  child = spawn('sleep', ['60']);
  childExit = new Promise((resolve) => child!.once('exit', (code, signal) => resolve(String(code ?? signal))));
  exact = await startExactCounts(config);
  ingest = await startIngest(config, kafka);
  // with 'latest', a partition's start offset is fixed at its first fetch: wait until ticks from every
  // partition have been processed, so no event posted below can fall before it
  const deadline = Date.now() + 30_000;
  while (exact.metrics().ticks < 4 * config.topics.eventsPartitions && Date.now() < deadline) await sleep(100);
  app = createApp({ config, ingest, counts: current });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await exact?.close();
  await ingest?.stop();
  await consumer?.disconnect();
  await producer?.disconnect();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('exact counts through the API, Kafka and Kafka Streams (java-bridge)', () => {
  it('reports RUNNING on /status', async () => {
    expect(exact!.queryableAfterMs).toBeGreaterThan(0);
    const res = await app.request('/status');
    const body = (await res.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    expect(body.checks).toContainEqual({ name: 'kafka-streams', ok: true, detail: 'RUNNING' });
  });

  it('logs Kafka (slf4j) through log4j2 into DATA_DIR/logs/streams.log, rolling at 20 MB × 5 like the broker', async () => {
    const java = await ensureStreamsJvm({ heap: config.streams.heap, dataDir: config.dataDir });
    // java-bridge types a returned object by its declared type (Appender): instanceOf checks the real class
    const LoggerContext = java.importClass('org.apache.logging.log4j.core.LoggerContext') as any;
    const file = LoggerContext.getContextSync(false).getConfigurationSync().getAppenderSync('FILE');
    expect(file.instanceOf('org.apache.logging.log4j.core.appender.RollingFileAppender')).toBe(true);
    const System = java.importClass('java.lang.System') as any;
    expect(System.getPropertySync('emostream.log.file')).toBe(join(dataDir, 'logs', 'streams.log'));
    expect(Number(System.getPropertySync('emostream.log.maxSize'))).toBe(JVM_LOG_MAX_BYTES);
    expect(Number(System.getPropertySync('emostream.log.files'))).toBe(JVM_LOG_FILES);
    // what Kafka logs through slf4j lands there
    const LoggerFactory = java.importClass('org.slf4j.LoggerFactory') as any;
    LoggerFactory.getLoggerSync('org.apache.kafka.streams.emostream-test').warnSync(`log line ${run}`);
    await waitFor('the line in streams.log', () => readFileSync(join(dataDir, 'logs', 'streams.log'), 'utf8').includes(`WARN log line ${run} (org.apache.kafka.streams.emostream-test)`), 5_000);
  });

  it('leaves Node in charge of its child processes (their exit is still seen)', async () => {
    // RocksDB's native load resets SIGCHLD; without NativeLibraries' fix this exit event never fires
    child!.kill('SIGTERM');
    const seen = await Promise.race([childExit!, sleep(5000).then(() => 'not seen within 5 s')]);
    expect(seen).toBe('SIGTERM');
  });

  it('counts every distinct event once, however often clients retry it', async () => {
    const a = newEvents('a', 300);
    const b = newEvents('b', 200);
    await postBatch(a);
    await postBatch(b.slice(0, 100));
    for (const e of [...a, ...b.slice(0, 100)]) accepted.set(e.event_id, { emoji: e.emoji_type, user: e.user_id });
    // client retries through the API: a whole batch again, and single events again
    await postBatch(a.slice(0, 120));
    for (const e of a.slice(200, 210)) await postBatch([e]);
    await postBatch(b.slice(100));
    for (const e of b.slice(100)) accepted.set(e.event_id, { emoji: e.emoji_type, user: e.user_id });
    await postBatch(b); // every b event once more
    // and retries that reached Kafka through another API instance (same user → same partition)
    const dupes = [...accepted.entries()].slice(0, 50).map(([event_id, { emoji, user }]) => ({
      key: user,
      value: JSON.stringify({ event_id, user_id: user, emoji_type: emoji, timestamp: new Date().toISOString(), match_id: MATCH, received_at: new Date().toISOString() }),
    }));
    await producer.send({ topic: config.topics.events, messages: dupes });
    // a poison pill on the same topic must not stop anything
    await producer.send({ topic: config.topics.events, messages: [{ key: 'u-0', value: '{"emoji_type":"🔥","match_id":"' + MATCH + '"' }] });

    expect(accepted.size).toBe(500);
    const want = expected();
    const got = await waitForTotals(want);
    expect(got.match_id).toBe(MATCH);
    expect(sorted(got.totals)).toEqual(sorted(want));
    expect(got.total).toBe(500);
    // nothing arrives late and over-counts
    await sleep(1500);
    expect((await getTotals()).total).toBe(500);
    const m = exact!.metrics();
    expect(m.duplicates).toBeGreaterThanOrEqual(120 + 10 + 200 + 50);
    expect(m.invalid).toBeGreaterThanOrEqual(1);
    expect(m.state).toBe('RUNNING');
  });

  it('closes the windows on ticks and writes each to emoji-exact; windows add up to the totals', async () => {
    const from = t0 - 2000;
    const to = Date.now() + 2000;
    // ticks every 250 ms move stream time past window end + grace although no more events arrive
    let w: ExactWindows | null = null;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const res = await app.request(`/v1/counts/windows?match=${MATCH}&from=${new Date(from).toISOString()}&to=${to}`);
      expect(res.status).toBe(200);
      w = (await res.json()) as ExactWindows;
      if (w.windows.length > 0 && w.windows.every((x) => x.closed)) break;
      await sleep(250);
    }
    expect(w!.windows.length).toBeGreaterThan(0);
    expect(w!.windows.every((x) => x.closed)).toBe(true);
    expect(w!.windows.reduce((n, x) => n + x.total, 0)).toBe(500);
    for (const x of w!.windows) {
      expect(Date.parse(x.window_end) - Date.parse(x.window_start)).toBe(2000);
      expect(Date.parse(x.window_start) % 2000).toBe(0);
      expect(x.total).toBe(sum(x.counts));
    }

    // the same windows on emoji-exact (transactional: read_committed)
    const kafka = createKafka(config, 'exact-test-reader');
    consumer = kafka.consumer({ groupId: `exact-test-${run}-reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.exact, fromBeginning: true });
    const seen = new Map<string, { counts: Record<string, number>; total: number }>();
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() !== MATCH) return;
        const r = JSON.parse(message.value!.toString());
        seen.set(r.window_start, { counts: r.counts, total: r.total });
      },
    });
    await waitFor('every window on emoji-exact', () => seen.size >= w!.windows.length, 20_000, 200).catch(() => {});
    expect(seen.size).toBe(w!.windows.length);
    for (const x of w!.windows) expect(seen.get(x.window_start)).toEqual({ counts: x.counts, total: x.total });
  });

  it('keeps the totals across a restart (same state dir), and across one restored from the changelogs', async () => {
    const before = await getTotals();
    expect(before.total).toBe(500);

    await exact!.close();
    expect(current.state()).toBe('CLOSED');
    expect((await app.request(`/v1/counts?match=${MATCH}`)).status).toBe(503);

    exact = await startExactCounts(config);
    expect((await getTotals()).totals).toEqual(before.totals);

    // events after the restart are counted once more each, old ones are not re-counted
    const c = newEvents('c', 40);
    await postBatch(c);
    await postBatch(c);
    for (const e of c) accepted.set(e.event_id, { emoji: e.emoji_type, user: e.user_id });
    const after = await waitForTotals(expected());
    expect(after.total).toBe(540);

    // a fresh state dir (a new machine): the stores are rebuilt from their changelog topics
    await exact!.close();
    exact = await startExactCounts(config, { overrides: { stateDir: join(dataDir, 'streams-fresh') } });
    expect(sorted((await getTotals()).totals)).toEqual(sorted(expected()));
  });
});
