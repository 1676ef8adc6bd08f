// Consumer lag from committed offsets, against the real broker (tests/setup/global.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { groupLag, startLagPoller } from '../src/metrics/lag.ts';
import { registry, setLagSource } from '../src/metrics/registry.ts';

const config = loadConfig({ KAFKA_BROKERS: process.env.KAFKA_BROKERS });
const kafka = createKafka(config, 'test-lag');
const admin = kafka.admin();
const topic = config.topics.metrics;

beforeAll(async () => {
  await admin.connect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ key: 'lag-test', value: JSON.stringify({ type: 'lag-test', i }) })) });
  await producer.disconnect();
});
afterAll(() => admin.disconnect());

describe('consumer lag', () => {
  it('counts from the log start with no commits, and follows what the group commits', async () => {
    const groupId = `t-lag-${randomUUID()}`;
    const ends = await admin.fetchTopicOffsets(topic);
    const backlog = ends.reduce((a, p) => a + Number(p.high) - Number(p.low), 0);
    expect(backlog).toBeGreaterThanOrEqual(5);
    expect(await groupLag(admin, groupId, topic)).toBeGreaterThanOrEqual(backlog);

    // commit 3 records short of the end on partition 0
    const p0 = ends.find((p) => p.partition === 0)!;
    await admin.setOffsets({ groupId, topic, partitions: ends.map((p) => ({ partition: p.partition, offset: p.partition === 0 ? String(Number(p0.high) - 3) : p.high })) });
    const lag = await groupLag(admin, groupId, topic);
    expect(lag).toBeGreaterThanOrEqual(3); // ≥: other runs may write to the topic meanwhile
    expect(lag).toBeLessThan(backlog); // the commits count: far less than reading from the start

    // asked at scrape time, not on a timer: nothing is known before the first scrape
    const poller = startLagPoller({ admin, groups: [{ name: 'test-group', groupId, topic }] });
    await new Promise((r) => setTimeout(r, 300));
    expect(poller.latest()['test-group']).toBeUndefined();
    setLagSource(() => poller.pollOnce());
    try {
      expect(await registry.metrics()).toMatch(/^emostream_consumer_lag_records\{consumer="test-group"\} \d+$/m);
      expect(poller.latest()['test-group']).toBeGreaterThanOrEqual(3);
    } finally {
      setLagSource(null);
      poller.stop();
    }
    await admin.deleteGroups([groupId]).catch(() => {});
  });
});

describe('lag poller (on demand)', () => {
  // a fake admin: counts the questions, answers when told
  const fakeAdmin = () => {
    const calls = { n: 0 };
    let answer: () => void = () => {};
    const gate = { open: true };
    const admin = {
      fetchTopicOffsets: async () => {
        calls.n++;
        if (!gate.open) await new Promise<void>((r) => (answer = r));
        return [{ partition: 0, offset: '10', high: '10', low: '0' }];
      },
      fetchOffsets: async () => [{ topic: 'x', partitions: [{ partition: 0, offset: '4', metadata: null }] }],
    };
    return { admin: admin as unknown as Parameters<typeof startLagPoller>[0]['admin'], calls, gate, release: () => answer() };
  };

  it('reuses an answer younger than freshMs, asks again after it', async () => {
    let t = 0;
    const f = fakeAdmin();
    const poller = startLagPoller({ admin: f.admin, groups: [{ name: 'g', groupId: 'g', topic: 'x' }], freshMs: 1000, now: () => t });
    await poller.pollOnce();
    expect(poller.latest()).toEqual({ g: 6 });
    t = 999;
    await poller.pollOnce();
    expect(f.calls.n).toBe(1);
    t = 1000;
    await poller.pollOnce();
    expect(f.calls.n).toBe(2);
    poller.stop();
    t = 5000;
    await poller.pollOnce();
    expect(f.calls.n).toBe(2); // stopped: never asks again
  });

  it('a scrape waits at most waitMs for a broker that does not answer, and a second scrape joins the poll in flight', async () => {
    const f = fakeAdmin();
    f.gate.open = false;
    const poller = startLagPoller({ admin: f.admin, groups: [{ name: 'g', groupId: 'g', topic: 'x' }], waitMs: 100 });
    const t0 = Date.now();
    await poller.pollOnce();
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(poller.latest()).toEqual({});
    await poller.pollOnce();
    expect(f.calls.n).toBe(1);
    f.release();
    await new Promise((r) => setTimeout(r, 20));
    expect(poller.latest()).toEqual({ g: 6 });
    poller.stop();
  });
});
