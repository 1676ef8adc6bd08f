// The Spark job's latest progress, read from `emoji-metrics` (records keyed "spark", written by
// spark/…/MetricsListener.java once per micro-batch) and mirrored into the emostream_spark_* gauges.
// Start/stop handle for the platform: `const sp = await startSparkProgress(config, { kafka })`, `sp.latest()`,
// `await sp.stop()`. Every API instance reads every report (own group id, no commits).
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import type { Config } from '../config.ts';
import { silentLogger, type Logger } from '../log.ts';
import { parseJsonObject } from '../domain/json.ts';
import {
  kafkaErrors,
  sparkBatchDuration,
  sparkBatchId,
  sparkInputRate,
  sparkInputRows,
  sparkInvalidRecords,
  sparkLateEvents,
  sparkDuplicates,
  sparkWindowsCorrected,
  sparkLastProgress,
  sparkLateRows,
  sparkProcessedRate,
  sparkStateRows,
  sparkWatermark,
} from './registry.ts';

/** The fields of a Spark progress report this side relies on (the record carries more). */
export interface SparkProgress {
  type: 'spark-progress';
  batch_id: number;
  /** ISO-8601: when the batch started. */
  timestamp: string;
  input_rows: number;
  input_rows_per_second: number;
  processed_rows_per_second: number;
  batch_duration_ms: number;
  watermark: string | null;
  rows_dropped_by_watermark: number;
  rows_dropped_by_watermark_total: number;
  /** null when the job's state store does not count its rows (the Spark job's default, see README). */
  state_rows: number | null;
  invalid: number;
  invalid_total: number;
  /** Events behind the watermark, counted as `late` in their match's next window (this batch / since the job started). */
  late: number;
  late_total: number;
  /** Repeats of a (user_id, event_id) within the dedup retention, not counted. */
  duplicates: number;
  duplicates_total: number;
  windows: number;
  windows_total: number;
  /** Windows closed early by the driver whose counts then changed, rewritten from Spark's closed row (0 normally). */
  windows_corrected_total: number;
  [k: string]: unknown;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Parse one record value; null when it is not a Spark progress report. */
export function parseSparkProgress(text: string): SparkProgress | null {
  const o = parseJsonObject(text);
  if (!o) return null;
  if (o.type !== 'spark-progress' || typeof o.batch_id !== 'number') return null;
  return {
    ...o,
    type: 'spark-progress',
    batch_id: o.batch_id,
    timestamp: typeof o.timestamp === 'string' ? o.timestamp : new Date(0).toISOString(),
    input_rows: num(o.input_rows),
    input_rows_per_second: num(o.input_rows_per_second),
    processed_rows_per_second: num(o.processed_rows_per_second),
    batch_duration_ms: num(o.batch_duration_ms),
    watermark: typeof o.watermark === 'string' ? o.watermark : null,
    rows_dropped_by_watermark: num(o.rows_dropped_by_watermark),
    rows_dropped_by_watermark_total: num(o.rows_dropped_by_watermark_total),
    state_rows: o.state_rows === null ? null : num(o.state_rows),
    invalid: num(o.invalid),
    invalid_total: num(o.invalid_total),
    late: num(o.late),
    late_total: num(o.late_total),
    duplicates: num(o.duplicates),
    duplicates_total: num(o.duplicates_total),
    windows: num(o.windows),
    windows_total: num(o.windows_total),
    windows_corrected_total: num(o.windows_corrected_total),
  };
}

/** Mirror a report into the gauges. */
export function recordSparkProgress(p: SparkProgress): void {
  sparkBatchId.set(p.batch_id);
  sparkInputRows.set(p.input_rows);
  sparkInputRate.set(p.input_rows_per_second);
  sparkProcessedRate.set(p.processed_rows_per_second);
  sparkBatchDuration.set(p.batch_duration_ms / 1000);
  const wm = p.watermark ? Date.parse(p.watermark) : NaN;
  if (Number.isFinite(wm)) sparkWatermark.set(wm / 1000);
  sparkLateRows.set(p.rows_dropped_by_watermark_total);
  sparkInvalidRecords.set(p.invalid_total);
  sparkLateEvents.set(p.late_total);
  sparkDuplicates.set(p.duplicates_total);
  sparkWindowsCorrected.set(p.windows_corrected_total);
  if (p.state_rows !== null) sparkStateRows.set(p.state_rows);
  const ts = Date.parse(p.timestamp);
  sparkLastProgress.set(Number.isFinite(ts) ? ts / 1000 : Date.now() / 1000);
}

export interface SparkProgressHandle {
  /** The latest report, or null before the first. */
  latest(): SparkProgress | null;
  /** Reports seen since start. */
  count(): number;
  stop(): Promise<void>;
}

export async function startSparkProgress(
  config: Config,
  opts: { kafka: Kafka; log?: Logger; groupId?: string },
): Promise<SparkProgressHandle> {
  const log = opts.log ?? silentLogger;
  const consumer: Consumer = opts.kafka.consumer({
    groupId: opts.groupId ?? `${config.kafka.clientId}-spark-progress-${randomUUID().slice(0, 8)}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: config.kafka.consumerMaxWaitMs, // a report ends the wait at once (minBytes 1)
  });
  let latest: SparkProgress | null = null;
  let seen = 0;
  consumer.on(consumer.events.CRASH, (e) => {
    kafkaErrors.inc({ component: 'spark-progress', kind: 'crash' });
    log.warn(`spark progress consumer crashed: ${String(e.payload.error)}`);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.metrics, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const p = parseSparkProgress(message.value.toString('utf8'));
      if (!p) return;
      // reports arrive in order per partition; keep the newest batch of the newest run
      latest = p;
      seen++;
      recordSparkProgress(p);
    },
  });
  return {
    latest: () => latest,
    count: () => seen,
    async stop() {
      await consumer.disconnect().catch(() => {});
    },
  };
}
