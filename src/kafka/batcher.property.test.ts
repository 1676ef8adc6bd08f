// The batcher's contract, checked over random histories (fast-check) on fake timers, so a history of
// seconds runs in milliseconds. A history interleaves submissions (empty ones stand for all-duplicate
// requests), a broker that acknowledges, refuses, throws or hangs (and on recovery answers what it held,
// as a SIGSTOPped broker does), the passing of time, and one stop(). Checked after every history:
// - every submission settles (no promise left pending) and stop() returns;
// - an empty submission resolves at once, in any state;
// - a submission made while the broker stays reachable settles within flushIntervalMs + produceTimeoutMs;
// - once the broker has been reachable for produceTimeoutMs + probeIntervalMs, every submission that fits
//   in the buffer is written (no wedge: the batcher cannot stay refusing against a healthy broker);
// - a resolved submission travelled whole in exactly one acknowledged send; nothing is sent twice;
// - queued + in flight never pass bufferMaxEvents; the counters add up.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../ports/ingest.ts';
import { Batcher, type OutRecord } from './batcher.ts';

const FLUSH = 100;
const PRODUCE_TIMEOUT = 300;
const PROBE = 150;
const LATENCY_MAX = 40; // a reachable broker acknowledges within this (< PRODUCE_TIMEOUT)
const BUFFER = 12;
const BATCH_MAX = 5;

type Mode = 'up' | 'refuse' | 'throw' | 'hang';
type Op =
  | { t: 'submit'; n: number }
  | { t: 'broker'; mode: Mode; latency: number }
  | { t: 'wait'; ms: number }
  | { t: 'stop' };

// A history is a few phases, each with one broker behaviour, so that reachable stretches are long enough
// for the liveness check to bite (a flat mix of operations flips the broker too often).
const stepArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('submit' as const), n: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'submit' as const, n: 0 }) }, // an all-duplicate request
  { weight: 3, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
);
const phaseArb: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.record({
      t: fc.constant('broker' as const),
      mode: fc.constantFrom<Mode>('up', 'up', 'up', 'refuse', 'throw', 'hang'),
      latency: fc.integer({ min: 0, max: LATENCY_MAX }),
    }),
    fc.array(stepArb, { maxLength: 14 }),
  )
  .map(([b, steps]) => [b, ...steps]);
const historyArb: fc.Arbitrary<Op[]> = fc
  .tuple(fc.array(phaseArb, { minLength: 1, maxLength: 6 }), fc.option(fc.nat({ max: 80 }), { freq: 3 }))
  .map(([phases, stopAt]) => {
    const ops = phases.flat();
    if (stopAt !== null) ops.splice(Math.min(stopAt, ops.length), 0, { t: 'stop' });
    return ops;
  });

interface Sub {
  n: number;
  at: number;
  keys: string[];
  settledAt: number | null;
  outcome: 'ok' | UnavailableError | null;
  /** Refused synchronously by submit (counted in status().refused). */
  refusedAtSubmit: boolean;
  /** queued + in flight before this submission, to tell a legitimate buffer_full. */
  depthBefore: number;
  afterStop: boolean;
}

interface Send {
  keys: string[];
  at: number;
  outcome: 'ok' | 'failed' | 'pending';
}

async function runHistory(ops: Op[]): Promise<void> {
  const t0 = Date.now();
  const now = () => Date.now() - t0;
  // broker model: mode changes over time, to ask "was it reachable throughout [a, b]?"
  const modes: { at: number; mode: Mode }[] = [{ at: 0, mode: 'up' }];
  let latency = 5;
  const held: (() => void)[] = []; // sends a hung broker answers when it comes back
  const sends: Send[] = [];
  const mode = () => modes.at(-1)!.mode;
  const reachableThroughout = (a: number, b: number) =>
    modes.every((m, i) => {
      const end = modes[i + 1]?.at ?? Infinity;
      return m.mode === 'up' || end <= a || m.at > b;
    });

  let seq = 0;
  const batcher = new Batcher({
    send: (records: OutRecord[]) => {
      const s: Send = { keys: records.map((r) => r.key), at: now(), outcome: 'pending' };
      sends.push(s);
      const m = mode();
      if (m === 'throw') {
        s.outcome = 'failed';
        throw new Error('send threw');
      }
      return new Promise<void>((resolve, reject) => {
        const ack = () => {
          s.outcome = 'ok';
          resolve();
        };
        if (m === 'up') setTimeout(ack, latency);
        else if (m === 'refuse') setTimeout(() => ((s.outcome = 'failed'), reject(new Error('ECONNREFUSED'))), latency);
        else held.push(ack);
      });
    },
    flushIntervalMs: FLUSH,
    batchMaxEvents: BATCH_MAX,
    bufferMaxEvents: BUFFER,
    produceTimeoutMs: PRODUCE_TIMEOUT,
    probeIntervalMs: PROBE,
    now,
  });

  const subs: Sub[] = [];
  let stopped: Promise<void> | null = null;
  let stopAt = Infinity;
  const checkDepth = () => {
    const st = batcher.status();
    expect(st.queuedEvents + st.inFlightEvents).toBeLessThanOrEqual(BUFFER);
  };

  for (const op of ops) {
    if (op.t === 'submit') {
      const keys = Array.from({ length: op.n }, () => `k${seq++}`);
      const before = batcher.status();
      const sub: Sub = {
        n: op.n,
        at: now(),
        keys,
        settledAt: null,
        outcome: null,
        refusedAtSubmit: false,
        depthBefore: before.queuedEvents + before.inFlightEvents,
        afterStop: stopped !== null,
      };
      subs.push(sub);
      batcher
        .submit(keys.map((key) => ({ key, value: key })))
        .then(
          () => void (sub.outcome = 'ok'),
          (e: unknown) => void (sub.outcome = e as UnavailableError),
        )
        .finally(() => (sub.settledAt = now()));
      sub.refusedAtSubmit = batcher.status().refused > before.refused;
      if (op.n === 0) {
        await Promise.resolve();
        await Promise.resolve();
        expect(sub.outcome).toBe('ok'); // at once, whatever the state
      }
    } else if (op.t === 'broker') {
      latency = op.latency;
      if (op.mode !== mode()) modes.push({ at: now(), mode: op.mode });
      if (op.mode === 'up') for (const ack of held.splice(0)) setTimeout(ack, latency);
    } else if (op.t === 'wait') {
      await vi.advanceTimersByTimeAsync(op.ms);
    } else if (!stopped) {
      stopAt = now();
      stopped = batcher.stop();
    }
    checkDepth();
  }

  // End of the history: the broker comes back, the batcher is stopped, time runs out.
  if (mode() !== 'up') {
    modes.push({ at: now(), mode: 'up' });
    for (const ack of held.splice(0)) setTimeout(ack, latency);
  }
  if (!stopped) {
    stopAt = now();
    stopped = batcher.stop();
  }
  let stopDone = false;
  void stopped.then(() => (stopDone = true));
  await vi.advanceTimersByTimeAsync(PRODUCE_TIMEOUT * 4);
  expect(stopDone).toBe(true);

  const st = batcher.status();
  expect(st).toMatchObject({ state: 'stopped', queuedEvents: 0, inFlightEvents: 0, inFlightBatches: 0 });

  const sentKeys = sends.flatMap((s) => s.keys);
  expect(new Set(sentKeys).size).toBe(sentKeys.length); // nothing sent twice

  for (const sub of subs) {
    expect(sub.settledAt, `submission at ${sub.at} ms left pending`).not.toBeNull();
    const waited = sub.settledAt! - sub.at;
    if (sub.n === 0) {
      expect(sub.outcome).toBe('ok');
      continue;
    }
    if (reachableThroughout(sub.at, sub.at + FLUSH + PRODUCE_TIMEOUT)) {
      expect(waited, `submission at ${sub.at} ms took ${waited} ms with the broker reachable`).toBeLessThanOrEqual(FLUSH + PRODUCE_TIMEOUT);
    }
    const fits = sub.depthBefore + sub.n <= BUFFER;
    if (!sub.afterStop && sub.at < stopAt && fits && reachableThroughout(sub.at - PRODUCE_TIMEOUT - PROBE - LATENCY_MAX, sub.at + FLUSH + PRODUCE_TIMEOUT)) {
      expect(sub.outcome, `submission at ${sub.at} ms refused against a broker reachable since long before`).toBe('ok');
    }
    if (sub.outcome === 'ok') {
      // written whole, in one acknowledged send
      const carrier = sends.filter((s) => s.keys.includes(sub.keys[0]!));
      expect(carrier).toHaveLength(1);
      expect(carrier[0]!.outcome).toBe('ok');
      const start = carrier[0]!.keys.indexOf(sub.keys[0]!);
      expect(carrier[0]!.keys.slice(start, start + sub.n)).toEqual(sub.keys);
    } else {
      expect(sub.outcome).toBeInstanceOf(UnavailableError);
      if (sub.refusedAtSubmit || sub.afterStop) expect(sentKeys).not.toContain(sub.keys[0]);
      if (sub.outcome!.reason === 'buffer_full') expect(fits).toBe(false);
    }
  }

  // counters add up
  const ok = subs.filter((s) => s.n > 0 && s.outcome === 'ok');
  expect(st.sentEvents).toBe(ok.reduce((a, s) => a + s.n, 0));
  const okSends = sends.filter((s) => s.keys.some((k) => ok.some((o) => o.keys.includes(k))));
  expect(st.sentBatches).toBe(okSends.length);
  expect(st.sentBatches + st.failedBatches).toBe(sends.length);
  expect(st.refused).toBe(subs.filter((s) => s.refusedAtSubmit).length);
}

describe('Batcher contract (property, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds over random histories of submissions, broker faults, recovery and stop', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, async (ops) => {
        vi.clearAllTimers();
        await runHistory(ops);
      }),
      { numRuns: 300 },
    );
  });

  it('the wedge history: down, an all-duplicate (empty) request after the probe interval, then traffic', async () => {
    await runHistory([
      { t: 'submit', n: 1 },
      { t: 'broker', mode: 'hang', latency: 5 },
      { t: 'submit', n: 2 },
      { t: 'wait', ms: PRODUCE_TIMEOUT + 10 },
      { t: 'broker', mode: 'up', latency: 5 },
      { t: 'wait', ms: PROBE + 10 },
      { t: 'submit', n: 0 },
      { t: 'wait', ms: PRODUCE_TIMEOUT + LATENCY_MAX },
      { t: 'submit', n: 1 },
      { t: 'wait', ms: 50 },
      { t: 'submit', n: 1 },
      { t: 'wait', ms: 500 },
    ]);
  });
});
