// The real Spark job (started through src/spark/job.ts, own checkpoint under a temp data dir, UI off) against the
// real broker, on an events topic of its own: a known distribution inside one 2 s window comes out as exactly one
// record on emoji-windows with the right counts and swarm, although nothing but ticks follows it (the quiet-stream
// case). Invalid records written before it are set aside without stopping the query. Events written before the
// job's first run are counted (it starts from earliest); a retried (user_id, event_id) is counted once, in its
// first occurrence's window, however much later the retry was stamped; a late event is counted as `late`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { makeWindow, windowStartOf, type WindowRecord } from '../src/domain/window.ts';
import { createKafka, ensureTopics } from '../src/kafka/client.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { eventMessage, readWindows, startDirectWriter, type DirectWriter, type WindowReader } from './support/spark.ts';
import { setTimeout as sleep } from 'node:timers/promises';


describe('Spark job on the real broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-spark-'));
  const runId = Math.random().toString(36).slice(2, 8);
  const matchId = `t-spark-${runId}`;
  const matchBefore = `t-spark-before-${runId}`;
  const matchLive = `t-spark-live-${runId}`;
  const ours = new Set([matchId, matchBefore, matchLive]);
  let backlogStart = 0;
  let config: Config;
  let kafka: Kafka;
  let producer: Producer;
  let writer: DirectWriter | null = null;
  let windows: WindowReader | null = null;
  let job: SparkJob | null = null;
  let startupMs = 0;

  beforeAll(async () => {
    // a topic of its own: the job starts from earliest, and the shared test broker holds earlier tests' events
    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      DATA_DIR: dataDir,
      SPARK_UI_PORT: '0',
      TOPIC_EVENTS: `emoji-events-spark-${runId}`,
    });
    kafka = createKafka(config, `spark-test-${runId}`);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, config).finally(() => admin.disconnect());
    writer = await startDirectWriter(kafka, config.topics.events);
    producer = writer.producer;

    // Before the job's first run: a window of 10 🔥 (ids b-0…b-9), two other users reusing id b-0 (other events,
    // counted), and retries of b-1…b-3 stamped 2.5 s later, in the next window, beside one fresh 😀 there.
    const windowMs = config.windows.windowMs;
    backlogStart = windowStartOf(Date.now(), windowMs) - 3 * windowMs;
    const backlog = [
      ...Array.from({ length: 10 }, (_, i) => eventMessage(matchBefore, '🔥', backlogStart + 100 + i, `u-b${i}`, `b-${i}`)),
      eventMessage(matchBefore, '🔥', backlogStart + 200, 'u-other-1', 'b-0'),
      eventMessage(matchBefore, '🔥', backlogStart + 300, 'u-other-2', 'b-0'),
      ...[1, 2, 3].map((i) => eventMessage(matchBefore, '🔥', backlogStart + windowMs + 500 + i, `u-b${i}`, `b-${i}`)),
      eventMessage(matchBefore, '😀', backlogStart + windowMs + 600, 'u-b20', 'b-20'),
    ];
    await producer.send({ topic: config.topics.events, acks: -1, messages: backlog });

    windows = await readWindows(kafka, config.topics.windows, `spark-test-${runId}`, (m) => ours.has(m));
    // start-up takes 30-60 s on an idle 2-core machine and minutes under the load of parallel test runs
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 300_000 });
    startupMs = await job.ready;
  }, 360_000);

  afterAll(async () => {
    await writer?.stop();
    await windows?.stop();
    await job?.stop();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [config.topics.events] }).catch(() => {});
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('emits one window per (match, window) with the counts and swarm, with only ticks after it', async () => {
    // garbage first: set aside, the query carries on
    await producer.send({
      topic: config.topics.events,
      acks: -1,
      messages: [{ key: 'x', value: 'not json' }, { key: 'x', value: JSON.stringify({ match_id: matchId, emoji_type: '🔥' }) }, { key: 'x', value: null }],
    });

    // a fresh window with room for the events before the watermark (window end + 500 ms) can pass it
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 300) await sleep(20);
    const start = windowStartOf(Date.now(), windowMs);
    const distribution: [string, number][] = [['🔥', 3785], ['😀', 12], ['😡', 1000]];
    const messages = distribution.flatMap(([emoji, n]) =>
      Array.from({ length: n }, (_, i) => eventMessage(matchId, emoji, start + ((i * 37) % 300), `u-${i % 500}`)),
    );
    for (let i = messages.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [messages[i], messages[j]] = [messages[j]!, messages[i]!];
    }
    await producer.send({ topic: config.topics.events, acks: -1, messages });
    expect(Date.now()).toBeLessThan(start + windowMs + config.spark.watermarkMs); // not late by construction

    const got = await windows!.waitFor((w) => Date.parse(w.window_start) === start, 60_000);
    expect(got.record).toEqual({
      match_id: matchId,
      window_start: new Date(start).toISOString(),
      window_end: new Date(start + windowMs).toISOString(),
      counts: { '🔥': 3785, '😀': 12, '😡': 1000 },
      swarm: { '🔥': 3, '😀': 1, '😡': 1 },
      total: 4797,
      mood: { score: 0.474, feeling: 'hype' }, // contracts/mood.json
    });
    console.log(`[spark] start-up to first progress ${startupMs} ms; window end → record on emoji-windows ${got.lagMs} ms`);

    // exactly one record for the match: ticks keep the clock running but make no windows
    await sleep(3 * windowMs);
    expect(windows!.arrived.filter((a) => a.record.match_id === matchId).map((a) => a.record.window_start)).toEqual([new Date(start).toISOString()]);
  }, 120_000);

  const recordOf = (m: string, start: number, counts: Record<string, number>): WindowRecord =>
    makeWindow(m, start, config.windows.windowMs, counts, config.windows.scaleFactor);

  it('counts what was written before its first run, each retried (user_id, event_id) once', async () => {
    const windowMs = config.windows.windowMs;
    const first = await windows!.waitFor((w) => w.match_id === matchBefore && Date.parse(w.window_start) === backlogStart, 60_000);
    expect(first.record).toEqual(recordOf(matchBefore, backlogStart, { '🔥': 12 }));
    const next = await windows!.waitFor((w) => w.match_id === matchBefore && Date.parse(w.window_start) === backlogStart + windowMs, 60_000);
    expect(next.record).toEqual(recordOf(matchBefore, backlogStart + windowMs, { '😀': 1 }));
  }, 120_000);

  it('live: a retry stamped in a later window is not counted again; a late event is counted as late', async () => {
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 300) await sleep(20);
    const startA = windowStartOf(Date.now(), windowMs);
    const firsts = Array.from({ length: 20 }, (_, i) => eventMessage(matchLive, '🔥', startA + 10 + i, `u-l${i}`, `l-${i}`));
    await producer.send({ topic: config.topics.events, acks: -1, messages: firsts });
    const a = await windows!.waitFor((w) => w.match_id === matchLive && Date.parse(w.window_start) === startA, 60_000);
    expect(a.record).toEqual(recordOf(matchLive, startA, { '🔥': 20 }));

    // window A is closed: retries of l-0…l-4 stamped now, three fresh 😀, and one event stamped inside window A
    const now = Date.now();
    const startB = windowStartOf(now, windowMs);
    await producer.send({
      topic: config.topics.events,
      acks: -1,
      messages: [
        ...Array.from({ length: 5 }, (_, i) => eventMessage(matchLive, '🔥', now, `u-l${i}`, `l-${i}`)),
        ...Array.from({ length: 3 }, (_, i) => eventMessage(matchLive, '😀', now, `u-m${i}`, `m-${i}`)),
        eventMessage(matchLive, '😡', startA + 100, 'u-late', 'late-1'),
      ],
    });
    await windows!.waitFor((w) => w.match_id === matchLive && Date.parse(w.window_start) === startB, 60_000);
    await sleep(3 * windowMs); // the late event may be counted in the window after B (re-timed past the watermark)
    const live = windows!.arrived.map((x) => x.record).filter((w) => w.match_id === matchLive);
    const sum = (f: (w: WindowRecord) => number) => live.reduce((n, w) => n + f(w), 0);
    expect(live.filter((w) => Date.parse(w.window_start) === startA)).toHaveLength(1); // never emitted again
    expect(sum((w) => w.counts['🔥'] ?? 0)).toBe(20);
    expect(sum((w) => w.counts['😀'] ?? 0)).toBe(3);
    expect(sum((w) => w.counts['😡'] ?? 0)).toBe(0);
    expect(sum((w) => w.late ?? 0)).toBe(1);
    expect(live.find((w) => Date.parse(w.window_start) === startB)!.counts).toEqual({ '😀': 3 });
  }, 150_000);

  it('at rest (no ticks) runs no micro-batch and reports itself idle every 10 s instead', async () => {
    await writer!.ticks.stop(); // a quiet stream once ticks have backed off; the batches already due still run
    let batches = 0;
    const offProgress = job!.onProgress(() => batches++);
    const idleReports: Array<{ at: number; batches: number }> = [];
    const twoIdle = new Promise<void>((resolve) => {
      const off = job!.onIdle(() => {
        idleReports.push({ at: Date.now(), batches });
        if (idleReports.length < 2) return;
        off();
        resolve();
      });
    });
    try {
      await twoIdle;
    } finally {
      offProgress();
    }
    expect(idleReports[1]!.batches).toBe(idleReports[0]!.batches); // nothing ran between them
    expect(idleReports[1]!.at - idleReports[0]!.at).toBeGreaterThan(5_000); // spark.sql.streaming.noDataProgressEventInterval (10 s)
  }, 90_000);
});
