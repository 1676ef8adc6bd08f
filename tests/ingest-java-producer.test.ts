// INGEST_PRODUCER=java against the real broker: the Java KafkaProducer in the in-process JVM writes the same
// bytes, to the same partition per key, as the kafkajs sender; a send resolves only after the broker's ack and
// fails (within the produce timeout) when there is no broker; the whole HTTP path on it answers 202 for events
// that are then on the topic exactly once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig, type Config } from '../src/config.ts';
import type { OutRecord } from '../src/kafka/batcher.ts';
import { createKafka } from '../src/kafka/client.ts';
import { createJavaSender } from '../src/kafka/java-sender.ts';
import { partitionOfKey, recordValues } from '../src/kafka/packed.ts';
import { createKafkaSender, startIngest } from '../src/kafka/producer.ts';
import { createEventValidator } from '../src/domain/event.ts';
import { waitFor } from './support/wait.ts';
import { createTopicWithLeaders } from './support/topics.ts';

const RUN = `jp-${Date.now().toString(36)}`;
const BROKERS = process.env.KAFKA_BROKERS || inject('kafkaBrokers') || '127.0.0.1:9092';
const dataDir = mkdtempSync(join(tmpdir(), 'java-producer-'));
let config: Config;
let kafka: Kafka;

interface Raw {
  partition: number;
  key: string;
  value: string;
}

/** Every record of `topic`, raw, once `count` have arrived (`size`: what one record counts for). */
async function readAll(topic: string, count: number, size: (r: Raw) => number = () => 1): Promise<Raw[]> {
  let n = 0;
  const out: Raw[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const r = { partition, key: message.key!.toString('utf8'), value: message.value!.toString('utf8') };
      out.push(r);
      n += size(r);
    },
  });
  try {
    await waitFor(() => `${count} on ${topic} (${n} so far)`, () => n >= count, 60_000);
    return out;
  } finally {
    await consumer.disconnect();
  }
}

async function topic(name: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  const t = `${RUN}-${name}`;
  try {
    await createTopicWithLeaders(admin, t, 6, 1);
  } finally {
    await admin.disconnect();
  }
  return t;
}

beforeAll(() => {
  config = loadConfig({ KAFKA_BROKERS: BROKERS, DATA_DIR: dataDir, STREAMS_HEAP: '256m' });
  kafka = createKafka(config, 'java-producer-test');
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('the Java producer (INGEST_PRODUCER=java)', () => {
  it('writes the bytes kafkajs writes, to the partition kafkajs picks for each key', async () => {
    // keys and values with emojis, skin tones, ZWJ, non-Latin scripts, quotes and backslashes; and a tick
    const users = ['u-1', 'ユーザー', 'Ωmega "q"', 'back\\slash', '🔥fan', 'u-👩‍👩‍👧', ...Array.from({ length: 40 }, (_, i) => `user-${i}`)];
    const records: OutRecord[] = users.map((u, i) => ({ key: u, value: JSON.stringify({ user_id: u, emoji_type: ['🔥', '👍🏽', '❤️'][i % 3], n: i }) }));
    records.push({ key: '__tick__', value: '{"tick":1}', partition: 4 });
    const [tj, tk] = [await topic('java'), await topic('kafkajs')];
    const java = await createJavaSender(config, tj, { produceTimeoutMs: 10_000 });
    const plain = createKafkaSender(kafka, tk, { produceTimeoutMs: 10_000 });
    try {
      await java.send(records);
      await plain.send(records);
    } finally {
      await java.close();
      await plain.close();
    }
    const [viaJava, viaKafkajs] = [await readAll(tj, records.length), await readAll(tk, records.length)];
    const byKey = (rs: Raw[]) => new Map(rs.map((r) => [r.key, r]));
    const j = byKey(viaJava);
    expect(viaJava).toHaveLength(records.length);
    for (const [key, k] of byKey(viaKafkajs)) {
      expect(j.get(key), key).toEqual(k); // same key, value bytes and partition
    }
    expect(j.get('__tick__')!.partition).toBe(4);
  });

  it('fails a send when no broker answers, within the produce timeout', async () => {
    const nowhere = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', DATA_DIR: dataDir, STREAMS_HEAP: '256m' });
    const t0 = Date.now();
    const sender = await createJavaSender(nowhere, `${RUN}-nowhere`, { produceTimeoutMs: 1500 });
    await expect(sender.send([{ key: 'u', value: '{}' }])).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(10_000);
    await sender.close();
  });

  it('behind the batcher: every accepted event is on the topic once, with its key', async () => {
    const t = await topic('ingest');
    const cfg = loadConfig({ KAFKA_BROKERS: BROKERS, DATA_DIR: dataDir, STREAMS_HEAP: '256m', TOPIC_EVENTS: t, INGEST_PRODUCER: 'java', TICK_INTERVAL_MS: '0', INGEST_PACK_EVENTS: '100' });
    const ingest = await startIngest(cfg, kafka);
    const validate = createEventValidator(cfg.ingest);
    const now = Date.now();
    const events = Array.from({ length: 300 }, (_, i) => {
      const r = validate({ user_id: `u-${i % 17}`, emoji_type: '🔥', timestamp: now }, { now });
      if (!r.ok) throw new Error('invalid');
      return r.event;
    });
    try {
      // 30 requests of 10 at once: the batcher pipelines them into the producer
      await Promise.all(Array.from({ length: 30 }, (_, i) => ingest.submit(events.slice(i * 10, i * 10 + 10))));
    } finally {
      await ingest.stop();
    }
    // packed (INGEST_PACK_EVENTS): each record's events, on their users' partition, keyed by the first one
    const eventsOf = (r: Raw) => recordValues(JSON.parse(r.value)).map(({ value }) => value as { event_id: string; user_id: string });
    const seen = await readAll(t, 300, (r) => eventsOf(r).length);
    const all = seen.flatMap(eventsOf);
    expect(new Set(all.map((e) => e.event_id)).size).toBe(300);
    await new Promise((r) => setTimeout(r, 500));
    expect(all).toHaveLength(300); // nothing written twice
    expect(seen.length).toBeLessThan(300); // packed
    for (const r of seen) {
      expect(r.key).toBe(eventsOf(r)[0]!.user_id);
      for (const e of eventsOf(r)) expect(partitionOfKey(e.user_id, 6)).toBe(r.partition);
    }
  });
});
