// Batch ingest: events per second durable in Kafka through POST /v1/emoji/batch (1,000 events a request,
// 202 after the broker's ack) against a plain kafkajs producer writing the same records to the same broker
// (idempotent, acks = all, 1,000 records a send, key = user_id): the broker's own throughput from Node.
import { randomUUID } from 'node:crypto';
import { runLoad } from '../lib/loadgen.ts';
import { benchConfig, benchPlatform, dropTopics, isMain, measureProcess, runStandalone, type BenchContext, type ScenarioResult } from '../lib/context.ts';
import { createKafka, ensureTopics } from '../../src/kafka/client.ts';

const BATCH = 1000;
const CONCURRENCY = 8;
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);

export async function ingestBatch(ctx: BenchContext): Promise<ScenarioResult> {
  const t0 = Date.now();
  const config = benchConfig(ctx, 'ingest-batch', { SPARK_ENABLED: 'false', STREAMS_ENABLED: 'false', MAX_BATCH_EVENTS: String(BATCH), MAX_BODY_BYTES: String(4 * 1048576) });

  // baseline: a plain producer on the same topic
  const kafka = createKafka(config, 'bench-plain');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const now = new Date().toISOString();
  const record = (i: number) => ({
    key: `u-${i % 50_000}`,
    value: JSON.stringify({ event_id: randomUUID(), user_id: `u-${i % 50_000}`, emoji_type: '🔥', timestamp: now, match_id: 'bench-plain', received_at: now }),
  });
  let n = 0;
  const batch = () => Array.from({ length: BATCH }, () => record(n++));
  await producer.send({ topic: config.topics.events, acks: -1, messages: batch() }); // warm-up
  ctx.log(`baseline: plain kafkajs producer, ${BATCH} records a send, ${CONCURRENCY} concurrent sends, ${DURATION_MS} ms`);
  let plainEvents = 0;
  const p0 = performance.now();
  const pEnd = p0 + DURATION_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < pEnd) {
      const m = batch(); // built outside the timed send, as the API builds its records before the batcher
      await producer.send({ topic: config.topics.events, acks: -1, messages: m });
      plainEvents += m.length;
    }
  }));
  const plainEps = Math.round(plainEvents / ((performance.now() - p0) / 1000));
  await producer.disconnect();

  const platform = await benchPlatform(config, { spark: false, streams: false, broadcast: false });
  try {
    ctx.log(`EmoStream POST /v1/emoji/batch, ${BATCH} events a request, c=${CONCURRENCY}, ${DURATION_MS} ms`);
    const m = await measureProcess(() =>
      runLoad({ url: platform.url, path: '/v1/emoji/batch', body: 'batch', batchSize: BATCH, concurrency: CONCURRENCY, durationMs: DURATION_MS, warmupMs: 2000, matchId: 'bench-batch' }),
    );
    const r = m.value;
    const status = platform.ingest.status();
    return {
      name: 'ingest-batch',
      title: `Batch ingest (POST /v1/emoji/batch, ${BATCH} events a request)`,
      measured: { value: r.eps, unit: 'events/s', label: 'durable events/s' },
      baseline: { value: plainEps, unit: 'events/s', label: 'plain kafkajs producer' },
      ratio: +(r.eps / plainEps).toFixed(3),
      summary: `request p50 ${r.latency_ms.p50} ms, p99 ${r.latency_ms.p99} ms; ${(status.sentEvents / Math.max(1, status.sentBatches)).toFixed(0)} records per Kafka batch; server CPU ${m.cpuPct}%, RSS ${m.rssPeakMiB} MiB`,
      details: { batch: BATCH, concurrency: CONCURRENCY, platform: r, baseline_events_per_s: plainEps, server: { cpu_pct: m.cpuPct, rss_peak_mib: m.rssPeakMiB, batches: status.sentBatches, events: status.sentEvents } },
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    await platform.stop();
    await dropTopics(config);
  }
}

if (isMain(import.meta.url)) await runStandalone('ingest-batch', ingestBatch);
