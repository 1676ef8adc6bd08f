// Tick records: every tickIntervalMs one record per partition of emoji-events, key `__tick__`, value
// `{"type":"tick","received_at":"<ISO now>","instance":"<id>"}` (contract: contracts/ticks.json; `instance` is
// optional, consumers accept ticks without it). They go through the same batcher as events, stamped from the
// same admission clock, so on each partition a tick follows every event its instance admitted before it:
// consumers can advance event time on a quiet partition, and the Spark job can close a window once every
// instance's latest tick on every partition is past its end (WindowCloser). While Kafka is unavailable ticks are
// skipped, not queued.
//
// While events come, a tick is also written right at each window boundary (`boundaryMs`: the first admission
// instant ≥ the boundary), so the proof that an instance is past a window's end reaches Kafka at once rather
// than up to intervalMs later. The first tick is written at start, before the instance admits any event.
//
// On a quiet stream ticks back off: they run every intervalMs while events come and for `quietAfterMs` after the
// last one (long enough for its window to close everywhere), then every `idleIntervalMs`: once every window has
// closed a tick moves no clock anyone waits on, so there is nothing to back off gradually for. The first event
// after that (`wake()`) brings the next tick within intervalMs again. Every tick makes the Spark job run a
// micro-batch (or two) and wakes the Kafka Streams threads: at rest that was most of the platform's CPU.
import type { OutRecord } from './batcher.ts';

export const TICK_KEY = '__tick__';

export function tickRecords(partitions: number, now: number, instance?: string): OutRecord[] {
  const tick: { type: 'tick'; received_at: string; instance?: string } = { type: 'tick', received_at: new Date(now).toISOString() };
  if (instance) tick.instance = instance;
  const value = JSON.stringify(tick);
  return Array.from({ length: partitions }, (_, partition) => ({ key: TICK_KEY, value, partition }));
}

/** True for a tick value (consumers use this to ignore ticks except as a clock). */
export const isTick = (value: unknown): value is { type: 'tick'; received_at: string; instance?: string } =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'tick';

export interface TickWriterOptions {
  intervalMs: number;
  /** The longest interval on a quiet stream; <= intervalMs (or unset): no back-off. */
  idleIntervalMs?: number;
  /** How long after the last event (wake) ticks stay at intervalMs before backing off. */
  quietAfterMs?: number;
  /** Windows are aligned to multiples of this (ms): while events come, a tick also at each boundary. */
  boundaryMs?: number;
  /** The writing instance's id, carried in every tick (EmoStream-Instance). */
  instance?: string;
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
  /** Ticks written at a window boundary (counted in written too). */
  readonly boundaries: number;
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
  let boundaries = 0;
  let pending: Promise<void> | null = null;
  // a boundary tick that found a tick in flight goes right after it (that one was stamped before the boundary)
  let boundaryWaiting = false;
  const tick = (boundary = false) => {
    // One tick in flight at most: a slow broker must not pile ticks up in the buffer.
    if (pending || !o.accepting()) {
      if (pending && boundary) boundaryWaiting = true;
      else skipped++;
      return;
    }
    const at = now();
    pending = o
      .submit(tickRecords(o.partitions(), at, o.instance), at)
      .then(
        () => void (written++, boundary && boundaries++),
        () => void skipped++,
      )
      .finally(() => {
        pending = null;
        if (boundaryWaiting && !stopped) {
          boundaryWaiting = false;
          tick(true);
        }
      });
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
    armBoundary();
  };
  // Boundary ticks, while not quiet: a timer for the next window boundary on the admission clock; a timer that
  // fires a little early (the admission clock is not the timers' clock) waits the rest.
  const boundaryMs = o.boundaryMs ?? 0;
  let boundaryTimer: NodeJS.Timeout | null = null;
  let nextBoundary = 0;
  const armBoundary = () => {
    if (boundaryTimer || stopped || boundaryMs <= 0 || o.intervalMs <= 0 || delay !== o.intervalMs) return;
    const t = now();
    nextBoundary = Math.floor(t / boundaryMs) * boundaryMs + boundaryMs;
    boundaryTimer = setTimeout(onBoundary, nextBoundary - t);
    boundaryTimer.unref();
  };
  const onBoundary = () => {
    boundaryTimer = null;
    if (stopped) return;
    const left = nextBoundary - now();
    if (left > 0) {
      boundaryTimer = setTimeout(onBoundary, left);
      boundaryTimer.unref();
      return;
    }
    tick(true);
    armBoundary(); // not once quiet: the idle back-off has no boundary ticks
  };
  if (o.intervalMs > 0) {
    tick(); // the first tick before any event: on every partition, this instance's ticks precede its events
    schedule(o.intervalMs);
    armBoundary();
  }
  return {
    get written() {
      return written;
    },
    get skipped() {
      return skipped;
    },
    get boundaries() {
      return boundaries;
    },
    get currentIntervalMs() {
      return delay;
    },
    wake() {
      lastEventAt = Date.now();
      if (delay === o.intervalMs || stopped || o.intervalMs <= 0) return;
      delay = o.intervalMs;
      if (due - lastEventAt > o.intervalMs) schedule(o.intervalMs);
      armBoundary();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (boundaryTimer) clearTimeout(boundaryTimer);
      await pending;
    },
  };
}
