// The real Spark job (started through src/spark/job.ts, own checkpoint under a temp data dir, UI off) against the
// real broker: a known distribution inside one 2 s window comes out as exactly one record on emoji-windows with
// the right counts and swarm, although nothing but ticks follows it (the quiet-stream case). Invalid records
// written before it are set aside without stopping the query.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowStartOf } from '../src/domain/window.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { eventMessage, readWindows, startDirectWriter, type DirectWriter, type WindowReader } from '../src/spark/testing.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Spark job on the real broker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-spark-'));
  const runId = Math.random().toString(36).slice(2, 8);
  const matchId = `t-spark-${runId}`;
  let config: Config;
  let kafka: Kafka;
  let producer: Producer;
  let writer: DirectWriter | null = null;
  let windows: WindowReader | null = null;
  let job: SparkJob | null = null;
  let startupMs = 0;

  beforeAll(async () => {
    config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', DATA_DIR: dataDir, SPARK_UI_PORT: '0' });
    kafka = createKafka(config, `spark-test-${runId}`);
    writer = await startDirectWriter(kafka, config.topics.events);
    producer = writer.producer;
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 150_000 });
    windows = await readWindows(kafka, config.topics.windows, `spark-test-${runId}`, (m) => m === matchId);
    startupMs = await job.ready;
  }, 200_000);

  afterAll(async () => {
    await writer?.stop();
    await windows?.stop();
    await job?.stop();
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
    });
    console.log(`[spark] start-up to first progress ${startupMs} ms; window end → record on emoji-windows ${got.lagMs} ms`);

    // exactly one record for the match: ticks keep the clock running but make no windows
    await sleep(3 * windowMs);
    expect(windows!.arrived.map((a) => a.record.window_start)).toEqual([new Date(start).toISOString()]);
  }, 120_000);
});
