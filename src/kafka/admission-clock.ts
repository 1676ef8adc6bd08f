// The clock that stamps `received_at` (events and ticks) when the write path admits them: monotonic, so
// admission order is time order within an instance (the batcher's queue order, hence Kafka's order per
// partition), and anchored to wall time, so instances and the Spark watermark agree on what "now" is.
// It follows the monotonic clock (performance.now): a wall-clock step backwards never moves it back; a wall
// clock that runs more than `resyncMs` ahead of it (a step forwards, a suspended VM) re-anchors it forwards.
export interface AdmissionClockOptions {
  wall?: () => number;
  mono?: () => number;
  /** How far the wall clock may run ahead before the clock jumps forwards to it. */
  resyncMs?: number;
}

/** Returns `now()`: epoch milliseconds (whole), never decreasing. */
export function createAdmissionClock(o: AdmissionClockOptions = {}): () => number {
  const wall = o.wall ?? Date.now;
  const mono = o.mono ?? (() => performance.now());
  const resyncMs = o.resyncMs ?? 1000;
  let anchorWall = wall();
  let anchorMono = mono();
  let last = -Infinity;
  return function admissionNow() {
    const m = mono();
    let t = anchorWall + (m - anchorMono);
    const w = wall();
    if (w - t > resyncMs) {
      anchorWall = w;
      anchorMono = m;
      t = w;
    }
    last = Math.max(last, Math.floor(t));
    return last;
  };
}
