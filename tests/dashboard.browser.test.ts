// The dashboard in a real browser (Debian's Chromium through playwright-core; never a downloaded browser),
// against the whole platform: broker (tests/setup/global.ts), Spark job, API with broadcast and exact counts.
// A reaction sent by clicking the page and others posted by the test (known counts, a match of its own)
// must show up in the swarm with the right counts; the screenshot goes to artifacts/dashboard.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { waitForOk } from './support/wait.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const CHROMIUM = '/usr/bin/chromium';
const PLATFORM = resolve(import.meta.dirname, '../src/app/platform.ts');
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts');
const match = `t-dash-${Math.random().toString(36).slice(2, 10)}`;

// what the test posts in ONE batch request: all events of a request share received_at, so one window
const BATCH: Record<string, number> = { '🔥': 2500, '😂': 1200 };
const SINGLES: Record<string, number> = { '👏': 3 }; // posted one by one
const CLICKED = '😀'; // sent by clicking the page's button, once

type PlatformHandle = { url: string; stop(): Promise<void> };
let platform: PlatformHandle | null = null;
let browser: Browser | null = null;
let page: Page | null = null;
let dataDir = '';
const pageErrors: string[] = [];

describe.skipIf(!existsSync(PLATFORM))('dashboard in Chromium against the whole platform', () => {
  let config: Config;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'emostream-dash-'));
    config = loadConfig({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS,
      DATA_DIR: dataDir,
      PORT: '0',
      SPARK_UI_PORT: '0',
      MAX_BATCH_EVENTS: '5000',
      // topics and a Kafka Streams app of its own: nobody else's events, nothing to catch up on
      TOPIC_EVENTS: `${match}-events`,
      TOPIC_WINDOWS: `${match}-windows`,
      TOPIC_EXACT: `${match}-exact`,
      TOPIC_METRICS: `${match}-metrics`,
      STREAMS_APP_ID: `emostream-exact-${match}`,
      LOG_LEVEL: 'warn',
    });
    const { startPlatform } = (await import(PLATFORM)) as { startPlatform: (c: typeof config, o?: object) => Promise<PlatformHandle> };
    platform = await startPlatform(config);
    // every part reports in: Kafka, Spark and Kafka Streams (GET /status; /readyz is only ingest + SSE)
    await waitForOk(`${platform!.url}/status`, 180_000);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 240_000);

  afterAll(async () => {
    const t0 = Date.now();
    const say = (m: string) => process.stderr.write(`[dashboard test] ${m} (${Date.now() - t0} ms)\n`);
    const bounded = (p: Promise<unknown> | undefined, ms: number) => Promise.race([p?.catch(() => {}), sleep(ms)]);
    await bounded(browser?.close(), 10_000);
    say('browser closed');
    // bounded: stopping must not hold the suite (see the report on the Spark child not being reaped)
    await bounded(platform?.stop(), 25_000);
    say('platform stopped');
    // drop the test's own topics and its Kafka Streams internal topics (the broker may be shared)
    const admin = createKafka(config, 'dash-cleanup').admin();
    const own = (t: string) => [config.topics.events, config.topics.windows, config.topics.exact, config.topics.metrics].includes(t) || t.startsWith(`${config.streams.appId}-`);
    await bounded(
      admin.connect().then(async () => admin.deleteTopics({ topics: (await admin.listTopics()).filter(own), timeout: 5000 })),
      10_000,
    );
    await bounded(admin.disconnect(), 2000);
    say('topics dropped');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('loads, registers as a viewer, and shows clicked and posted reactions in the swarm with the right counts', async () => {
    const p = page!;
    const url = platform!.url;
    await p.goto(`${url}/?match=${encodeURIComponent(match)}`);
    await expect.poll(() => p.title()).toContain(match);
    await p.waitForSelector('#status[data-state="live"]', { timeout: 20_000 });
    expect(await p.locator('#assignment').textContent()).toMatch(/cluster .+ · subscriber .+/);
    // the palette comes from the server: every configured emoji has a button
    const buttons = await p.locator('#palette button.emoji-btn').count();
    const palette = (await (await fetch(`${url}/v1/palette`)).json()) as { palette: string[] };
    expect(buttons).toBe(palette.palette.length);

    // 1. a reaction sent from the page
    await p.locator(`#palette button[data-emoji="${CLICKED}"]`).click();
    await expect.poll(() => p.locator('#send-status').textContent(), { timeout: 10_000 }).toContain('accepted');

    // 2. reactions posted by the test: one batch (one window) and a few single events
    const now = Date.now();
    const events = Object.entries(BATCH).flatMap(([emoji, n]) =>
      Array.from({ length: n }, (_, i) => ({ user_id: `bt-${i % 50}`, emoji_type: emoji, timestamp: now, match_id: match })),
    );
    const batch = await fetch(`${url}/v1/emoji/batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
    expect(batch.status).toBe(202);
    expect(((await batch.json()) as { accepted: number }).accepted).toBe(events.length);
    for (const [emoji, n] of Object.entries(SINGLES)) {
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${url}/v1/emoji`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: `single-${i}`, emoji_type: emoji, timestamp: new Date().toISOString(), match_id: match }),
        });
        expect(r.status).toBe(202);
      }
    }

    // 3. the windows reach the page over SSE: the sum of window counts per emoji equals what was sent
    const expected: Record<string, number> = { ...BATCH, ...SINGLES, [CLICKED]: 1 };
    // generous: on a busy 2-core machine a Spark micro-batch can take several seconds
    for (const [emoji, n] of Object.entries(expected)) {
      await p.waitForSelector(`#session-counts li[data-emoji="${emoji}"][data-count="${n}"]`, { timeout: 60_000 });
    }
    const state = await p.evaluate(() => {
      const s = (window as unknown as { __emostream: { windows: { counts: Record<string, number>; swarm: Record<string, number> }[]; sessionCounts: Record<string, number>; floaters: Record<string, number>; liveReceived: number } }).__emostream;
      return { windows: s.windows, sessionCounts: s.sessionCounts, floaters: s.floaters, liveReceived: s.liveReceived };
    });
    expect(state.sessionCounts).toEqual(expected); // nothing else arrived for this match
    // the batch landed in one window, whose swarm follows the scale rule (factor 1000): 2500 → 2, 1200 → 1
    const big = state.windows.find((w) => w.counts['🔥'] === BATCH['🔥']);
    expect(big, 'the window holding the batch').toBeDefined();
    expect(big!.counts['😂']).toBe(BATCH['😂']);
    expect(big!.swarm).toMatchObject({ '🔥': 2, '😂': 1 });
    // the running counts came live before the windows closed; the page animated one emoji per swarm unit of the
    // closed windows all the same (the live part at once, the rest when the window settled)
    expect(state.liveReceived).toBeGreaterThan(0);
    expect(state.floaters['🔥']).toBe(2);
    expect(state.floaters['😂']).toBe(1);
    expect(state.floaters[CLICKED]).toBe(1);
    // the latest window's mood, as the Spark job computed it (contracts/mood.json), beside its counts
    const last = (state.windows as { mood?: { score: number; feeling: string } }[]).at(-1)!;
    expect(last.mood, 'windows carry a mood').toBeDefined();
    await expect.poll(() => p.locator('#mood').textContent()).toBe(`mood: ${last.mood!.feeling} ${last.mood!.score > 0 ? '+' : ''}${last.mood!.score.toFixed(2)}`);

    // 4. exact totals (Kafka Streams) on the page agree
    for (const [emoji, n] of Object.entries(expected)) {
      await p.waitForSelector(`#exact-totals li[data-emoji="${emoji}"][data-count="${n}"]`, { timeout: 20_000 });
    }
    // 5. viewers per cluster: this page is one of them
    await expect.poll(async () => Number(await p.locator('#clusters li').first().getAttribute('data-viewers')) >= 0, { timeout: 10_000 }).toBe(true);
    const viewers = await p.locator('#clusters li').evaluateAll((lis) => lis.reduce((a, li) => a + Number((li as HTMLElement).dataset.viewers), 0));
    expect(viewers).toBeGreaterThanOrEqual(1);

    mkdirSync(ARTIFACTS, { recursive: true });
    await p.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
