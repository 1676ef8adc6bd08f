// Tick records: every tickIntervalMs one record per partition of emoji-events, key `__tick__`, value
// `{"type":"tick","received_at":"<ISO now>"}` (contract in notes/common.md). They go through the same
// batcher as events, so a tick is ordered after the events accepted before it, and consumers can advance
// event time on a quiet partition. While Kafka is unavailable ticks are skipped, not queued.
//
// On a quiet stream ticks back off: they run every intervalMs while events come and for `quietAfterMs` after the
// last one (long enough for its window to close everywhere), then every `idleIntervalMs`: once every window has
// closed a tick moves no clock anyone waits on, so there is nothing to back off gradually for. The first event
// after that (`wake()`) brings the next tick within intervalMs again. Every tick makes the Spark job run a
// micro-batch (or two) and wakes the Kafka Streams threads: at rest that was most of the platform's CPU.
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
  /** The longest interval on a quiet stream; <= intervalMs (or unset): no back-off. */
  idleIntervalMs?: number;
  /** How long after the last event (wake) ticks stay at intervalMs before backing off. */
  quietAfterMs?: number;
  partitions: () => number;
  /** Queue the records; `at` is the stamp in them. */
  submit: (records: OutRecord[], at: number) => Promise<void>;
  /** Skip the tick when this says the producer path would refuse it anyway. */
  accepting: () => boolean;
  now?: () => number;
}

export interface TickWriter {
  readonly written: number;
  readonly skipped: number;
  /** The interval now (ms): intervalMs while events come, more on a quiet stream. */
  readonly currentIntervalMs: number;
  /** An event was accepted: tick every intervalMs again (cheap; call it on every submit). */
  wake(): void;
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
    const at = now();
    pending = o
      .submit(tickRecords(o.partitions(), at), at)
      .then(
        () => void written++,
        () => void skipped++,
      )
      .finally(() => (pending = null));
  };
  const idleMax = Math.max(o.intervalMs, o.idleIntervalMs ?? 0);
  const quietAfterMs = o.quietAfterMs ?? 0;
  let lastEventAt = Date.now(); // start-up counts as activity: windows open before it close promptly
  let delay = o.intervalMs;
  let due = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const schedule = (ms: number) => {
    if (timer) clearTimeout(timer);
    due = Date.now() + ms;
    timer = setTimeout(fire, ms);
    timer.unref();
  };
  const fire = () => {
    tick();
    if (stopped) return;
    const quiet = Date.now() - lastEventAt > quietAfterMs;
    delay = quiet ? idleMax : o.intervalMs;
    schedule(delay);
  };
  if (o.intervalMs > 0) schedule(o.intervalMs);
  return {
    get written() {
      return written;
    },
    get skipped() {
      return skipped;
    },
    get currentIntervalMs() {
      return delay;
    },
    wake() {
      lastEventAt = Date.now();
      if (delay === o.intervalMs || stopped || o.intervalMs <= 0) return;
      delay = o.intervalMs;
      if (due - lastEventAt > o.intervalMs) schedule(o.intervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await pending;
    },
  };
}
