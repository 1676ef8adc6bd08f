// What the platform counted for a match: Kafka Streams' exact totals (GET /v1/counts) and the sum of Spark's
// window records on emoji-windows, read by a consumer of our own from the beginning of the topic. Spark's
// Kafka sink is at-least-once: a window id seen twice is kept once (a repeat with other counts is noted).
// The collector is a consumer group member like any other: a broker frozen longer than its session (or a kafkajs
// consumer that does not rejoin) would leave it behind while Spark keeps writing, and the suite would report
// Spark's windows as lost. So its session outlasts the fault suite's freezes, and `reread()` reads the topic again
// from the beginning in a fresh group (window ids are kept once, so a re-read changes nothing that was seen).
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { idOfRecord, parseWindowRecord } from '../../src/domain/window.ts';
import { recordValues } from '../../src/kafka/packed.ts';
import type { Counts } from './check.ts';

export interface WindowCollector {
  /** Sum of the counts of every distinct window of the match, per emoji. */
  sparkCounts(match: string): Counts;
  windows(match: string): number;
  /** Window ids written more than once with different counts. */
  conflicts(match: string): number;
  /** Events Spark counted as late (the `late` field of the match's distinct windows). */
  late(match: string): number;
  /** Read the topic again from the beginning in a fresh consumer group. */
  reread(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWindowCollector(brokers: string, topic = 'emoji-windows'): Promise<WindowCollector> {
  const byMatch = new Map<string, Map<string, string>>();
  const conflicts = new Map<string, number>();
  const lateById = new Map<string, Map<string, number>>();
  const kafka = new Kafka({ clientId: 'faults-collector', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 20, maxRetryTime: 5000 } });
  let consumer: Consumer | null = null;
  let stopped = false;
  const newGroup = () => `faults-collector-${process.pid}-${Date.now().toString(36)}`;
  let groupId = newGroup();
  const start = async () => {
    // a session longer than the longest freeze of the fault suite (10 s)
    const c = kafka.consumer({ groupId, maxWaitTimeInMs: 250, sessionTimeout: 30_000, heartbeatInterval: 3000 });
    consumer = c;
    c.on(c.events.CRASH, (e) => {
      if (e.payload.restart || stopped || consumer !== c) return;
      void c.disconnect().catch(() => {}).then(async () => {
        if (!stopped) await start().catch(() => {});
      });
    });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        const text = message.value?.toString('utf8') ?? '';
        const w = parseWindowRecord(text);
        if (!w) return;
        const m = byMatch.get(w.match_id) ?? new Map<string, string>();
        byMatch.set(w.match_id, m);
        const id = idOfRecord(w);
        const key = JSON.stringify(Object.entries(w.counts).sort());
        const prev = m.get(id);
        if (prev !== undefined && prev !== key) conflicts.set(w.match_id, (conflicts.get(w.match_id) ?? 0) + 1);
        m.set(id, key);
        const l = lateById.get(w.match_id) ?? new Map<string, number>();
        lateById.set(w.match_id, l);
        l.set(id, w.late ?? 0);
      },
    });
  };
  await start();
  return {
    sparkCounts(match) {
      const out: Counts = {};
      for (const key of byMatch.get(match)?.values() ?? []) {
        for (const [emoji, n] of JSON.parse(key) as [string, number][]) out[emoji] = (out[emoji] ?? 0) + n;
      }
      return out;
    },
    windows: (match) => byMatch.get(match)?.size ?? 0,
    conflicts: (match) => conflicts.get(match) ?? 0,
    late: (match) => [...(lateById.get(match)?.values() ?? [])].reduce((a, b) => a + b, 0),
    async reread() {
      const old = consumer;
      consumer = null;
      await old?.disconnect().catch(() => {});
      if (stopped) return;
      groupId = newGroup();
      await start();
    },
    async stop() {
      stopped = true;
      await consumer?.disconnect().catch(() => {});
    },
  };
}

/** Kafka Streams' exact totals of the match, or null when the API does not answer 200. */
export async function exactCounts(url: string, match: string): Promise<Counts | null> {
  try {
    const res = await fetch(`${url}/v1/counts?match=${encodeURIComponent(match)}`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return null;
    return ((await res.json()) as { totals: Counts }).totals;
  } catch {
    return null;
  }
}

/**
 * The event_ids of `match` on emoji-events (packed records read as their events), read from the beginning to the
 * end the topic has now, in a consumer group of its own. The suite reads it only when a 202 is missing from the
 * counts: an id missing here never reached the topic; one found here was dropped by the readers.
 */
export async function eventIdsOnTopic(brokers: string, match: string, topic = 'emoji-events', timeoutMs = 60_000): Promise<Set<string>> {
  const kafka = new Kafka({ clientId: 'faults-topic-check', brokers: [brokers], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  await admin.disconnect();
  const ids = new Set<string>();
  const pending = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  const consumer = kafka.consumer({ groupId: `faults-topic-check-${process.pid}-${Date.now().toString(36)}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    if (pending.size === 0) done();
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        let value: unknown;
        try {
          value = JSON.parse(message.value?.toString('utf8') ?? '');
        } catch {
          value = null;
        }
        for (const { value: v } of recordValues(value)) {
          const e = v as { match_id?: unknown; event_id?: unknown } | null;
          if (e && e.match_id === match && typeof e.event_id === 'string') ids.add(e.event_id);
        }
        if (Number(message.offset) + 1 >= (ends.get(partition) ?? 0) && pending.delete(partition) && pending.size === 0) done();
      },
    });
    await Promise.race([finished, new Promise((_, rej) => setTimeout(() => rej(new Error(`${topic} not read to its end within ${timeoutMs} ms`)), timeoutMs).unref())]);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return ids;
}
