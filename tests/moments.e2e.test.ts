// Moments end to end: the API (ingest + broadcast) and Kafka Streams from startPlatform on the test broker.
// A match gets steady reactions (well under the minimum volume, so no window of it can be a moment), then ONE
// batch of 1,000 🔥 (one request: every event of it in the same 2 s window), then steady reactions again.
// Exactly one moment must come out, for the burst window, with peak 🔥: over SSE (`event: moment`, also
// replayed after a Last-Event-ID), at GET /v1/matches/:id/moments, and at the top of the summary, whose
// totals are the exact counts. Spark is left out: moments come from the exact counts (Kafka Streams).
// Then the dashboard in Debian's Chromium (playwright-core) shows that moment on its timeline with the peak
// emoji (screenshot: artifacts/moments.png).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../src/app/platform.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { MomentRecord } from '../src/domain/moment.ts';
import { makeWindow, windowStartOf } from '../src/domain/window.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSse } from './support/sse-client.ts';

const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const MATCH = `t-moments-${run}`;
const STEADY = ['😀', '👏', '🔥', '🏏'];
const CHROMIUM = '/usr/bin/chromium';
let burstWindowStart: string | null = null; // set by the burst test, shown by the dashboard test

/** An SSE stream of the match (ad-hoc viewer on cluster c1), collecting every event. */
const openStream = (base: string, lastEventId?: string) =>
  openSse(`${base}/v1/clusters/c1/stream?match=${MATCH}`, { headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} });

describe('moments end to end (broker, Kafka Streams, API, SSE)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emostream-moments-'));
  let config: Config;
  let platform: Platform | null = null;
  let posted = new Map<string, number>();

  beforeAll(async () => {
    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      DATA_DIR: dataDir,
      PORT: '0',
      SPARK_ENABLED: 'false',
      STREAMS_APP_ID: `emostream-moments-${run}`,
      STREAMS_OFFSET_RESET: 'latest', // a shared test broker: only what this file writes
      LOG_LEVEL: 'warn',
    });
    platform = await startPlatform(config, { spark: false });
    // queryable: /v1/counts answers 200
    const deadline = Date.now() + 150_000;
    while ((await fetch(`${platform.url}/v1/counts?match=${MATCH}`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('Kafka Streams did not become queryable');
      await sleep(250);
    }
  }, 200_000);

  afterAll(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const post = async (events: { emoji: string; n: number }[]) => {
    const body = events.flatMap(({ emoji, n }) =>
      Array.from({ length: n }, (_, i) => ({ user_id: `u-${i % 50}`, emoji_type: emoji, timestamp: Date.now(), match_id: MATCH })),
    );
    const res = await fetch(`${platform!.url}/v1/emoji/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    for (const { emoji, n } of events) posted.set(emoji, (posted.get(emoji) ?? 0) + n);
  };

  /** ~8 reactions/s over the steady emojis: at most ~16 a window, under MOMENTS_MIN_COUNT (50) even doubled. */
  const steady = async (ms: number) => {
    const until = Date.now() + ms;
    let i = 0;
    while (Date.now() < until) {
      await post([{ emoji: STEADY[i++ % STEADY.length]!, n: 2 }]);
      await sleep(250);
    }
  };

  it('steady reactions then a burst of 🔥: exactly one moment, for the burst window, over SSE, at the moments route and in the summary', async () => {
    const base = platform!.url;
    posted = new Map();
    const viewer = openStream(base);
    await steady(14_000); // 7 windows: more than MOMENTS_MIN_HISTORY (5)

    // the burst: one request, so all 1,000 events are admitted together and fall in one window
    const windowMs = config.windows.windowMs;
    while (Date.now() - windowStartOf(Date.now(), windowMs) > 300) await sleep(10);
    const before = windowStartOf(Date.now(), windowMs);
    await post([{ emoji: '🔥', n: 1000 }]);
    const after = windowStartOf(Date.now(), windowMs);
    await steady(8_000); // the windows after the burst close (ticks) and are judged too

    // the moment reaches the viewer
    const deadline = Date.now() + 30_000;
    while (!viewer.events.some((e) => e.event === 'moment') && Date.now() < deadline) await sleep(200);
    await sleep(3_000); // any second moment would have arrived by now
    viewer.close();
    const sse = viewer.events.filter((e) => e.event === 'moment');
    expect(sse).toHaveLength(1);
    const m = JSON.parse(sse[0]!.data) as MomentRecord;
    const burstStart = Date.parse(m.window_start);
    expect([before, after]).toContain(burstStart); // the window the burst request was admitted in
    expect(m).toMatchObject({ match_id: MATCH, peak_emoji: '🔥', trigger: '🔥' });
    expect(m.peak_count).toBeGreaterThanOrEqual(1000);
    expect(m.score).toBeGreaterThanOrEqual(config.moments.minScore);
    expect(sse[0]!.id).toBe(`moment:${MATCH}:${burstStart}`);
    burstWindowStart = m.window_start;

    // listed by the route, the same record
    const listed = await (await fetch(`${base}/v1/matches/${MATCH}/moments`)).json();
    expect(listed.moments).toEqual([m]);
    const ranged = await (await fetch(`${base}/v1/matches/${MATCH}/moments?from=${burstStart + 2000}&to=${Date.now()}`)).json();
    expect(ranged.moments).toEqual([]);

    // the summary: exact totals of everything posted, the moment on top, and the mood curve of the windows
    // the main publisher received (Spark is off here: two windows handed to the broadcast as its consumer would)
    const t = windowStartOf(Date.now(), windowMs) - 60_000;
    platform!.broadcast!.publish(makeWindow(MATCH, t, windowMs, { '😡': 40 }, config.windows.scaleFactor));
    platform!.broadcast!.publish(makeWindow(MATCH, t + windowMs, windowMs, { '🔥': 30, '👏': 30 }, config.windows.scaleFactor));
    const summary = await (await fetch(`${base}/v1/matches/${MATCH}/summary`)).json();
    expect(summary.top_moments).toEqual([m]);
    expect(summary.totals).toEqual(Object.fromEntries(posted));
    expect(summary.mood_curve).toMatchObject({ mood_available: true, windows: 2, downsampled: false });
    expect(summary.mood_curve.points.map((p: { score: number }) => Math.sign(p.score))).toEqual([-1, 1]);

    // a viewer that reconnects after the burst window's id gets the moment replayed
    const back = openStream(base, `${MATCH}:${burstStart}`);
    const d2 = Date.now() + 10_000;
    while (!back.events.some((e) => e.event === 'moment') && Date.now() < d2) await sleep(100);
    back.close();
    expect(back.events.filter((e) => e.event === 'moment').map((e) => e.id)).toEqual([`moment:${MATCH}:${burstStart}`]);
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('the dashboard shows the moment on its timeline with the peak emoji', async () => {
    expect(burstWindowStart, 'the burst test ran first').not.toBeNull();
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${platform!.url}/?match=${MATCH}`);
      const mark = page.locator(`#moments-timeline .mark[data-window-start="${burstWindowStart}"]`);
      await mark.waitFor({ timeout: 30_000 });
      expect(await mark.textContent()).toBe('🔥');
      expect(await page.locator('#moments-timeline .mark').count()).toBe(1);
      expect(await page.locator('#moments li').first().getAttribute('data-peak')).toBe('🔥');
      const artifacts = resolve(import.meta.dirname, '../artifacts');
      mkdirSync(artifacts, { recursive: true });
      await page.locator('.moments-card').screenshot({ path: join(artifacts, 'moments.png') });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('answers an unknown match with 404 and a malformed time range with 400, as JSON naming the field', async () => {
    const base = platform!.url;
    const unknown = await fetch(`${base}/v1/matches/never-seen-${run}/moments`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ code: 'unknown_match', field: 'id' });
    const summary = await fetch(`${base}/v1/matches/never-seen-${run}/summary`);
    expect(summary.status).toBe(404);
    const bad = await fetch(`${base}/v1/matches/${MATCH}/moments?from=2026-11-28T25:00:00Z`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_format', field: 'from' });
    const reversed = await fetch(`${base}/v1/matches/${MATCH}/moments?from=2000&to=1000`);
    expect(reversed.status).toBe(400);
    expect((await reversed.json()).error).toMatchObject({ code: 'invalid_range', field: 'from' });
  });
});
