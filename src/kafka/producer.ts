// The ingest write path: validated events → idempotency cache → batcher (group commit) → producer
// (idempotent, acks = all, key = user_id) on emoji-events, plus the tick writer on the same path. With
// INGEST_PACK_EVENTS > 1 each flush packs a partition's events into records of many (src/kafka/packed.ts). The producer
// is kafkajs (below) or, with INGEST_PRODUCER=java, a Java KafkaProducer in the in-process JVM (java-sender.ts).
// `startIngest(config, kafka)` returns the handle the API and the platform use; `stop()` flushes what is
// buffered, waits for the acks and disconnects.
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import type { EmojiEvent, ValidEvent } from '../domain/event.ts';
import { newInstanceId } from '../domain/ids.ts';
import { IdempotencyConflictError, type IngestPort } from '../ports/ingest.ts';
import type { Readiness } from '../ports/readiness.ts';
import { Batcher, type BatcherStatus, type OutRecord, type SendFn } from './batcher.ts';
import { topicsPresent } from './client.ts';
import { createAdmissionClock } from './admission-clock.ts';
import { createJavaSender } from './java-sender.ts';
import { packRecords } from './packed.ts';
import { IdempotencyCache, idempotencyKey, payloadHash } from './producer.dedup.ts';
import { startTickWriter, type TickWriter } from './ticks.ts';

/** A send function over a kafkajs producer that replaces the producer after a failure. */
export interface KafkaSender {
  send: SendFn;
  /** Drop the current producer (after a failed or timed-out send); the next send connects a fresh one. */
  reset(): void;
  close(): Promise<void>;
}

export function createKafkaSender(kafka: Kafka, topic: string, o: { produceTimeoutMs: number }): KafkaSender {
  let current: { producer: Producer; ready: Promise<void> } | null = null;
  const retired = new Set<Promise<void>>();

  const open = () => {
    const producer = kafka.producer({
      idempotent: true, // kafkajs then requires acks = -1; it serializes sends per broker
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Bounded (kafkajs' idempotent default is unbounded): a producer that cannot reach the broker gives
      // up within seconds and is replaced, instead of retrying forever behind the batcher's timeout.
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const ready = producer.connect();
    ready.catch(() => {}); // observed by send()
    return { producer, ready };
  };

  const retire = (c: { producer: Producer; ready: Promise<void> }) => {
    const p = c.ready.then(() => c.producer.disconnect()).catch(() => {});
    retired.add(p);
    void p.finally(() => retired.delete(p));
  };

  return {
    async send(records: OutRecord[]) {
      const c = (current ??= open());
      await c.ready;
      await c.producer.send({
        topic,
        acks: -1,
        timeout: o.produceTimeoutMs,
        messages: records.map((r) => ({ key: r.key, value: r.value, partition: r.partition })),
      });
    },
    reset() {
      if (current) retire(current);
      current = null;
    },
    async close() {
      if (current) retire(current);
      current = null;
      await Promise.all([...retired]);
    },
  };
}

/** One record per event, key = user_id (the contract on emoji-events). */
export const eventRecord = (e: EmojiEvent): OutRecord => ({ key: e.user_id, value: JSON.stringify(e) });

/**
 * The records of events admitted at `at` (epoch ms): each stamped with the same `received_at`. The same bytes as
 * eventRecord({ ...e, received_at }) (held by producer.test.ts), without a copy of each event: received_at is
 * the last key, and an ISO date needs no JSON escaping.
 */
export const admittedRecords = (events: ValidEvent[], at: number): OutRecord[] => {
  const tail = receivedTail(at);
  if (events.length === 1) return [{ key: events[0]!.user_id, value: JSON.stringify(events[0]).slice(0, -1) + tail }];
  return events.map((e) => ({ key: e.user_id, value: JSON.stringify(e).slice(0, -1) + tail }));
};

// the tail of the last admission time: events admitted in the same millisecond share it (single events at
// thousands a second: one Date and one toISOString per millisecond instead of per event)
let lastAt = NaN;
let lastTail = '';
const receivedTail = (at: number): string => {
  if (at !== lastAt) {
    lastAt = at;
    lastTail = `,"received_at":"${new Date(at).toISOString()}"}`;
  }
  return lastTail;
};

export interface IngestService extends IngestPort {
  status(): BatcherStatus & { idempotencyKeys: number; ticksWritten: number; ticksSkipped: number };
  /** Readiness: Kafka reachable with every platform topic, and the write path not failing. */
  readiness(): Promise<Readiness[]>;
  stop(): Promise<void>;
}

export interface IngestOptions {
  /** Replace the kafkajs producer (unit tests). */
  send?: SendFn;
  /** Wraps the send function (the composition root measures batch sizes, ack latency and Kafka errors). */
  wrapSend?: (send: SendFn) => SendFn;
  /** Partitions of emoji-events for ticks; default: read from the broker, else config.topics.eventsPartitions. */
  partitions?: number;
  /** The admission clock stamping received_at on events and ticks (default: createAdmissionClock()). */
  clock?: () => number;
  /** The instance id its ticks carry (EmoStream-Instance); default: a new one. */
  instanceId?: string;
  log?: (msg: string) => void;
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });

export async function startIngest(config: Config, kafka: Kafka, opts: IngestOptions = {}): Promise<IngestService> {
  const ing = config.ingest;
  const log = opts.log ?? (() => {});
  const java = ing.producer === 'java' && !opts.send;
  const sender = opts.send
    ? null
    : java
      ? await createJavaSender(config, config.topics.events, { produceTimeoutMs: ing.produceTimeoutMs })
      : createKafkaSender(kafka, config.topics.events, { produceTimeoutMs: ing.produceTimeoutMs });
  // Packed records (INGEST_PACK_EVENTS > 1): each flush's events of one partition go in records of up to that many
  // events (src/kafka/packed.ts), after the wrapper (it counts events). Only with the partition count read from the
  // broker: a pack is one partition's events, and the wrong count would mix partitions.
  let packing = false;
  const write = opts.send ?? sender!.send;
  const packed: SendFn = (records) => write(packing ? packRecords(records, partitions, ing.packEvents) : records);
  const batcher = new Batcher({
    // the Java producer keeps five requests in flight, in order: the batcher hands it a batch every turn.
    // kafkajs: one send at a time. kafkajs 2.2.4 takes a partition's sequence numbers under its broker lock and gives
    // them back when a produce request fails, also when the broker wrote the batch (its answer lost, or another
    // partition of the request failed). A second send waiting for that lock would take the same sequence; with the
    // same record count on a partition (always, with packed records) the broker takes it for a retry of the written
    // batch, answers success and drops it: events answered 202 and never written (producer.sequence.test.ts). With
    // one send in flight only the failed request's own retry, carrying the same batches, reuses the sequence.
    pipeline: java,
    maxInFlightBatches: java ? 5 : 1,
    send: (opts.wrapSend ?? ((f: SendFn) => f))(packed),
    flushIntervalMs: ing.flushIntervalMs,
    batchMaxEvents: ing.batchMaxEvents,
    bufferMaxEvents: ing.bufferMaxEvents,
    produceTimeoutMs: ing.produceTimeoutMs,
    // a batch never spans more admission time than Spark's watermark (see batcher.ts)
    maxSpanMs: config.spark.watermarkMs,
    probeIntervalMs: Math.min(1000, ing.retryAfterS * 1000),
    onSendFailure: (err) => {
      log(`ingest: a send to Kafka failed (${err instanceof Error ? err.message : String(err)}); replacing the producer`);
      sender?.reset();
    },
  });
  const dedup = new IdempotencyCache({ ttlMs: ing.idempotencyTtlMs, maxKeys: ing.idempotencyMaxKeys });

  // Readiness and the tick partition count use one admin client, connected lazily.
  let admin: Admin | null = null;
  let adminReady: Promise<void> | null = null;
  const getAdmin = async () => {
    if (!admin) {
      admin = kafka.admin();
      adminReady = admin.connect();
      adminReady.catch(() => {});
    }
    try {
      await adminReady;
      return admin;
    } catch (err) {
      const a = admin;
      admin = null;
      void a.disconnect().catch(() => {});
      throw err;
    }
  };

  let partitions = opts.partitions ?? config.topics.eventsPartitions;
  let partitionsKnown = opts.partitions !== undefined;
  if (opts.partitions === undefined && !opts.send) {
    try {
      const a = await withTimeout(getAdmin(), 5000, 'connecting to Kafka');
      const md = await withTimeout(a.fetchTopicMetadata({ topics: [config.topics.events] }), 5000, 'reading topic metadata');
      const n = md.topics[0]?.partitions.length ?? 0;
      if (n > 0) (partitions = n), (partitionsKnown = true);
    } catch (err) {
      log(`ingest: could not read the partitions of ${config.topics.events} (${String(err)}); ticking ${partitions}`);
    }
  }
  packing = ing.packEvents > 1 && partitionsKnown;
  if (ing.packEvents > 1 && !partitionsKnown) log(`ingest: the partitions of ${config.topics.events} are not known: one record per event (INGEST_PACK_EVENTS ignored)`);

  // received_at is stamped from this clock in the same synchronous step that queues the records in the
  // batcher, so queue order (hence Kafka order per partition) is time order, for events and ticks alike.
  const clock = opts.clock ?? createAdmissionClock();
  const ticks: TickWriter = startTickWriter({
    intervalMs: ing.tickIntervalMs,
    idleIntervalMs: ing.tickIdleIntervalMs,
    // the last event's window has closed in Spark and Kafka Streams by then (window, watermark/grace, two ticks)
    quietAfterMs: config.windows.windowMs + Math.max(config.spark.watermarkMs, config.streams.graceMs) + 2 * ing.tickIntervalMs + 1000,
    // a tick at each window boundary while events come: Spark closes a window once every instance is past it
    boundaryMs: config.windows.windowMs,
    instance: opts.instanceId ?? newInstanceId(config.deployment.workerIndex),
    partitions: () => partitions,
    submit: (r, at) => batcher.submit(r, at),
    accepting: () => batcher.accepting,
    now: clock,
  });

  return {
    submit(events, clientEventIds) {
      ticks.wake();
      if (!clientEventIds || !clientEventIds.includes(true)) {
        const at = clock();
        return batcher.submit(admittedRecords(events, at), at);
      }
      // Client event_ids, per (user_id, event_id): decide every event before writing any (a conflict refuses
      // the whole request), then write the new ones and those whose earlier outcome is unknown.
      const toWrite: ValidEvent[] = [];
      const waits: Promise<void>[] = [];
      const tracked: [key: string, hash: string][] = [];
      for (let i = 0; i < events.length; i++) {
        const e = events[i]!;
        if (!clientEventIds[i]) {
          toWrite.push(e);
          continue;
        }
        const key = idempotencyKey(e);
        const hash = payloadHash(e);
        const seen = dedup.lookup(key, hash);
        if (seen.kind === 'conflict') return Promise.reject(new IdempotencyConflictError(i, e.event_id));
        if (seen.kind === 'done') continue; // acknowledged before: answer 202 again, write nothing
        if (seen.kind === 'pending') {
          waits.push(seen.ack); // in flight: wait for the same ack
          continue;
        }
        tracked.push([key, hash]); // new, or sent before with an unknown outcome: written (again)
        toWrite.push(e);
      }
      if (toWrite.length === 0) return waits.length === 0 ? Promise.resolve() : Promise.all(waits).then(() => {});
      const at = clock();
      const ack = batcher.submit(admittedRecords(toWrite, at), at);
      for (const [key, hash] of tracked) dedup.track(key, hash, ack);
      return waits.length === 0 ? ack : Promise.all([ack, ...waits]).then(() => {});
    },
    status() {
      return { ...batcher.status(), idempotencyKeys: dedup.size, ticksWritten: ticks.written, ticksSkipped: ticks.skipped };
    },
    async readiness() {
      const s = batcher.status();
      const path: Readiness = {
        name: 'ingest',
        ok: s.state === 'up',
        detail: s.state === 'up' ? `buffer ${s.queuedEvents + s.inFlightEvents}/${ing.bufferMaxEvents}` : `${s.state}: ${s.lastError ?? ''}`,
      };
      let kafkaCheck: Readiness;
      try {
        const a = await withTimeout(getAdmin(), 2000, 'connecting to Kafka');
        const ok = await withTimeout(topicsPresent(a, config), 2000, 'listing topics');
        kafkaCheck = { name: 'kafka', ok, detail: ok ? 'reachable, topics present' : 'reachable, but topics are missing' };
      } catch (err) {
        kafkaCheck = { name: 'kafka', ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
      return [kafkaCheck, path];
    },
    async stop() {
      await ticks.stop();
      await batcher.stop();
      await sender?.close();
      if (admin) await (admin as Admin).disconnect().catch(() => {});
    },
  };
}
