// Kafka Streams exact-counts topology under a steady ingest rate, inside this process through java-bridge.
//   npx tsx bench/components/streams-throughput.ts [--rate 2000] [--seconds 30] [--brokers 127.0.0.1:9092]
// Writes events (unique ids, one match, API format) straight to emoji-events at --rate/s in 50 ms slices, plus
// ticks every 250 ms, and samples every second: events counted (exact totals of the match), the topology's own
// rate and its consumer lag on emoji-events. Reports: ms to queryable, RSS added by the JVM + topology,
// counted/s over the steady part, lag p50/p95/max (records behind, and events produced but not yet counted),
// and how long the topology takes to drain after the producer stops. Other traffic on the topic is processed
// too (a fresh application id starts at 'latest').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { tickRecords } from '../../src/kafka/ticks.ts';
import { startExactCounts } from '../../src/streams/bridge.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '30' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    heap: { type: 'string' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const run = `m${Date.now().toString(36)}`;
const match = `t-streams-${run}`;
const dataDir = mkdtempSync(join(tmpdir(), 'streams-measure-'));
const config = loadConfig({
  KAFKA_BROKERS: values.brokers,
  DATA_DIR: dataDir,
  STREAMS_APP_ID: `streams-measure-${run}`,
  STREAMS_OFFSET_RESET: 'latest',
  ...(values.heap ? { STREAMS_HEAP: values.heap } : {}),
});
const mib = (b: number) => Math.round(b / 2 ** 20);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

const kafka = createKafka(config, 'streams-measure');
const producer = kafka.producer({ idempotent: true });
await producer.connect();
const admin = kafka.admin();
await admin.connect();
const partitions = (await admin.fetchTopicMetadata({ topics: [config.topics.events] })).topics[0]!.partitions.length;
await admin.disconnect();

const tickTimer = setInterval(() => {
  void producer.send({ topic: config.topics.events, messages: tickRecords(partitions, Date.now()) }).catch(() => {});
}, 250);

const rssBefore = process.memoryUsage().rss;
const exact = await startExactCounts(config);
const rssStarted = process.memoryUsage().rss;
while (exact.metrics().ticks < 4 * partitions) await sleep(100);

const emojis = ['🔥', '😀', '😡', '😂', '👏'];
let produced = 0;
let seq = 0;
const samples: { t: number; produced: number; counted: number; lag: number; rate: number }[] = [];
const counted = () => exact.totals(match).total;
const t0 = Date.now();
const sampler = setInterval(() => {
  const m = exact.metrics();
  samples.push({ t: Date.now() - t0, produced, counted: counted(), lag: m.events_lag ?? NaN, rate: m.process_rate ?? NaN });
}, 1000);

// steady producer: rate/20 events every 50 ms, sends not awaited one by one (like a batching API would)
const slice = Math.max(1, Math.round(rate / 20));
const inflight = new Set<Promise<unknown>>();
while (Date.now() - t0 < seconds * 1000) {
  const sliceStart = Date.now();
  const now = new Date(sliceStart).toISOString();
  const messages = Array.from({ length: slice }, () => {
    seq++;
    const user = `u-${seq % 5000}`;
    return {
      key: user,
      value: JSON.stringify({ event_id: `${run}-${seq}`, user_id: user, emoji_type: emojis[seq % emojis.length], timestamp: now, match_id: match, received_at: now }),
    };
  });
  const p = producer.send({ topic: config.topics.events, acks: -1, messages }).then(() => void (produced += slice));
  inflight.add(p);
  void p.finally(() => inflight.delete(p));
  if (inflight.size > 50) await Promise.race(inflight);
  await sleep(Math.max(0, 50 - (Date.now() - sliceStart)));
}
await Promise.all(inflight);
const producedAt = Date.now();
while (counted() < produced && Date.now() - producedAt < 120_000) await sleep(50);
const drainMs = Date.now() - producedAt;
clearInterval(sampler);
const rssEnd = process.memoryUsage().rss;

const steady = samples.filter((s) => s.t >= 5000 && s.t <= seconds * 1000);
const countedRate =
  steady.length > 1 ? ((steady.at(-1)!.counted - steady[0]!.counted) * 1000) / (steady.at(-1)!.t - steady[0]!.t) : NaN;
const behind = steady.map((s) => s.produced - s.counted);
const lags = steady.map((s) => s.lag).filter((x) => !Number.isNaN(x));
const m = exact.metrics();
const result = {
  rate_target: rate,
  seconds,
  produced,
  counted: counted(),
  counted_per_s_steady: Math.round(countedRate),
  topology_process_rate_last: m.process_rate,
  events_not_yet_counted: { p50: pct(behind, 50), p95: pct(behind, 95), max: Math.max(...behind) },
  consumer_lag_records: { p50: pct(lags, 50), p95: pct(lags, 95), max: Math.max(...lags) },
  drain_ms_after_producer_stopped: drainMs,
  queryable_after_ms: exact.queryableAfterMs,
  rss_mib: { before_jvm: mib(rssBefore), queryable: mib(rssStarted), end: mib(rssEnd), added_by_jvm: mib(rssEnd - rssBefore) },
  streams_heap: config.streams.heap,
  counters: { events: m.events, duplicates: m.duplicates, invalid: m.invalid, late: m.late },
};
console.log(JSON.stringify(result, null, 2));
clearInterval(tickTimer);
await exact.close();
await producer.disconnect();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
