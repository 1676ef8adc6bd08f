// Consumer lag of groups that commit offsets (Kafka Streams commits within its transactions), asked of the
// broker with the admin client: lag = Σ over partitions (end offset − committed offset). The main publisher
// commits nothing (a group of its own per instance, see src/kafka/window-consumer.ts); its lag is reported by
// the consumer itself from kafkajs' END_BATCH_PROCESS event (`observeConsumerLag`).
// The poller asks when someone looks (a scrape of /metrics: `setLagSource(() => lag.pollOnce())`), not on a
// timer: at rest a timer was two admin requests every 2 s for a gauge nobody read. Scrapes closer together than
// freshMs share one answer, and a scrape waits at most waitMs (a broker that does not answer leaves the last
// values in place). Start/stop handle: `const lag = startLagPoller({ admin, groups: [...] })`, `lag.stop()`.
import type { Admin, Consumer } from 'kafkajs';
import { consumerLag, kafkaErrors } from './registry.ts';

export interface LaggedGroup {
  /** label value of emostream_consumer_lag_records{consumer} */
  name: string;
  groupId: string;
  topic: string;
}

/** Lag of one group on one topic; partitions without a committed offset count from the log start. */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const done = new Map<number, bigint>();
  for (const t of committed) for (const p of t.partitions) done.set(p.partition, BigInt(p.offset));
  let lag = 0n;
  for (const p of ends) {
    const high = BigInt(p.high);
    const low = BigInt(p.low);
    const c = done.get(p.partition) ?? -1n;
    const from = c < 0n ? low : c; // -1: nothing committed yet
    if (high > from) lag += high - from;
  }
  return Number(lag);
}

export interface LagPoller {
  /** Latest lag by name (undefined before the first poll). */
  latest(): Record<string, number>;
  /** Ask the broker (or reuse an answer younger than freshMs); resolves within waitMs either way. */
  pollOnce(): Promise<void>;
  stop(): void;
}

export function startLagPoller(o: {
  admin: Admin;
  groups: LaggedGroup[];
  /** also poll on a timer this often (default: only when asked) */
  intervalMs?: number;
  /** an answer this young is reused (default 1,000 ms) */
  freshMs?: number;
  /** a caller waits at most this long for the broker (default 2,000 ms) */
  waitMs?: number;
  now?: () => number;
}): LagPoller {
  const now = o.now ?? Date.now;
  const freshMs = o.freshMs ?? 1000;
  const waitMs = o.waitMs ?? 2000;
  const latest: Record<string, number> = {};
  let inflight: Promise<void> | null = null;
  let answeredAt = -Infinity;
  let stopped = false;
  const poll = async () => {
    for (const g of o.groups) {
      try {
        const lag = await groupLag(o.admin, g.groupId, g.topic);
        latest[g.name] = lag;
        consumerLag.set({ consumer: g.name }, lag);
      } catch {
        kafkaErrors.inc({ component: 'lag', kind: 'fetch_offsets' });
      }
    }
    answeredAt = now();
  };
  // one poll at a time: a caller arriving during a poll waits for it
  const pollOnce = (): Promise<void> => {
    if (stopped || o.groups.length === 0 || now() - answeredAt < freshMs) return Promise.resolve();
    const p = (inflight ??= poll().finally(() => (inflight = null)));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs).unref()));
    return Promise.race([p, late]).finally(() => clearTimeout(timer));
  };
  const timer = o.intervalMs ? setInterval(() => void pollOnce(), o.intervalMs).unref() : null;
  return {
    latest: () => ({ ...latest }),
    pollOnce,
    stop: () => {
      stopped = true;
      if (timer) clearInterval(timer);
    },
  };
}

/** Report a consumer's own lag (records behind the high watermark, summed over its partitions). */
export function observeConsumerLag(consumer: Consumer, name: string): () => void {
  const perPartition = new Map<string, number>();
  return consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const p = e.payload as { topic: string; partition: number; offsetLag: string | number };
    perPartition.set(`${p.topic}/${p.partition}`, Number(p.offsetLag) || 0);
    let sum = 0;
    for (const v of perPartition.values()) sum += v;
    consumerLag.set({ consumer: name }, sum);
  });
}
