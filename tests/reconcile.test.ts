// Spark's per-window counts and the exact per-window counts describe the same events: the real Spark job (child
// JVM) and the real Kafka Streams topology (java-bridge, this process) read the same events from the broker,
// and every window of the match agrees between emoji-windows and emoji-exact. Events are written straight to
// emoji-events in the API's format, each once (Spark does not de-duplicate retries; tests/exact-counts.test.ts
// covers retries through the API), in time for Spark's watermark, with ticks every 250 ms as the API writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowStartOf } from '../src/domain/window.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { eventMessage, readWindows, startDirectWriter, type DirectWriter, type WindowReader } from './support/spark.ts';
import { startExactCounts, type ExactCounts } from '../src/streams/bridge.ts';
import { readAllWindows, reconcileWindows } from '../src/streams/reconcile.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const EMOJIS = ['🔥', '😀', '😡', '👏'];

describe('exact per-window counts agree with Spark', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-reconcile-'));
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const matchId = `t-rec-${runId}`;
  let config: Config;
  let kafka: Kafka;
  let producer: Producer;
  let writer: DirectWriter | null = null;
  let sparkWindows: WindowReader | null = null;
  let exactWindows: WindowReader | null = null;
  let job: SparkJob | null = null;
  let exact: ExactCounts | null = null;

  beforeAll(async () => {
    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      DATA_DIR: dataDir,
      SPARK_UI_PORT: '0',
      STREAMS_APP_ID: `reconcile-test-${runId}`,
      STREAMS_OFFSET_RESET: 'latest',
    });
    kafka = createKafka(config, `reconcile-test-${runId}`);
    writer = await startDirectWriter(kafka, config.topics.events);
    producer = writer.producer;
    // 'latest': the shared test broker holds earlier tests' events, and this test compares only its own
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 150_000, startingOffsets: 'latest' });
    sparkWindows = await readWindows(kafka, config.topics.windows, `reconcile-test-${runId}-spark`, (m) => m === matchId);
    exactWindows = await readWindows(kafka, config.topics.exact, `reconcile-test-${runId}-exact`, (m) => m === matchId);
    exact = await startExactCounts(config);
    await job.ready;
    // both read from 'latest': let every partition's start offset settle before writing
    while (exact.metrics().ticks < 4 * writer.partitions) await sleep(100);
    await sleep(1000);
  }, 200_000);

  afterAll(async () => {
    // in parallel: on a busy 2-core box the Spark job may take a while to stop
    await Promise.allSettled([
      job?.stop(),
      exact?.close(),
      writer?.stop(),
      sparkWindows?.stop(),
      exactWindows?.stop(),
    ]);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('every window of the match has the same counts on emoji-windows and emoji-exact', async () => {
    const windowMs = config.windows.windowMs;
    const first = windowStartOf(Date.now(), windowMs) + windowMs;
    while (Date.now() < first) await sleep(10);
    // ~8 s of traffic, sent every 100 ms with received_at = now (as the API would), spread over 6 partitions
    let sent = 0;
    const want = new Map<number, Record<string, number>>();
    while (Date.now() < first + 4 * windowMs) {
      const now = Date.now();
      const n = 20 + Math.floor(Math.random() * 40);
      const messages = Array.from({ length: n }, (_, i) => {
        const emoji = EMOJIS[(sent + i) % EMOJIS.length]!;
        const ws = windowStartOf(now, windowMs);
        const c = want.get(ws) ?? {};
        c[emoji] = (c[emoji] ?? 0) + 1;
        want.set(ws, c);
        return eventMessage(matchId, emoji, now, `u-${(sent + i) % 97}`);
      });
      await producer.send({ topic: config.topics.events, acks: -1, messages });
      sent += n;
      await sleep(100);
    }
    const starts = [...want.keys()].sort((a, b) => a - b);
    expect(starts.length).toBeGreaterThanOrEqual(4);

    // ticks close the last window on both sides
    const last = starts.at(-1)!;
    await sparkWindows!.waitFor((w) => Date.parse(w.window_start) === last, 60_000);
    await exactWindows!.waitFor((w) => Date.parse(w.window_start) === last, 60_000);
    await sleep(500);

    const spark = sparkWindows!.arrived.map((a) => a.record);
    const exactRecs = exactWindows!.arrived.map((a) => a.record);
    const r = reconcileWindows(matchId, spark, exactRecs);
    expect(r.differing).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.windows).toBe(starts.length);
    expect(r.exact_total).toBe(sent);
    expect(r.spark_total).toBe(sent);
    // and both equal what was sent, window by window
    for (const s of starts) {
      const e = exactRecs.find((w) => Date.parse(w.window_start) === s)!;
      expect(e.counts).toEqual(want.get(s));
    }

    // the script's reader sees the same on emoji-exact (read from the beginning, read_committed)
    const fromTopic = await readAllWindows(kafka, config.topics.exact, matchId);
    expect(reconcileWindows(matchId, spark, fromTopic).ok).toBe(true);
  });
});
