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

/** one viewer's visible count over time: when it changed, to what, and the frame (match:window_start:seq, or :w) that changed it */
export type Curve = { at: number; visible: number; key: string }[];

/**
 * Per acknowledged request (one viewer's curve): the first micro-batch that started after its 202 (the first whose
 * Kafka offsets can hold it), that batch's duration, its end → the frame that made the count visible, and how many
 * batches after it the batch that wrote that frame's record started (0: that very batch; < 0: an earlier one, which
 * read the events before the 202 reached the generator; a frame not written by Spark, such as the supervisor's live
 * record made from a window, is left out of that count: `unknown`). `batches` in start order.
 */
export function splitLive(acks: { at: number; upTo: number }[], curve: Curve, batches: SparkBatch[], recorded: Map<string, number>) {
  const wait: number[] = [], dur: number[] = [], after: number[] = [];
  const later = { earlier: 0, first: 0, second: 0, more: 0, unknown: 0 };
  let i = 0;
  for (const a of acks) {
    while (i < curve.length && curve[i]!.visible < a.upTo) i++;
    if (i === curve.length) break;
    const k = batches.findIndex((b) => b.start >= a.at);
    if (k < 0) continue;
    const b = batches[k]!;
    wait.push(b.start - a.at);
    dur.push(b.ms);
    after.push(curve[i]!.at - (b.start + b.ms));
    const ts = recorded.get(curve[i]!.key);
    let j = -1; // the batch running when the record was written: the last one started by then
    for (let x = 0; ts !== undefined && x < batches.length && batches[x]!.start <= ts; x++) j = x;
    if (j < 0) later.unknown++;
    else if (j < k) later.earlier++;
    else if (j === k) later.first++;
    else if (j === k + 1) later.second++;
    else later.more++;
  }
  return { wait_ms: quantiles(wait), batch_ms: quantiles(dur), after_ms: quantiles(after), written_by: later };
}
