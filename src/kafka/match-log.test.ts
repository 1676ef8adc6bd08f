// The match log's writes over a fake kafkajs (pure logic): one send at a time, and a failed send retires its producer,
// so no later write reuses the sequence numbers kafkajs gives back after a failure (see match-log.ts; the ingest
// path's own test over kafkajs' send code is producer.sequence.test.ts).
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { startMatchLog } from './match-log.ts';

function fakeKafka(plan: { failSends?: number[]; failConnects?: number[] }) {
  const producers: { id: number; sent: string[]; disconnected: boolean }[] = [];
  let sends = 0;
  let connects = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const kafka = {
    producer() {
      const p = { id: producers.length, sent: [] as string[], disconnected: false };
      producers.push(p);
      return {
        async connect() {
          if (plan.failConnects?.includes(connects++)) throw new Error('connect refused');
        },
        async send({ messages }: { messages: { key: string }[] }) {
          const n = sends++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          if (plan.failSends?.includes(n)) throw new Error('request timed out');
          p.sent.push(messages[0]!.key);
        },
        async disconnect() {
          p.disconnected = true;
        },
      };
    },
    admin: () => ({ async connect() {}, async fetchTopicOffsets() { return []; }, async disconnect() {} }),
    consumer: () => ({
      events: { CRASH: 'crash', STOP: 'stop' },
      on() {},
      async connect() {},
      async subscribe() {},
      async run() {},
      async disconnect() {},
    }),
  } as unknown as Kafka;
  return { kafka, producers, maxInFlight: () => maxInFlight };
}

const open = (kafka: Kafka) => startMatchLog({ kafka, topic: 'matches', apply: () => {}, produceTimeoutMs: 1000 });

describe('match log writes', () => {
  it('sends one write at a time, in call order, even when called together', async () => {
    const f = fakeKafka({});
    const log = await open(f.kafka);
    await Promise.all(['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => log.write(id, null)));
    expect(f.maxInFlight()).toBe(1);
    expect(f.producers.map((p) => p.sent)).toEqual([['m1', 'm2', 'm3', 'm4', 'm5']]);
    await log.stop();
  });

  it('retires the producer of a failed write: the writes after it go through a new one', async () => {
    const f = fakeKafka({ failSends: [1] });
    const log = await open(f.kafka);
    const results = await Promise.allSettled(['m1', 'm2', 'm3', 'm4'].map((id) => log.write(id, null)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(f.producers.map((p) => [p.sent, p.disconnected])).toEqual([
      [['m1'], true],
      [['m3', 'm4'], false],
    ]);
    expect(f.maxInFlight()).toBe(1);
    await log.stop();
  });

  it('a replacement that cannot connect fails that write and is replaced again', async () => {
    const f = fakeKafka({ failSends: [0], failConnects: [1] });
    const log = await open(f.kafka);
    await expect(log.write('m1', null)).rejects.toThrow('request timed out');
    await expect(log.write('m2', null)).rejects.toThrow('connect refused');
    await log.write('m3', null);
    expect(f.producers.map((p) => p.sent)).toEqual([[], [], ['m3']]);
    await log.stop();
  });
});
