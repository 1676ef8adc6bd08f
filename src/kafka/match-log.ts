// The match lifecycle log on Kafka: TOPIC_MATCHES, compacted, key match_id, value a MatchRecord (JSON) or a
// tombstone (null: forgotten). Every API instance reads the WHOLE topic (a consumer group of its own, from
// the beginning, no committed offsets) into its registry, and keeps following it, so a match opened or closed
// through any instance reaches every instance, and registrations survive restarts. `startMatchLog` resolves
// once the instance has read up to where the topic ended when it started (registered mode must not answer
// 404 for a match merely not read yet).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kafka } from 'kafkajs';
import { parseMatchRecord, type MatchRecord } from '../matches/registry.ts';
import type { MatchLogWriter } from '../matches/service.ts';
import { consumerDeath } from './consumer-death.ts';

export interface MatchLog extends MatchLogWriter {
  /** Records read that were not lifecycle records (skipped). */
  readonly invalid: () => number;
  /** Resolves (with why) when the consumer stops on its own (a crash: ./consumer-death.ts); the dead one is released. */
  readonly died: Promise<string>;
  stop(): Promise<void>;
}

export async function startMatchLog(o: {
  kafka: Kafka;
  topic: string;
  apply: (matchId: string, record: MatchRecord | null) => void;
  produceTimeoutMs: number;
  catchUpTimeoutMs?: number;
  /** How long a fetch waits at the broker when there is nothing to read (KAFKA_CONSUMER_MAX_WAIT_MS); default 250. */
  maxWaitMs?: number;
  log?: (msg: string) => void;
}): Promise<MatchLog> {
  const log = o.log ?? (() => {});
  // Writes go one at a time, and a failed one retires its producer. kafkajs 2.2.4 gives a failed request's sequence
  // numbers back even when the broker wrote it; a later send on the same producer would take them, and with the
  // same record count (one: always here) the broker takes it for a duplicate, answers success and drops it. A
  // fresh producer has a producer id of its own (the same hazard, and fix, as the ingest path: producer.ts).
  const newProducer = () => o.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  let producer = newProducer();
  await producer.connect();
  let fresh: Promise<void> | null = null; // the replacement's connect, after a failed write
  let writes: Promise<unknown> = Promise.resolve();

  // where the topic ends now: the registry is complete once every partition was read up to there
  const admin = o.kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(o.topic);
  await admin.disconnect();
  const pending = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
  let caughtUp!: () => void;
  const done = new Promise<void>((r) => (caughtUp = r));
  if (pending.size === 0) caughtUp();

  let invalid = 0;
  const consumer = o.kafka.consumer({ groupId: `emostream-matches-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: o.maxWaitMs ?? 250, allowAutoTopicCreation: false });
  let stopped = false;
  consumer.on(consumer.events.CRASH, (e) => log(`match log consumer crashed: ${String(e.payload.error)} (restart: ${e.payload.restart})`));
  // a crash (or a stop not asked for) is the end of this instance: the supervisor starts a new one
  const died = consumerDeath(consumer, {
    stoppedByUs: () => stopped,
    release: async () => {
      stopped = true;
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    },
  });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false, // every start reads the whole (compacted) topic again
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString('utf8');
      if (key) {
        if (message.value === null) o.apply(key, null);
        else {
          const r = parseMatchRecord(message.value.toString('utf8'));
          if (r && r.match_id === key) o.apply(key, r);
          else invalid++;
        }
      } else invalid++;
      const end = pending.get(partition);
      if (end !== undefined && BigInt(message.offset) + 1n >= end) {
        pending.delete(partition);
        if (pending.size === 0) caughtUp();
      }
    },
  });
  const timeoutMs = o.catchUpTimeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs))),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    stopped = true;
    await consumer.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
    throw new Error(`the match log ${o.topic} was not read to its end within ${timeoutMs} ms`);
  }
  log(`match log ${o.topic} read to its end`);

  return {
    invalid: () => invalid,
    died,
    write(matchId, record) {
      const send = async () => {
        try {
          if (fresh) await fresh;
          await producer.send({
            topic: o.topic,
            acks: -1,
            timeout: o.produceTimeoutMs,
            messages: [{ key: matchId, value: record === null ? null : JSON.stringify(record) }],
          });
        } catch (err) {
          const failed = producer;
          void failed.disconnect().catch(() => {});
          producer = newProducer();
          fresh = producer.connect();
          fresh.catch(() => {}); // observed by the next write
          throw err;
        }
      };
      const done = writes.then(send, send);
      writes = done.catch(() => {});
      return done;
    },
    async stop() {
      stopped = true;
      await writes;
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    },
  };
}
