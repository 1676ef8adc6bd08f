// The main publisher against the real broker (KAFKA_BROKERS from tests/setup/global.ts): windows written after
// it started are handed over; records that are not windows are counted and skipped; two instances (own groups)
// both receive every window; a consumer restarted on its group resumes where it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { loadConfig } from '../config.ts';
import { makeWindow, type WindowRecord } from '../domain/window.ts';
import { createKafka } from './client.ts';
import { startWindowConsumer, windowGroupId, type WindowConsumer } from './window-consumer.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' });
const kafka = createKafka(config, 'window-consumer-test');
const match = `t-wc-${Math.random().toString(36).slice(2, 8)}`;
const got: WindowRecord[][] = [[], []];
const consumers: WindowConsumer[] = [];
let producer: Producer;

beforeAll(async () => {
  producer = kafka.producer();
  await producer.connect();
  for (const i of [0, 1]) {
    consumers.push(
      await startWindowConsumer({ kafka, topic: config.topics.windows, groupId: windowGroupId('test-broadcast'), onWindow: (w) => w.match_id === match && got[i]!.push(w) }),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await producer?.disconnect();
});

describe('window consumer (main publisher)', () => {
  it('hands every window to every instance, counts and skips bad records', async () => {
    expect(consumers[0]!.groupId).not.toBe(consumers[1]!.groupId);
    const w1 = makeWindow(match, 1_000_000, 2000, { '🔥': 1 }, 1000);
    const w2 = makeWindow(match, 1_002_000, 2000, { '😀': 2500 }, 1000);
    await producer.send({
      topic: config.topics.windows,
      messages: [{ key: match, value: JSON.stringify(w1) }, { key: match, value: 'not a window' }, { key: match, value: JSON.stringify({ match_id: match }) }, { key: match, value: JSON.stringify(w2) }],
    });
    const deadline = Date.now() + 20_000;
    while ((got[0]!.length < 2 || got[1]!.length < 2) && Date.now() < deadline) await sleep(50);
    expect(got[0]).toEqual([w1, w2]);
    expect(got[1]).toEqual([w1, w2]);
    for (const c of consumers) expect(c.stats.invalid).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('a record ends the fetch wait at once: with a 5 s wait (KAFKA_CONSUMER_MAX_WAIT_MS at most) a window written mid-wait arrives well before it ends', async () => {
    const waitMs = 5000;
    const arrived: number[] = [];
    const c = await startWindowConsumer({ kafka, topic: config.topics.windows, groupId: windowGroupId('test-wait'), maxWaitMs: waitMs, onWindow: (w) => w.match_id === match && w.window_start === new Date(3_000_000).toISOString() && arrived.push(Date.now()) });
    consumers.push(c);
    const lat: number[] = [];
    // each record after a quiet spell at a different point of the fetch parked at the broker
    for (const quietMs of [1500, 3500]) {
      await sleep(quietMs);
      const n = arrived.length;
      const t0 = Date.now();
      await producer.send({ topic: config.topics.windows, messages: [{ key: match, value: JSON.stringify(makeWindow(match, 3_000_000, 2000, { '🔥': 1 }, 1000)) }] });
      const deadline = t0 + 2 * waitMs;
      while (arrived.length === n && Date.now() < deadline) await sleep(10);
      lat.push(arrived[n]! - t0);
    }
    // the broker answers a parked fetch as soon as a record is appended; waiting for the wait to end would take
    // up to 5 s (the send itself and the hand-over take milliseconds; loose for a loaded machine)
    for (const ms of lat) expect(ms).toBeLessThan(1500);
  }, 60_000);

  it('a consumer restarted on its group resumes where it was: windows written while it was down arrive', async () => {
    const groupId = windowGroupId('test-resume');
    const seen: WindowRecord[] = [];
    const start = () => startWindowConsumer({ kafka, topic: config.topics.windows, groupId, onWindow: (w) => w.match_id === match && seen.push(w) });
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 20_000;
      while (seen.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    };
    const win = (i: number) => makeWindow(match, 2_000_000 + i * 2000, 2000, { '🔥': i + 1 }, 1000);
    let c = await start();
    await producer.send({ topic: config.topics.windows, messages: [{ key: match, value: JSON.stringify(win(0)) }] });
    await waitFor(1);
    await c.stop();
    // the gap: two windows while no consumer of the group runs
    await producer.send({ topic: config.topics.windows, messages: [1, 2].map((i) => ({ key: match, value: JSON.stringify(win(i)) })) });
    c = await start();
    consumers.push(c);
    await waitFor(3);
    expect(seen).toEqual([win(0), win(1), win(2)]); // the gap delivered, nothing twice
  }, 60_000);
});
