// Kafka Streams heals itself: a stream thread that keeps failing stops the client (ERROR); the supervisor
// (src/supervision) replaces the KafkaStreams object after its backoff, and the exact counts stay exact:
// every distinct event accepted before, during and after the failures is counted once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { startIngest, type IngestService } from '../src/kafka/producer.ts';
import { startExactCountsInBackground, type ExactCountsInBackground } from '../src/streams/bridge.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor as waitForIt } from './support/wait.ts';

const run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
const MATCH = `t-heal-${run}`;

let dataDir: string;
let config: Config;
let exact: ExactCountsInBackground;
let ingest: IngestService;
const restarts: number[] = [];

async function post(app: ReturnType<typeof createApp>, prefix: string, n: number) {
  const events = Array.from({ length: n }, (_, i) => ({
    event_id: `${run}-${prefix}-${i}`,
    user_id: `u-${i % 11}`,
    emoji_type: i % 2 ? '🔥' : '😀',
    timestamp: Date.now(),
    match_id: MATCH,
  }));
  const res = await app.request('/v1/emoji/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  expect(res.status, await res.clone().text()).toBe(202);
}

const waitFor = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000) => waitForIt(what, fn, timeoutMs, 100);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'streams-heal-'));
  config = loadConfig({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    DATA_DIR: dataDir,
    STREAMS_APP_ID: `heal-test-${run}`,
    FLUSH_INTERVAL_MS: '50',
    STREAMS_OFFSET_RESET: 'latest', // shared broker: not its backlog
    SUPERVISE_BACKOFF_MS: '200',
    SUPERVISE_BACKOFF_MAX_MS: '1000',
  });
  ingest = await startIngest(config, createKafka(config, 'heal-test'));
  exact = startExactCountsInBackground(config, { supervisor: { onRestart: (a) => restarts.push(a) } });
  await exact.ready;
  // 'latest' fixes each partition's start at its first fetch: wait for ticks from every partition
  await waitFor('ticks from every partition', () => (exact.metrics()?.ticks ?? 0) >= 4 * config.topics.eventsPartitions);
}, 180_000);

afterAll(async () => {
  await exact?.close();
  await ingest?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('Kafka Streams under supervision', () => {
  it('replaces the client each time a stream thread fails, and counts every accepted event once', async () => {
    const app = createApp({ config, ingest, counts: exact });
    const total = async () => {
      const res = await app.request(`/v1/counts?match=${MATCH}`);
      return res.status === 200 ? ((await res.json()) as { total: number }).total : -1;
    };
    await post(app, 'before', 300);
    await waitFor('300 counted', async () => (await total()) === 300 || null);
    expect(await total()).toBe(300);

    exact.failNextRecords(3); // the next three records each kill the stream thread
    await waitFor('the first failure', () => exact.supervision().restarts >= 1 || exact.supervision().phase !== 'running');
    await post(app, 'during', 200); // accepted while Kafka Streams is failing and being replaced
    await waitFor('three restarts, running again', () => restarts.length >= 3 && exact.supervision().phase === 'running');
    expect(exact.supervision()).toMatchObject({ phase: 'running', restarts: 3 });
    expect(exact.supervision().lastFailure).toContain('injected fault'); // why it died, as the supervisor logged it
    await post(app, 'after', 100);

    let last = -1;
    await waitFor('600 counted', async () => ((last = await total()) === 600 ? true : null), 60_000).catch(() => {});
    expect(last).toBe(600);
    await sleep(1000);
    expect(await total()).toBe(600); // and nothing counted twice afterwards
    expect(exact.readiness()).toMatchObject({ ok: true, detail: 'RUNNING' });
  }, 180_000);
});
