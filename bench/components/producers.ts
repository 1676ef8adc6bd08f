// Kafka producers from Node on the SAME records, SAME broker, SAME run: how many events per second the broker
// acknowledges (idempotent, acks=all, key = user_id), no HTTP in front.
//   npx tsx bench/components/producers.ts [--seconds 8] [--batch 1000] [--concurrency 8] [--brokers 127.0.0.1:9092] [--only name,name]
// Rows:
//   kafkajs            the ingest path's kafkajs producer today (createKafkaSender), `batch` records a send
//   kafkajs-10k        the same, 10,000 records a send (larger requests)
//   kafkajs-gzip       the same with GZIP (kafkajs ships no other codec)
//   kafkajs-packed-N   N events in ONE Kafka record (a JSON array, key = the first user_id): a wire-format
//                      change, measured only (Spark's parser, Kafka Streams' dedup and the faults ledger read
//                      one event per record); events/s counts events, not records
//   java               io.emostream.ingest.EventProducer through java-bridge (createJavaSender): the Java
//                      KafkaProducer in this process's JVM, five requests in flight, encoding off the event loop
//   java-lz4           the same with lz4 compression
// Each row sends from `concurrency` loops, each awaiting its own send, for `seconds` after a warm-up send.
// Every row writes to a topic of its own (6 partitions, as emoji-events); the topics are deleted at the end.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import type { OutRecord, SendFn } from '../../src/kafka/batcher.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { createJavaSender } from '../../src/kafka/java-sender.ts';
import { createKafkaSender, type KafkaSender } from '../../src/kafka/producer.ts';
import { CompressionTypes } from 'kafkajs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    batch: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '8' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    only: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const BATCH = Number(values.batch);
const CONC = Number(values.concurrency);
const run = `p${Date.now().toString(36)}`;
const dataDir = mkdtempSync(join(tmpdir(), 'producers-bench-'));
const config = loadConfig({ KAFKA_BROKERS: values.brokers, DATA_DIR: dataDir, STREAMS_HEAP: '512m' });
const kafka = createKafka(config, 'producers-bench');
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
/** `per` events in one record: a JSON array (what a packed wire format would carry). */
const packed = (count: number, per: number): OutRecord[] =>
  Array.from({ length: Math.ceil(count / per) }, () => {
    const evs = Array.from({ length: per }, event);
    return { key: evs[0]!.user_id, value: JSON.stringify(evs) };
  });

async function topic(name: string): Promise<string> {
  const t = `${run}-${name}`;
  await admin.createTopics({ topics: [{ topic: t, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  topics.push(t);
  return t;
}

interface Row {
  name: string;
  eps: number;
  sendP50: number;
  sendP99: number;
  cpuPct: number;
}

async function measure(name: string, sender: KafkaSender, make: () => OutRecord[], eventsPerSend: number): Promise<Row> {
  const send: SendFn = sender.send;
  await send(make()); // warm-up: connection, producer id, metadata
  const lat: number[] = [];
  let events = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONC }, async () => {
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
  return { name, eps: Math.round(events / wall), sendP50: q(0.5), sendP99: q(0.99), cpuPct: Math.round(((c.user + c.system) / 1e6 / wall) * 100) };
}

const kafkajsVariant = (compression?: CompressionTypes): ((t: string) => KafkaSender) => (t) => {
  const s = createKafkaSender(kafka, t, { produceTimeoutMs: 30_000 });
  if (compression === undefined) return s;
  // the same producer settings, with a codec: send through kafkajs directly
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const ready = p.connect();
  return {
    async send(rs) {
      await ready;
      await p.send({ topic: t, acks: -1, compression, timeout: 30_000, messages: rs.map((r) => ({ key: r.key, value: r.value })) });
    },
    reset() {},
    close: () => p.disconnect(),
  };
};

const rows: Row[] = [];
const want = (name: string) => !values.only || values.only.split(',').includes(name);
const variants: [string, (t: string) => Promise<KafkaSender> | KafkaSender, () => OutRecord[], number][] = [
  ['kafkajs', kafkajsVariant(), () => records(BATCH), BATCH],
  ['kafkajs-10k', kafkajsVariant(), () => records(10 * BATCH), 10 * BATCH],
  ['kafkajs-gzip', kafkajsVariant(CompressionTypes.GZIP), () => records(BATCH), BATCH],
  ['kafkajs-packed-100', kafkajsVariant(), () => packed(BATCH, 100), BATCH],
  ['java', (t) => createJavaSender(config, t, { produceTimeoutMs: 30_000 }), () => records(BATCH), BATCH],
  ['java-lz4', (t) => createJavaSender(config, t, { produceTimeoutMs: 30_000, extra: { 'compression.type': 'lz4' } }), () => records(BATCH), BATCH],
];
try {
  for (const [name, open, make, per] of variants) {
    if (!want(name)) continue;
    const t = await topic(name);
    rows.push(await measure(name, await open(t), make, per));
    process.stderr.write(`${name}: ${rows.at(-1)!.eps} events/s\n`);
  }
} finally {
  await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
  await admin.disconnect();
  rmSync(dataDir, { recursive: true, force: true });
}
console.log(`\nproducers, ${CONC} concurrent sends of ${BATCH} events, ${seconds} s each; load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
console.log('| producer | durable events/s | send p50 ms | send p99 ms | Node CPU % |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) console.log(`| ${r.name} | ${r.eps} | ${r.sendP50} | ${r.sendP99} | ${r.cpuPct} |`);
process.exit(0);
