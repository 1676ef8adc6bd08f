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
  /** windows it wrote, and how many of them the instances' ticks closed (before the watermark) */
  windows: number;
  onTicks: number;
  /** the job's windows_corrected_total after it (0 unless an early close was wrong) */
  corrected: number;
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
      batches.push({
        id: p.batch_id,
        start: Date.parse(p.timestamp),
        ms: p.batch_duration_ms,
        rows: p.input_rows,
        durations: d,
        windows: p.windows,
        onTicks: typeof p.windows_on_ticks === 'number' ? p.windows_on_ticks : 0,
        corrected: p.windows_corrected_total,
      });
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
  const each: { at: number; ms: number; batch: SparkBatch | null }[] = [];
  let i = 0;
  for (const a of acks) {
    while (i < curve.length && curve[i]!.visible < a.upTo) i++;
    if (i === curve.length) break;
    each.push({ at: a.at, ms: curve[i]!.at - a.at, batch: batches.find((b) => b.start >= a.at) ?? null });
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
  return { wait_ms: quantiles(wait), batch_ms: quantiles(dur), after_ms: quantiles(after), written_by: later, slowest: slowest(each, acks) };
}

/**
 * Where the slowest 1% of requests (202 → visible, this viewer) sit: when their 202s came, in ms from the phase's
 * first 202 (quantiles; a tail made at the start or the end of the load shows up here), and the batches that came
 * next after them, [id, start − first 202, duration ms, rows] (at most 5, the longest first).
 */
function slowest(each: { at: number; ms: number; batch: SparkBatch | null }[], acks: { at: number }[]) {
  if (!each.length) return { n: 0, from_first_202_ms: quantiles([]), earliest_ms: NaN, load_ms: 0, next_batches: [] as number[][] };
  const cut = [...each].sort((a, b) => b.ms - a.ms).slice(0, Math.max(1, Math.ceil(each.length / 100)));
  const t0 = acks[0]!.at;
  const seen = new Map<number, SparkBatch>();
  for (const c of cut) if (c.batch) seen.set(c.batch.id, c.batch);
  return {
    n: cut.length,
    from_first_202_ms: quantiles(cut.map((c) => c.at - t0)),
    earliest_ms: Math.min(...cut.map((c) => c.at - t0)),
    load_ms: acks.at(-1)!.at - t0,
    next_batches: [...seen.values()].sort((a, b) => b.ms - a.ms).slice(0, 5).map((b) => [b.id, b.start - t0, b.ms, b.rows]),
  };
}
