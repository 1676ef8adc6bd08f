// Consumer lag from committed offsets, against the real broker (tests/setup/global.ts).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { groupLag, startLagPoller } from '../src/metrics/lag.ts';
import { registry } from '../src/metrics/registry.ts';

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

    const poller = startLagPoller({ admin, groups: [{ name: 'test-group', groupId, topic }], intervalMs: 60_000 });
    await poller.pollOnce();
    poller.stop();
    expect(poller.latest()['test-group']).toBeGreaterThanOrEqual(3);
    expect(await registry.metrics()).toMatch(/^emostream_consumer_lag_records\{consumer="test-group"\} \d+$/m);
    await admin.deleteGroups([groupId]).catch(() => {});
  });
});
