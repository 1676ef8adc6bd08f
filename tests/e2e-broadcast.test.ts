// End to end: real broker, the real Spark job, the API (ingest + broadcast) from startPlatform. A viewer
// registers (POST /v1/subscriptions), opens its SSE stream, the same client posts reactions, and the window
// that Spark writes to emoji-windows reaches the viewer through the main publisher, supervisor, cluster and
// subscriber with the right counts and swarm. The live swarm: the running counts Spark writes to emoji-live reach
// the viewer as event: live before the window closes, and the last of them carries the closed window's counts.
// Isolated by a unique match_id per case.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { windowId, windowStartOf, type LiveRecord, type WindowRecord } from '../src/domain/window.ts';
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
    // start-up takes 30-60 s on an idle 2-core machine and minutes under the load of parallel test runs (as in spark.test.ts)
    job = startSparkJob(config, { brokers: config.kafka.brokers!, readyTimeoutMs: 300_000, startingOffsets: 'latest' });
    platform = await startPlatform(config, { spark: false, streams: false });
    await job.ready;
  }, 360_000);

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

    // generous: the first windows after the job started take long on a loaded 2-core machine (JIT, first state writes)
    const deadline = Date.now() + 120_000;
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
  }, 150_000);

  it('a viewer gets event: live for a window before its event: window, and the last live counts are the closed counts', async () => {
    const base = platform!.url;
    const liveMatch = `${matchId}-live`;
    const stream = openSse(`${base}/v1/clusters/c1/stream?match=${liveMatch}`);
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 100) await sleep(10);
    const start = windowStartOf(Date.now(), windowMs);
    const id = windowId(liveMatch, start);
    const post = async (emoji: string, n: number, from: number) => {
      const body = Array.from({ length: n }, (_, i) => ({ user_id: `u-${from + i}`, emoji_type: emoji, timestamp: Date.now(), match_id: liveMatch }));
      const r = await fetch(`${base}/v1/emoji/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(r.status).toBe(202);
    };
    // the live records the Spark job writes (its progress reports count them): the viewer's live frames come from them
    // (the API makes a last one from the closed window only when Spark's last is still on its way)
    let sparkLive = 0;
    job!.onProgress((p) => void (sparkLive += Number(p.live_records ?? 0)));
    // three posts spread over the window, so that the job sees them in more than one micro-batch (more than one live record)
    await post('🔥', 300, 0);
    await sleep(500);
    await post('😀', 20, 1000);
    await sleep(500);
    await post('🔥', 200, 2000);
    expect(Date.now()).toBeLessThan(start + windowMs); // all in the one window (received_at is stamped on arrival)

    const deadline = Date.now() + 60_000;
    while (!stream.windows().some((e) => e.id === id) && Date.now() < deadline) await sleep(50);
    stream.close();
    const events = stream.events.filter((e) => e.event === 'window' || e.event === 'live');
    const closedAt = events.findIndex((e) => e.event === 'window' && e.id === id);
    expect(closedAt).toBeGreaterThan(0);
    const lives = events
      .slice(0, closedAt)
      .filter((e) => e.event === 'live')
      .map((e) => JSON.parse(e.data) as LiveRecord)
      .filter((l) => l.match_id === liveMatch && Date.parse(l.window_start) === start);
    expect(lives.length).toBeGreaterThan(0);
    expect(sparkLive).toBeGreaterThan(0);
    expect(events.slice(closedAt).some((e) => e.event === 'live' && e.data.includes(`"window_start":"${new Date(start).toISOString()}"`))).toBe(false);
    for (const e of stream.events.filter((x) => x.event === 'live')) expect(e.id).toBeUndefined(); // never replayed
    const seqs = lives.map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const closed = JSON.parse(events[closedAt]!.data) as WindowRecord;
    expect(closed.counts).toEqual({ '🔥': 500, '😀': 20 });
    const { seq: _seq, ...last } = lives[lives.length - 1]!;
    expect(last).toEqual(closed);
  }, 90_000);
});
