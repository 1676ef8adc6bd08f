// End to end: real broker, the real Spark job, the API (ingest + broadcast) from startPlatform. A viewer
// registers (POST /v1/subscriptions), opens its SSE stream, the same client posts reactions, and the window
// that Spark writes to emoji-windows reaches the viewer through the main publisher, supervisor, cluster and
// subscriber with the right counts and swarm. Isolated by a unique match_id.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowStartOf, type WindowRecord } from '../src/domain/window.ts';
import { startPlatform, type Platform } from '../src/app/platform.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse } from './support/sse-client.ts';


describe('broadcast end to end (broker, Spark, API)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-e2e-broadcast-'));
  const matchId = `t-e2e-${Math.random().toString(36).slice(2, 8)}`;
  let config: Config;
  let platform: Platform | null = null;
  let job: SparkJob | null = null;

  beforeAll(async () => {
    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      DATA_DIR: dataDir,
      PORT: '0',
      SPARK_UI_PORT: '0',
      SPARK_ENABLED: 'false', // started below, so this file does not depend on how the platform wires Spark
      STREAMS_ENABLED: 'false',
    });
    // 'latest': the shared test broker holds earlier tests' events; this test needs only its own
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 150_000, startingOffsets: 'latest' });
    platform = await startPlatform(config, { spark: false, streams: false });
    await job.ready;
  }, 200_000);

  afterAll(async () => {
    await platform?.stop();
    await job?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('a registered viewer receives the window of the reactions it posted, with the right swarm', async () => {
    const base = platform!.url;
    const sub = (await (await fetch(`${base}/v1/subscriptions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ match_id: matchId }) })).json()) as {
      stream_url: string;
    };

    const stream = openSse(`${base}${sub.stream_url}`);
    const windowsSeen = () => stream.windows().map((e) => JSON.parse(e.data) as WindowRecord);

    // Post right after a window boundary, so every event's received_at falls in the same 2 s window.
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 200) await sleep(10);
    const start = windowStartOf(Date.now(), windowMs);
    const ev = (emoji: string, i: number) => ({ user_id: `u-${i % 300}`, emoji_type: emoji, timestamp: Date.now(), match_id: matchId });
    const batches = [
      Array.from({ length: 1000 }, (_, i) => ev('🔥', i)),
      Array.from({ length: 1000 }, (_, i) => ev('🔥', i + 1000)),
      [...Array.from({ length: 500 }, (_, i) => ev('🔥', i + 2000)), ...Array.from({ length: 3 }, (_, i) => ev('😀', i))],
    ];
    const replies = await Promise.all(
      batches.map((b) => fetch(`${base}/v1/emoji/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })),
    );
    expect(replies.map((r) => r.status)).toEqual([202, 202, 202]);

    const deadline = Date.now() + 60_000;
    while (!windowsSeen().some((w) => w.total > 0) && Date.now() < deadline) await sleep(100);
    stream.close();
    const windows = windowsSeen();
    expect(windows).toHaveLength(1);
    expect(stream.windows().map((e) => e.id)).toEqual([`${matchId}:${start}`]);
    expect(windows[0]).toEqual({
      match_id: matchId,
      window_start: new Date(start).toISOString(),
      window_end: new Date(start + windowMs).toISOString(),
      counts: { '🔥': 2500, '😀': 3 },
      swarm: { '🔥': 2, '😀': 1 },
      total: 2503,
      mood: { score: 0.8, feeling: 'hype' }, // computed by the Spark job (contracts/mood.json)
    });
  }, 90_000);
});
