// The ingest path over kafkajs 2.2.4's own idempotent send code (src/producer/sendMessages.js and its eosManager:
// the broker lock, the sequence numbers, the retries) against a fake broker that keeps Kafka's rule for an idempotent
// producer: a batch whose (producer, partition, first sequence, last sequence) equals one of the last five written is
// a duplicate, answered with success and not written again; any other gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
//
// kafkajs takes a partition's sequence inside the broker lock and gives it back when the produce request fails, even
// when the broker wrote the batch (its answer was lost, or one partition failed and the others were written). A send
// that waits for the lock then takes the same sequence: with the same number of records on a partition (packed
// records: one a partition a flush) the broker takes it for a retry of the written batch, answers success and drops
// it. Those events were answered 202 and are on no partition. One kafkajs send in flight at a time (startIngest's
// batcher for kafkajs) leaves a failed request's sequence to its own retry, which carries the same batches.
import { createRequire } from 'node:module';
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import type { OutRecord, SendFn } from './batcher.ts';
import { partitionOfKey, recordValues } from './packed.ts';
import { startIngest } from './producer.ts';

const require = createRequire(import.meta.url);
const createSendMessages = require('kafkajs/src/producer/sendMessages.js') as (o: object) => (a: object) => Promise<unknown>;
const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as (o: object) => {
  initProducerId(): Promise<void>;
};
const createRetry = require('kafkajs/src/retry/index.js') as (o: object) => unknown;
const createPartitioner = require('kafkajs/src/producer/partitioners/default/index.js') as () => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as { createErrorFromCode(code: number): Error };
const { KafkaJSRequestTimeoutError } = require('kafkajs/src/errors.js') as { KafkaJSRequestTimeoutError: new (m: string) => Error };

const TOPIC = 'emoji-events';
const PARTITIONS = 6;
const NOT_LEADER_OR_FOLLOWER = 6;
const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;

type Fault = 'answer-lost' | 'one-partition-fails';

/** A one-node cluster whose broker keeps Kafka's idempotent-producer rule; `fault` hits the first produce request. */
function fakeKafka(fault: Fault, gate: Promise<void>) {
  const log = new Map<number, string[]>(); // partition → record values, in append order
  const state = new Map<string, { next: number; recent: [number, number][] }>(); // `${producerId}/${partition}`
  let produced = 0;
  const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace: () => logger };
  const broker = {
    nodeId: 0,
    async initProducerId() {
      return { producerId: 1, producerEpoch: 0 };
    },
    async produce({ producerId, topicData }: { producerId: number; topicData: { topic: string; partitions: { partition: string; firstSequence: number; messages: { value: string }[] }[] }[] }) {
      const first = produced++ === 0;
      if (first) await gate; // hold the first request until the batcher had the chance to hand over another send
      const failing = first && fault === 'one-partition-fails' ? Number(topicData[0]!.partitions.at(-1)!.partition) : -1;
      const partitions = [];
      for (const t of topicData) {
        for (const p of t.partitions) {
          const partition = Number(p.partition);
          if (partition === failing) continue; // not written: its leader moved
          const s = state.get(`${producerId}/${partition}`) ?? { next: 0, recent: [] };
          state.set(`${producerId}/${partition}`, s);
          const last = p.firstSequence + p.messages.length - 1;
          if (s.recent.some(([a, b]) => a === p.firstSequence && b === last)) {
            partitions.push({ partition, errorCode: 0, baseOffset: '0' }); // a duplicate: success, not written
            continue;
          }
          if (p.firstSequence !== s.next) throw createErrorFromCode(OUT_OF_ORDER_SEQUENCE_NUMBER);
          const values = log.get(partition) ?? [];
          log.set(partition, values);
          values.push(...p.messages.map((m) => m.value));
          s.next = last + 1;
          s.recent = [...s.recent, [p.firstSequence, last] as [number, number]].slice(-5);
          partitions.push({ partition, errorCode: 0, baseOffset: String(values.length - p.messages.length) });
        }
      }
      if (failing >= 0) throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
      if (first && fault === 'answer-lost') throw new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 3) timed out');
      return { topics: [{ topicName: TOPIC, partitions }] };
    },
  };
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 0, replicas: [0], isr: [0] }));
  const cluster = {
    retry: { retries: 1 },
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {},
    async addMultipleTargetTopics() {},
    findTopicPartitionMetadata: () => partitionMetadata,
    findLeaderForPartitions: (_t: string, partitions: string[]) => ({ 0: partitions }),
    findBroker: async () => broker,
    findControllerBroker: async () => broker,
    isConnected: () => true,
    removeBroker() {},
  };
  const eosManager = createEosManager({ logger, cluster, transactional: false });
  // as createKafkaSender's producer: idempotent, acks = -1, retries 5 from 100 ms
  const sendMessages = createSendMessages({
    logger,
    cluster,
    partitioner: createPartitioner(),
    eosManager,
    retrier: createRetry({ retries: 5, initialRetryTime: 100, maxRetryTime: 1000 }),
  });
  const send: SendFn = async (records) => {
    await sendMessages({ acks: -1, timeout: 4000, topicMessages: [{ topic: TOPIC, messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })) }] });
  };
  return { log, send, init: () => eosManager.initProducerId() };
}

const ev = (id: string, user: string): ValidEvent => ({ event_id: id, user_id: user, emoji_type: '🔥', timestamp: '2026-12-01T06:00:00.000Z', match_id: 'm' });
const USERS = Array.from({ length: 12 }, (_, i) => `u-${i}`);

describe.each([
  ['the broker wrote the request, its answer was lost (request timed out)', 'answer-lost' as const],
  ['one partition failed, the others were written (NOT_LEADER_OR_FOLLOWER)', 'one-partition-fails' as const],
])('startIngest over kafkajs 2.2.4 sequences: %s', (_what, fault) => {
  it.each([1, 100])('every 202 is on its partition, in admission order (INGEST_PACK_EVENTS=%i)', async (pack) => {
    let handedOver = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    setTimeout(open, 300); // with one send in flight the second comes after the first's answer: do not wait for it
    const k = fakeKafka(fault, gate);
    await k.init();
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', TICK_INTERVAL_MS: '0', FLUSH_INTERVAL_MS: '10', PRODUCE_TIMEOUT_MS: '5000', INGEST_PACK_EVENTS: String(pack) });
    const ingest = await startIngest(config, {} as Kafka, {
      partitions: PARTITIONS,
      send: (records: OutRecord[]) => {
        if (++handedOver === 2) open();
        return k.send(records);
      },
    });
    try {
      // two requests of the same users: the same partitions, the same number of records on each (one per user
      // without packing, one pack per partition with it)
      const first = ingest.submit(USERS.map((u) => ev(`a-${u}`, u)));
      await new Promise((r) => setTimeout(r, 20));
      const second = ingest.submit(USERS.map((u) => ev(`b-${u}`, u)));
      await Promise.all([first, second]); // both answered 202
      const written = new Map<number, string[]>();
      for (const [partition, values] of k.log) {
        written.set(partition, values.flatMap((v) => recordValues(JSON.parse(v)).map((e) => (e.value as ValidEvent).event_id)));
      }
      for (let p = 0; p < PARTITIONS; p++) {
        const want = [...USERS.filter((u) => partitionOfKey(u, PARTITIONS) === p).map((u) => `a-${u}`), ...USERS.filter((u) => partitionOfKey(u, PARTITIONS) === p).map((u) => `b-${u}`)];
        // each acknowledged event on its partition, the first request's before the second's (a retry of the first
        // may write some of its events again: readers keep the first occurrence)
        expect([...new Set(written.get(p) ?? [])], `partition ${p}`).toEqual(want);
      }
    } finally {
      await ingest.stop();
    }
  });
});
