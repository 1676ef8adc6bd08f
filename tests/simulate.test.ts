// The simulator against a real API (broker from tests/setup/global.ts; ingest + broadcast, no Spark or
// Kafka Streams: windows are published straight into the broadcast, so the test stays fast).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.ts';
import { makeWindow } from '../src/domain/window.ts';
import { startPlatform, type Platform } from '../src/app/platform.ts';
import { formatSummary, parseBursts, percentile, runSimulation } from '../scripts/simulate.ts';

let platform: Platform;
let dataDir = '';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'emostream-sim-'));
  const config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS, DATA_DIR: dataDir, PORT: '0', SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false', LOG_LEVEL: 'warn' });
  platform = await startPlatform(config, { spark: false, streams: false });
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('simulate', () => {
  it('parses bursts and percentiles', () => {
    expect(parseBursts('🔥:5000@20s,👏:10@1500ms')).toEqual([
      { emoji: '🔥', count: 5000, atMs: 20_000 },
      { emoji: '👏', count: 10, atMs: 1500 },
    ]);
    expect(() => parseBursts('🔥5000')).toThrow(/EMOJI:COUNT@SECONDs/);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2);
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 99)).toBe(4);
  });

  it('emits concurrently, registers viewers that read SSE, and reports what happened', async () => {
    const match = `t-sim-${Math.random().toString(36).slice(2, 8)}`;
    // stand-in for the Spark job: a window for the match every 250 ms, each ending 100 ms before it is published
    const facade = platform.broadcast!;
    let published = 0;
    const timer = setInterval(() => {
      const end = Date.now() - 100;
      facade.publish(makeWindow(match, end - 2000, 2000, { '🔥': 1500, '😀': 3 }, 1000));
      // stand-in for Kafka Streams: one moment (every viewer of the match must count it once)
      if (++published === 6) {
        facade.publishMoment({
          match_id: match, window_start: new Date(end - 2000).toISOString(), window_end: new Date(end).toISOString(),
          peak_emoji: '🔥', peak_count: 1500, peak_baseline: 3, total: 1503, total_baseline: 4, trigger: '🔥', score: 80, baseline_windows: 5, counts: { '🔥': 1500, '😀': 3 },
        });
      }
    }, 250);
    const s = await runSimulation({
      url: platform.url,
      clients: 10,
      durationMs: 3000,
      rate: 10,
      matches: 1,
      matchIds: [match],
      viewers: 4,
      batch: 1,
      bursts: [{ emoji: '🔥', count: 1500, atMs: 1000 }],
      settleMs: 0,
      drainMs: 500,
      progress: false,
    }).finally(() => clearInterval(timer));

    // 10 clients × 10 req/s × 3 s ≈ 300 single events, plus the burst (1500 in 2 batch requests)
    expect(s.sentEvents).toBeGreaterThan(200 + 1500);
    expect(s.acceptedEvents).toBe(s.sentEvents);
    expect(s.refusedByStatus).toEqual({});
    expect(s.errors).toBe(0);
    expect(s.requestLatencyMs.p50).toBeGreaterThan(0);
    expect(s.requestLatencyMs.p99).toBeGreaterThanOrEqual(s.requestLatencyMs.p50);
    expect(s.viewers.registered).toBe(4);
    expect(s.viewers.windowsPerViewer.min).toBeGreaterThanOrEqual(8); // ~14 published while they listened
    // published 100 ms after window end; delivered within the same turn
    expect(s.viewers.latencyMs.p50).toBeGreaterThanOrEqual(100);
    expect(s.viewers.latencyMs.p99).toBeLessThan(1000);
    expect(s.counts.checked).toBe(false);
    expect(s.momentsToViewers).toBe(4);
    // the burst is reported; without Kafka Streams there is no moments route to ask
    expect(s.bursts).toHaveLength(1);
    expect(s.bursts[0]).toMatchObject({ emoji: '🔥', count: 1500, accepted: 1500, match, moments: null });
    const text = formatSummary(s);
    expect(text).toContain('burst      🔥×1500 at 1.0 s');
    expect(text).toContain('no moments route');
    expect(text).toContain('4 `event: moment` received by the 4 viewers');
    expect(text).toContain(`accepted   ${s.acceptedEvents}`);
    expect(text).toContain('refused    none');
  }, 60_000);
});
