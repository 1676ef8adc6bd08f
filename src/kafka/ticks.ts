// Tick records: every tickIntervalMs one record per partition of emoji-events, key `__tick__`, value
// `{"type":"tick","received_at":"<ISO now>"}` (contract in notes/common.md). They go through the same
// batcher as events, so a tick is ordered after the events accepted before it, and consumers can advance
// event time on a quiet partition. While Kafka is unavailable ticks are skipped, not queued.
import type { OutRecord } from './batcher.ts';

export const TICK_KEY = '__tick__';

export function tickRecords(partitions: number, now: number): OutRecord[] {
  const value = JSON.stringify({ type: 'tick', received_at: new Date(now).toISOString() });
  return Array.from({ length: partitions }, (_, partition) => ({ key: TICK_KEY, value, partition }));
}

/** True for a tick value (consumers use this to ignore ticks except as a clock). */
export const isTick = (value: unknown): value is { type: 'tick'; received_at: string } =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'tick';

export interface TickWriterOptions {
  intervalMs: number;
  partitions: () => number;
  submit: (records: OutRecord[]) => Promise<void>;
  /** Skip the tick when this says the producer path would refuse it anyway. */
  accepting: () => boolean;
  now?: () => number;
}

export interface TickWriter {
  readonly written: number;
  readonly skipped: number;
  stop(): Promise<void>;
}

export function startTickWriter(o: TickWriterOptions): TickWriter {
  const now = o.now ?? Date.now;
  let written = 0;
  let skipped = 0;
  let pending: Promise<void> | null = null;
  const tick = () => {
    // One tick in flight at most: a slow broker must not pile ticks up in the buffer.
    if (pending || !o.accepting()) {
      skipped++;
      return;
    }
    pending = o
      .submit(tickRecords(o.partitions(), now()))
      .then(
        () => void written++,
        () => void skipped++,
      )
      .finally(() => (pending = null));
  };
  const timer = o.intervalMs > 0 ? setInterval(tick, o.intervalMs) : null;
  timer?.unref();
  return {
    get written() {
      return written;
    },
    get skipped() {
      return skipped;
    },
    async stop() {
      if (timer) clearInterval(timer);
      await pending;
    },
  };
}
