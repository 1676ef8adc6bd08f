// Kafka producers from Node on the SAME records, SAME broker, SAME run: how many events per second the broker
// acknowledges (acks=all, key = user_id), no HTTP in front. Used by bench/components/producers.ts (a table on
// the console) and bench/scenarios/producers.ts (the `ingest/alternatives` row of the README table).
// Variants (`contract`: whether the row keeps the ingest contract: idempotent producer, acks=all, every event
// on its user_id's partition (keyed by it, or packed with that partition's events), per-partition order):
//   kafkajs              the ingest path's kafkajs producer today (createKafkaSender), `batch` records a send
//   kafkajs-10k          the same, 10,000 records a send (larger requests)
//   kafkajs-inflight5    idempotent with maxInFlightRequests 5: kafkajs still holds one request per broker
//                        (its EOS manager locks the broker for an idempotent send), so this equals kafkajs
//   kafkajs-gzip         the same with GZIP (kafkajs ships no other codec; lz4/snappy/zstd need packages)
//   kafkajs-plain        NOT idempotent (no producer id, no sequence numbers), maxInFlightRequests 5: what the
//                        broker lock costs; breaks the contract (a retried request can write twice)
//   kafkajs-packed-100   the ingest path's packing (src/kafka/packed.ts, INGEST_PACK_EVENTS=100): each send's events
//                        of one partition in records of up to 100 ({"type":"events","events":[...]}, key = the first
//                        event's user_id, every event on its own user's partition); events/s counts events
//   java                 io.emostream.ingest.EventProducer through java-bridge (createJavaSender): the Java
//                        KafkaProducer in this process's JVM, five requests in flight, encoding off the event loop
//   java-lz4             the same with lz4 compression
//   java-packed-100      the Java producer with the same packing
// Each variant sends from `concurrency` loops, each awaiting its own send, for `seconds` after a warm-up send,
// into a topic of its own (6 partitions, as emoji-events); the topics are deleted at the end.
// first: client.ts replaces parts of kafkajs (per-partition grouping, record encoding) before kafkajs loads; importing
// 'kafkajs' ahead of it left this bench on kafkajs' quadratic grouping, unlike the ingest path it stands for
import '../../src/kafka/client.ts';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { loadConfig, type Config } from '../../src/config.ts';
import type { OutRecord, SendFn } from '../../src/kafka/batcher.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { createJavaSender } from '../../src/kafka/java-sender.ts';
import { packRecords } from '../../src/kafka/packed.ts';
import { createKafkaSender, type KafkaSender } from '../../src/kafka/producer.ts';

export interface ProducerRow {
  name: string;
  contract: boolean;
  eps: number;
  sendP50: number;
  sendP99: number;
  /** this process's CPU over the run, % of one core (the Java producer's threads included) */
  cpuPct: number;
}

export const PRODUCER_VARIANTS = [
  'kafkajs',
  'kafkajs-10k',
  'kafkajs-inflight5',
  'kafkajs-gzip',
  'kafkajs-plain',
  'kafkajs-packed-100',
  'java',
  'java-lz4',
  'java-packed-100',
] as const;

export interface ProducerBenchOptions {
  brokers: string;
  seconds: number;
  batch: number;
  concurrency: number;
  only?: string[];
  log?: (msg: string) => void;
}

export async function measureProducers(o: ProducerBenchOptions): Promise<ProducerRow[]> {
  const run = `p${Date.now().toString(36)}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'producers-bench-'));
  const config: Config = loadConfig({ KAFKA_BROKERS: o.brokers, DATA_DIR: dataDir, STREAMS_HEAP: '512m', LOG_LEVEL: 'warn' });
  const kafka: Kafka = createKafka(config, 'producers-bench');
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];

  const now = new Date().toISOString();
  const palette = ['🔥', '😀', '😡', '😂', '😮', '😢', '👏', '🏏', '🎉', '❤️'];
  let n = 0;
  const event = () => {
    const i = n++;
    return { event_id: randomUUID(), user_id: `u-${i % 50_000}`, emoji_type: palette[i % palette.length]!, timestamp: now, match_id: 'bench-producers', received_at: now };
  };
  const records = (count: number): OutRecord[] =>
    Array.from({ length: count }, () => {
      const e = event();
      return { key: e.user_id, value: JSON.stringify(e) };
    });
  /** The ingest path's packing (INGEST_PACK_EVENTS=100) in front of a sender, inside the timed send as in the batcher. */
  const packing = (open: (t: string) => Promise<KafkaSender> | KafkaSender) => async (t: string): Promise<KafkaSender> => {
    const s = await open(t);
    return { ...s, send: (rs) => s.send(packRecords(rs, 6, 100)) };
  };

  const topic = async (name: string) => {
    const t = `${run}-${name}`;
    await admin.createTopics({ topics: [{ topic: t, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
    topics.push(t);
    return t;
  };

  async function measure(name: string, contract: boolean, sender: KafkaSender, make: () => OutRecord[], eventsPerSend: number): Promise<ProducerRow> {
    const send: SendFn = sender.send;
    await send(make()); // warm-up: connection, producer id, metadata
    const lat: number[] = [];
    let events = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + o.seconds * 1000;
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        while (performance.now() < end) {
          const recs = make(); // built outside the timed send, as the API builds its records before the batcher
          const s = performance.now();
          await send(recs);
          lat.push(performance.now() - s);
          events += eventsPerSend;
        }
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    await sender.close();
    lat.sort((a, b) => a - b);
    const q = (p: number) => +(lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)] ?? NaN).toFixed(1);
    return { name, contract, eps: Math.round(events / wall), sendP50: q(0.5), sendP99: q(0.99), cpuPct: Math.round(((c.user + c.system) / 1e6 / wall) * 100) };
  }

  /** kafkajs with other settings than the ingest path's (createKafkaSender): a producer of its own. */
  const kafkajsWith =
    (settings: { idempotent: boolean; maxInFlightRequests: number; compression?: CompressionTypes }) =>
    (t: string): KafkaSender => {
      const p = kafka.producer({ idempotent: settings.idempotent, maxInFlightRequests: settings.maxInFlightRequests, allowAutoTopicCreation: false });
      const ready = p.connect();
      return {
        async send(rs) {
          await ready;
          await p.send({ topic: t, acks: -1, compression: settings.compression, timeout: 30_000, messages: rs.map((r) => ({ key: r.key, value: r.value })) });
        },
        reset() {},
        close: () => p.disconnect(),
      };
    };
  const ingestKafkajs = (t: string) => createKafkaSender(kafka, t, { produceTimeoutMs: 30_000 });
  const java = (extra?: Record<string, string>) => (t: string) => createJavaSender(config, t, { produceTimeoutMs: 30_000, extra });
  const B = o.batch;
  const variants: Record<(typeof PRODUCER_VARIANTS)[number], [contract: boolean, open: (t: string) => Promise<KafkaSender> | KafkaSender, make: () => OutRecord[], per: number]> = {
    kafkajs: [true, ingestKafkajs, () => records(B), B],
    'kafkajs-10k': [true, ingestKafkajs, () => records(10 * B), 10 * B],
    'kafkajs-inflight5': [true, kafkajsWith({ idempotent: true, maxInFlightRequests: 5 }), () => records(B), B],
    'kafkajs-gzip': [true, kafkajsWith({ idempotent: true, maxInFlightRequests: 1, compression: CompressionTypes.GZIP }), () => records(B), B],
    'kafkajs-plain': [false, kafkajsWith({ idempotent: false, maxInFlightRequests: 5 }), () => records(B), B],
    'kafkajs-packed-100': [true, packing(ingestKafkajs), () => records(B), B],
    java: [true, java(), () => records(B), B],
    'java-lz4': [true, java({ 'compression.type': 'lz4' }), () => records(B), B],
    'java-packed-100': [true, packing(java()), () => records(B), B],
  };

  const rows: ProducerRow[] = [];
  try {
    for (const name of PRODUCER_VARIANTS) {
      if (o.only && !o.only.includes(name)) continue;
      const [contract, open, make, per] = variants[name];
      const t = await topic(name);
      rows.push(await measure(name, contract, await open(t), make, per));
      o.log?.(`${name}: ${rows.at(-1)!.eps} events/s`);
    }
  } finally {
    await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
    await admin.disconnect();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
