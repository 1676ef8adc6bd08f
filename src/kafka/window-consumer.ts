// The main publisher: a kafkajs consumer of emoji-windows in the API process. EVERY API instance must see
// EVERY window (each instance serves its own viewers), so each consumer joins a consumer group of its own
// (a unique group id per instance, `windowGroupId`) and a new group starts at the end of the topic
// (fromBeginning: false): a new process serves live windows. Offsets ARE committed (after every batch), so a
// consumer of the same group that rejoins (after a broker restart) or is restarted by the supervisor (same
// group id) resumes where it was: windows written in the gap still reach the viewers and the replay history
// (the broadcast drops a window id it has seen). Bad records are counted and skipped, never crash it.
// `died` resolves when the consumer stops on its own (a crash: ./consumer-death.ts); the dead one is released.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { parseWindowRecord, type WindowRecord } from '../domain/window.ts';
import { observeConsumerLag } from '../metrics/lag.ts';
import { kafkaErrors } from '../metrics/registry.ts';
import { consumerDeath } from './consumer-death.ts';

export interface WindowConsumerStats {
  received: number;
  invalid: number;
  /** Kafka record timestamp → handed to the broadcast, last record (ms). */
  lastLagMs: number | null;
}

export interface WindowConsumer {
  readonly groupId: string;
  readonly stats: WindowConsumerStats;
  /** Resolves with the reason when the consumer stopped on its own (not through stop()): the crash's error. */
  readonly died: Promise<string>;
  stop(): Promise<void>;
}

export interface WindowConsumerOptions<T = WindowRecord> {
  kafka: Kafka;
  topic: string;
  /** The instance's group (`windowGroupId(prefix)`); a restart with the same id resumes at its offsets. */
  groupId: string;
  onWindow: (w: T, meta: { timestampMs: number; partition: number; offset: string }) => void;
  /** Record value → record, null to count as invalid and skip (default: a window; emoji-moments: parseMomentRecord). */
  parse?: (text: string) => T | null;
  /** Name of its lag series in /metrics (default main-publisher). */
  lagName?: string;
  log?: (msg: string) => void;
  /**
   * A new group starts at the records written since this time (epoch ms) instead of the end of the topic: a
   * worker that starts (or is restarted) fills its replay history from the topic, so a viewer reconnecting
   * to it with Last-Event-ID misses nothing. Used only while the group has no committed offsets.
   */
  startAtMs?: number;
  /** resolve after the first fetch round (offsets resolved), at most this long (ms). */
  readyTimeoutMs?: number;
  /** How long a fetch waits at the broker when there is nothing to read (KAFKA_CONSUMER_MAX_WAIT_MS); default 250. */
  maxWaitMs?: number;
}

/** `<prefix>-<host>-<pid>-<random>`: unique per API instance, kept across restarts of its consumer. */
export const windowGroupId = (prefix: string): string => `${prefix}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

/** Connect, join the instance's group, and resolve once the consumer is fetching (its offsets resolved). */
export async function startWindowConsumer<T = WindowRecord>(o: WindowConsumerOptions<T>): Promise<WindowConsumer> {
  const parse = o.parse ?? (parseWindowRecord as unknown as (text: string) => T | null);
  const log = o.log ?? (() => {});
  const groupId = o.groupId;
  const consumer: Consumer = o.kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    // a record ends the wait at once (minBytes 1): the idle poll rate, not a latency
    maxWaitTimeInMs: o.maxWaitMs ?? 250,
    allowAutoTopicCreation: false,
  });
  const stats: WindowConsumerStats = { received: 0, invalid: 0, lastLagMs: null };

  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const offFetch = consumer.on(consumer.events.FETCH, () => markReady());
  let stopped = false;
  consumer.on(consumer.events.CRASH, (e) => {
    kafkaErrors.inc({ component: 'publisher', kind: 'crash' });
    log(`window consumer crashed: ${String(e.payload.error)} (restart: ${e.payload.restart})`);
  });
  // a crash (or a stop not asked for) is the end of this consumer: the supervisor starts a new one
  const died = consumerDeath(consumer, {
    stoppedByUs: () => stopped,
    release: () => ((stopped = true), consumer.disconnect()),
  });
  observeConsumerLag(consumer, o.lagName ?? 'main-publisher'); // emostream_consumer_lag_records (src/metrics)

  if (o.startAtMs !== undefined) await startGroupAt(o.kafka, groupId, o.topic, o.startAtMs);
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: false });
  await consumer.run({
    autoCommit: true, // after every batch: a rejoin resumes here rather than at the end of the topic
    eachMessage: async ({ message, partition }) => {
      const text = message.value?.toString('utf8') ?? '';
      const w = parse(text);
      if (!w) {
        stats.invalid++;
        return;
      }
      stats.received++;
      const ts = Number(message.timestamp);
      stats.lastLagMs = Date.now() - ts;
      o.onWindow(w, { timestampMs: ts, partition, offset: message.offset });
    },
  });
  await Promise.race([ready, new Promise((r) => setTimeout(r, o.readyTimeoutMs ?? 15_000).unref())]);
  offFetch();
  log(`window consumer ${groupId} reading ${o.topic}`);

  return {
    groupId,
    stats,
    died,
    async stop() {
      if (stopped) return;
      stopped = true;
      await consumer.disconnect();
    },
  };
}

/** Commit `groupId`'s offsets on `topic` at the first record at or after `atMs`, if it has none yet. */
async function startGroupAt(kafka: Kafka, groupId: string, topic: string, atMs: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    if (committed.some((t) => t.partitions.some((p) => Number(p.offset) >= 0))) return;
    const partitions = await admin.fetchTopicOffsetsByTimestamp(topic, atMs);
    await admin.setOffsets({ groupId, topic, partitions });
  } finally {
    await admin.disconnect();
  }
}
