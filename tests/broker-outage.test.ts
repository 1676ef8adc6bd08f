// With the broker stopped the API answers 503 (with Retry-After) within 5 s, and accepts again once the
// broker is back, without a restart of the API. This file starts ITS OWN embedded broker (own ports, own
// temporary data folder) and stops it; the shared broker is never touched.
import { mkdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/api/app.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { portOpen, startEmbeddedBroker, type EmbeddedBroker } from '../src/kafka/broker.ts';
import { createKafka, ensureTopics } from '../src/kafka/client.ts';
import { startIngest, type IngestService } from '../src/kafka/producer.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const dataDir = resolve(`test-data/outage-${process.pid}-${Date.now().toString(36)}`);
let brokerPort = 19092;
let broker: EmbeddedBroker | null = null;
let config: Config;
let ingest: IngestService;
let server: ServerType;
let base: string;

const startBroker = () => startEmbeddedBroker({ dataDir, port: brokerPort, controllerPort: brokerPort + 1, heap: '384m' });

const postOne = async () => {
  const t0 = Date.now();
  const res = await fetch(`${base}/v1/emoji`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: 'u-outage', emoji_type: '🔥', timestamp: Date.now(), match_id: 'outage' }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any, ms: Date.now() - t0 };
};

beforeAll(async () => {
  while ((await portOpen(brokerPort)) || (await portOpen(brokerPort + 1))) brokerPort += 10; // never another broker's ports
  mkdirSync(dataDir, { recursive: true });
  broker = await startBroker();
  config = loadConfig({ KAFKA_BROKERS: broker.bootstrap, DATA_DIR: dataDir, PRODUCE_TIMEOUT_MS: '4000', RETRY_AFTER_S: '2' });
  const kafka = createKafka(config, 'test-outage');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  ingest = await startIngest(config, kafka);
  const app = createApp({ config, ingest });
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await ingest?.stop();
  await broker?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('broker outage', () => {
  it('503 + Retry-After within 5 s while the broker is stopped; 202 again after it is back', async () => {
    expect((await postOne()).status).toBe(202);

    await broker!.stop();
    broker = null;
    const down = await postOne();
    expect(down.status).toBe(503);
    expect(down.ms).toBeLessThan(5000);
    expect(down.retryAfter).toBe('2');
    expect(down.body.error.code).toBe('unavailable');
    // while it stays down, refusals are fast and /readyz says why
    const again = await postOne();
    expect(again.status).toBe(503);
    expect(again.ms).toBeLessThan(5000);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);

    broker = await startBroker(); // same data folder: same topics, same cluster id
    const t0 = Date.now();
    let last = await postOne();
    while (last.status !== 202 && Date.now() - t0 < 60_000) {
      expect(last.status).toBe(503);
      await sleep(500);
      last = await postOne();
    }
    expect(last.status).toBe(202);
    expect(last.body.event_id).toMatch(/^[0-9a-f-]{36}$/);
    process.stderr.write(`[outage] first 503 after ${down.ms} ms; accepting again ${Date.now() - t0} ms after the broker accepted connections\n`);
    const readyAgain = await fetch(`${base}/readyz`);
    expect(readyAgain.status).toBe(200);
  }, 150_000);
});
