// Helpers for the Spark job's integration test and latency measurement (tests/spark.test.ts,
// bench/components/spark-latency.ts): events and ticks written straight to emoji-events in the event contract,
// and a reader of emoji-windows that notes when each record arrived.
import type { Consumer, Kafka, Producer } from 'kafkajs';
import { parseWindowRecord, type WindowRecord } from '../../src/domain/window.ts';
import { startTickWriter, type TickWriter } from '../../src/kafka/ticks.ts';

let seq = 0;

/** One event as the API writes it to emoji-events (key = user_id); a retry repeats user_id and event_id. */
export function eventMessage(matchId: string, emoji: string, receivedAtMs: number, userId = `u-${seq % 1000}`, eventId?: string) {
  seq++;
  const value = JSON.stringify({
    event_id: eventId ?? `e-${process.pid}-${seq}`,
    user_id: userId,
    emoji_type: emoji,
    timestamp: new Date(receivedAtMs - 20).toISOString(),
    match_id: matchId,
    received_at: new Date(receivedAtMs).toISOString(),
  });
  return { key: userId, value };
}

export interface DirectWriter {
  /** Idempotent producer on `topic` (acks = all), for events. */
  producer: Producer;
  partitions: number;
  ticks: TickWriter;
  /** Stop the ticks, then disconnect the producer. */
  stop(): Promise<void>;
}

/** Write to emoji-events as the API does: an idempotent producer, plus ticks to each of its partitions. */
export async function startDirectWriter(kafka: Kafka, topic: string, intervalMs = 250): Promise<DirectWriter> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect());
  const partitions = meta.topics[0]!.partitions.length;
  const ticks = startDirectTicks(producer, topic, partitions, intervalMs);
  return { producer, partitions, ticks, stop: () => ticks.stop().then(() => producer.disconnect()) };
}

/** Ticks to every partition every `intervalMs`, as the API writes them. */
export function startDirectTicks(producer: Producer, topic: string, partitions: number, intervalMs = 250): TickWriter {
  return startTickWriter({
    intervalMs,
    partitions: () => partitions,
    accepting: () => true,
    submit: async (records) => {
      await producer.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })) });
    },
  });
}

export interface ArrivedWindow {
  record: WindowRecord;
  arrivedAt: number;
  /** arrivedAt − window_end, ms */
  lagMs: number;
}

export interface WindowReader {
  readonly arrived: ArrivedWindow[];
  /** Resolves with the first arrived window matching `pred`, or rejects after `timeoutMs`. */
  waitFor(pred: (w: WindowRecord) => boolean, timeoutMs: number): Promise<ArrivedWindow>;
  stop(): Promise<void>;
}

/** Read emoji-windows from the latest offset (a fresh group), keeping records whose match_id passes `keep`. */
export async function readWindows(kafka: Kafka, topic: string, groupId: string, keep: (matchId: string) => boolean): Promise<WindowReader> {
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, sessionTimeout: 10_000 });
  const arrived: ArrivedWindow[] = [];
  const waiters = new Set<() => void>();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let fetched!: () => void;
  const firstFetch = new Promise<void>((r) => (fetched = r));
  const off = consumer.on(consumer.events.FETCH, () => fetched());
  await consumer.run({
    eachMessage: async ({ message }) => {
      const arrivedAt = Date.now();
      const w = message.value ? parseWindowRecord(message.value.toString('utf8')) : null;
      if (!w || !keep(w.match_id)) return;
      arrived.push({ record: w, arrivedAt, lagMs: arrivedAt - Date.parse(w.window_end) });
      for (const fn of waiters) fn();
    },
  });
  await firstFetch; // positions are resolved: nothing written from now on is missed
  off();
  return {
    arrived,
    waitFor(pred, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = arrived.find((a) => pred(a.record));
          if (!hit) return false;
          waiters.delete(onArrive);
          clearTimeout(timer);
          resolve(hit);
          return true;
        };
        const onArrive = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(onArrive);
          reject(new Error(`no matching window within ${timeoutMs} ms (${arrived.length} arrived)`));
        }, timeoutMs);
        waiters.add(onArrive);
        check();
      });
    },
    stop: () => consumer.disconnect(),
  };
}
