// The ingest send function over a Java KafkaProducer in the JVM this process hosts (java-bridge; the same JVM
// and classpath as Kafka Streams, started here when Kafka Streams is off): io.emostream.ingest.EventProducer.
// Same contract as the kafkajs sender (src/kafka/producer.ts): idempotent, acks=all, key = user_id (the same
// murmur2 partitioner), a send resolves once the broker acknowledged every record of it. What differs: the
// Java producer keeps up to five requests in flight per broker (kafkajs: one, for an idempotent producer)
// and encodes records on its own thread, off the event loop.
// One sync bridge call per batch (`send`, `partition TAB key TAB value LF` lines as a Latin-1 string); while
// batches are pending, a 1 ms timer collects the settled ones (`takeSettled`, one cheap sync call). Nothing
// calls back from Java into JavaScript, and only open/close are async bridge calls (those leak ~270 B each).
import type { Config } from '../config.ts';
import { bootstrapServers } from '../config.ts';
import { ensureStreamsJvm } from '../streams/bridge.ts';
import type { OutRecord } from './batcher.ts';
import type { KafkaSender } from './producer.ts';

interface JavaEventProducer {
  sendSync(id: number, latin1Lines: string): void;
  takeSettledSync(): string;
  statsSync(): string;
  awaitMetadata(timeoutMs: number): Promise<number>;
  close(timeoutMs: number): Promise<void>;
}

export interface JavaSenderOptions {
  produceTimeoutMs: number;
  /** Producer buffer in bytes (records waiting for the broker); the batcher's bufferMaxEvents bounds what it holds. */
  bufferBytes?: number;
  /** More KafkaProducer settings (`key=value`), for measurements (bench/components/producers.ts). */
  extra?: Record<string, string>;
  clientId?: string;
}

export interface JavaSenderStats {
  records: number;
  batches: number;
  meanSettleMs: number;
}

export class JavaProducerError extends Error {
  override readonly name = 'JavaProducerError';
}

/**
 * The batch as the Java side reads it: partition (-1: by key), key and value, TAB-separated, one per line, in
 * UTF-8, handed over as a Latin-1 string (one char per byte): java-bridge mangles emojis in strings and copies
 * a Buffer into a byte[] element by element; a string of chars 0-255 crosses fast and exactly.
 */
export function encodeLines(records: OutRecord[]): string {
  let s = '';
  for (const r of records) s += `${r.partition ?? -1}\t${r.key}\t${r.value}\n`;
  return Buffer.from(s, 'utf8').toString('latin1');
}

interface Live {
  p: JavaEventProducer;
  /** The topic's metadata is known (a send then never blocks on it). */
  ready: Promise<void>;
  isReady: boolean;
}

export async function createJavaSender(config: Config, topic: string, o: JavaSenderOptions): Promise<KafkaSender & { stats(): JavaSenderStats | null }> {
  if (config.kafka.security.protocol !== 'PLAINTEXT') {
    throw new JavaProducerError(`INGEST_PRODUCER=java speaks PLAINTEXT only for now (KAFKA_SECURITY_PROTOCOL is ${config.kafka.security.protocol}): use INGEST_PRODUCER=kafkajs`);
  }
  const java = await ensureStreamsJvm({ heap: config.streams.heap, dataDir: config.dataDir, verbose: config.logLevel === 'debug' });
  const Producer = java.importClass('io.emostream.ingest.EventProducer') as unknown as new (...args: unknown[]) => JavaEventProducer;
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  let nextId = 1;
  /** Producers whose settled batches are collected (a retired one until it has closed: its failures settle its batches). */
  const polled = new Set<JavaEventProducer>();

  const settle = (lines: string) => {
    let i = 0;
    while (i < lines.length) {
      let end = lines.indexOf('\n', i);
      if (end < 0) end = lines.length;
      const line = lines.slice(i, end);
      i = end + 1;
      const tab = line.indexOf('\t');
      const id = Number(tab < 0 ? line : line.slice(0, tab));
      const p = pending.get(id);
      if (!p) continue;
      pending.delete(id);
      if (tab < 0) p.resolve();
      else p.reject(new JavaProducerError(line.slice(tab + 1)));
    }
  };
  const collect = (p: JavaEventProducer) => {
    try {
      const lines = p.takeSettledSync();
      if (lines) settle(lines);
    } catch {
      /* a closed producer */
    }
  };
  let pollTimer: NodeJS.Timeout | null = null;
  const poll = () => {
    pollTimer = null;
    for (const p of polled) collect(p);
    if (pending.size > 0) pollTimer = setTimeout(poll, 1);
  };

  const requestTimeoutMs = Math.max(100, o.produceTimeoutMs - 500);
  const extra = Object.entries(o.extra ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const open = (): Live => {
    const p = new Producer(
      bootstrapServers(config).join(','),
      o.clientId ?? `${config.kafka.clientId}-ingest`,
      topic,
      requestTimeoutMs,
      o.produceTimeoutMs,
      250, // send() blocks the event loop at most this long (metadata unknown, buffer full); then it fails
      o.bufferBytes ?? 64 * 1048576,
      extra,
    );
    polled.add(p);
    const ready = p.awaitMetadata(o.produceTimeoutMs).then((n) => {
      if (n < 0) throw new JavaProducerError(`Kafka did not answer for the metadata of ${topic} within ${o.produceTimeoutMs} ms`);
    });
    ready.catch(() => {}); // observed by send()
    return { p, ready, isReady: false };
  };

  let current: Live | null = open();
  await current.ready.then(() => (current!.isReady = true)).catch(() => {}); // broker not reachable yet: the first send waits again
  const retired = new Set<Promise<void>>();
  let closed = false;

  const retire = (c: Live, timeoutMs: number) => {
    const done = c.ready
      .catch(() => {})
      .then(() => c.p.close(timeoutMs))
      .catch(() => {})
      .then(() => {
        collect(c.p);
        polled.delete(c.p);
      });
    retired.add(done);
    void done.finally(() => retired.delete(done));
  };

  const sendNow = (c: Live, records: OutRecord[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const id = nextId;
      nextId = nextId >= 0x7fffffff ? 1 : nextId + 1;
      pending.set(id, { resolve, reject });
      try {
        c.p.sendSync(id, encodeLines(records));
        pollTimer ??= setTimeout(poll, 1);
      } catch (err) {
        pending.delete(id);
        reject(err instanceof Error ? err : new JavaProducerError(String(err)));
      }
    });

  return {
    stats: () => (current ? (JSON.parse(current.p.statsSync()) as JavaSenderStats) : null),
    send(records: OutRecord[]): Promise<void> {
      if (closed) return Promise.reject(new JavaProducerError('the producer is closed'));
      const c = (current ??= open());
      if (c.isReady) return sendNow(c, records);
      // in order: every send waiting here runs in the order it was called
      return c.ready.then(() => {
        c.isReady = true;
        return sendNow(c, records);
      });
    },
    reset() {
      // the old producer fails what it still holds (the batcher has answered those callers already)
      if (current) retire(current, 0);
      current = null;
    },
    async close() {
      closed = true;
      if (current) retire(current, o.produceTimeoutMs);
      current = null;
      await Promise.all([...retired]);
      for (const p of pending.values()) p.reject(new JavaProducerError('the producer was closed'));
      pending.clear();
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = null;
    },
  };
}
