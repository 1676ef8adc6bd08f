// The Spark job's micro-batches as its progress reports tell them (emoji-metrics, one record per batch, written by
// spark/…/MetricsListener.java): when each batch started, how long it ran, how many rows it read. The latency
// scenarios print their figures next to the batch duration of the same phase, so a figure measured on a loaded
// machine can still be read in batch durations (latency ÷ batch p50).
//   const sb = await watchSparkBatches(config); …; sb.between(t0, t1) → batches that started in [t0, t1]; await sb.stop()
import type { Config } from '../../src/config.ts';
import { createKafka } from '../../src/kafka/client.ts';
import { parseSparkProgress } from '../../src/metrics/spark-progress.ts';
import { quantiles } from './context.ts';

export interface SparkBatch {
  id: number;
  /** epoch ms: the trigger's start (Spark asks Kafka for the latest offsets then) */
  start: number;
  ms: number;
  rows: number;
  durations: Record<string, number>;
}

export async function watchSparkBatches(config: Config) {
  const batches: SparkBatch[] = [];
  const consumer = createKafka(config, 'bench-spark-batches').consumer({ groupId: `bench-spark-batches-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.metrics, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const p = message.value ? parseSparkProgress(message.value.toString()) : null;
      if (!p) return;
      const d = (p.durations_ms ?? {}) as Record<string, number>;
      batches.push({ id: p.batch_id, start: Date.parse(p.timestamp), ms: p.batch_duration_ms, rows: p.input_rows, durations: d });
    },
  });
  return {
    /** batches that started within [from, to], in start order */
    between: (from: number, to: number) => batches.filter((b) => b.start >= from && b.start <= to).sort((a, b) => a.start - b.start),
    all: () => [...batches].sort((a, b) => a.start - b.start),
    stop: () => consumer.disconnect().catch(() => {}),
  };
}

/** batch duration and input rows (p50/p99) of some batches, for a row's notes */
export function batchSummary(bs: SparkBatch[]) {
  return { n: bs.length, ms: quantiles(bs.map((b) => b.ms)), rows: quantiles(bs.map((b) => b.rows)) };
}
