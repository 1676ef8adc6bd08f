// The main publisher: a kafkajs consumer of emoji-windows in the API process. EVERY API instance must see
// EVERY window (each instance serves its own viewers), so each consumer joins a consumer group of its own
// (a unique group id per instance) and starts at the end of the topic (fromBeginning: false). No offsets
// are committed: an instance that restarts serves live windows, and its viewers' Last-Event-ID replay is
// served from the cluster history. Bad records are counted and skipped, never crash the consumer.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { parseWindowRecord, type WindowRecord } from '../domain/window.ts';
import { observeConsumerLag } from '../metrics/lag.ts';
import { kafkaErrors } from '../metrics/registry.ts';

export interface WindowConsumerStats {
  received: number;
  invalid: number;
  /** Kafka record timestamp → handed to the broadcast, last record (ms). */
  lastLagMs: number | null;
}

export interface WindowConsumer {
  readonly groupId: string;
  readonly stats: WindowConsumerStats;
  stop(): Promise<void>;
}

export interface WindowConsumerOptions<T = WindowRecord> {
  kafka: Kafka;
  topic: string;
  /** group id = `<groupPrefix>-<host>-<pid>-<random>`: unique per instance. */
  groupPrefix: string;
  onWindow: (w: T, meta: { timestampMs: number; partition: number; offset: string }) => void;
  /** Record value → record, null to count as invalid and skip (default: a window; emoji-moments: parseMomentRecord). */
  parse?: (text: string) => T | null;
  /** Name of its lag series in /metrics (default main-publisher). */
  lagName?: string;
  log?: (msg: string) => void;
  /** resolve after the first fetch round (offsets resolved), at most this long (ms). */
  readyTimeoutMs?: number;
}

/** Connect, join a group of its own, and resolve once the consumer is fetching from the end of the topic. */
export async function startWindowConsumer<T = WindowRecord>(o: WindowConsumerOptions<T>): Promise<WindowConsumer> {
  const parse = o.parse ?? (parseWindowRecord as unknown as (text: string) => T | null);
  const log = o.log ?? (() => {});
  const groupId = `${o.groupPrefix}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const consumer: Consumer = o.kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
  });
  const stats: WindowConsumerStats = { received: 0, invalid: 0, lastLagMs: null };

  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const offFetch = consumer.on(consumer.events.FETCH, () => markReady());
  consumer.on(consumer.events.CRASH, (e) => {
    kafkaErrors.inc({ component: 'publisher', kind: 'crash' });
    log(`window consumer crashed: ${String(e.payload.error)} (restart: ${e.payload.restart})`);
  });
  observeConsumerLag(consumer, o.lagName ?? 'main-publisher'); // emostream_consumer_lag_records (src/metrics)

  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
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

  let stopped = false;
  return {
    groupId,
    stats,
    async stop() {
      if (stopped) return;
      stopped = true;
      await consumer.disconnect();
    },
  };
}
