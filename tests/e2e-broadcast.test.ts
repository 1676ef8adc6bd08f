// End to end: real broker, the real Spark job, the API (ingest + broadcast) from startPlatform. A viewer
// registers (POST /v1/subscriptions), opens its SSE stream, the same client posts reactions, and the window
// that Spark writes to emoji-windows reaches the viewer through the main publisher, supervisor, cluster and
// subscriber with the right counts and swarm. Isolated by a unique match_id.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowStartOf, type WindowRecord } from '../src/domain/window.ts';
import { startPlatform, type Platform } from '../src/app/platform.ts';
import { startSparkJob, type SparkJob } from '../src/spark/job.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

    const windows: WindowRecord[] = [];
    const ids: string[] = [];
    const req = http.get(`${base}${sub.stream_url}`, (res) => {
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        rest += c;
        let i: number;
        while ((i = rest.indexOf('\n\n')) >= 0) {
          const block = rest.slice(0, i);
          rest = rest.slice(i + 2);
          if (!block.includes('event: window')) continue;
          ids.push(/^id: (.*)$/m.exec(block)![1]!);
          windows.push(JSON.parse(/^data: (.*)$/m.exec(block)![1]!));
        }
      });
    });
    req.on('error', () => {});

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
    while (!windows.some((w) => w.total > 0) && Date.now() < deadline) await sleep(100);
    req.destroy();
    expect(windows).toHaveLength(1);
    expect(ids).toEqual([`${matchId}:${start}`]);
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
