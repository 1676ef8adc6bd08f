import { describe, expect, it, vi } from 'vitest';
import { isTick, startTickWriter, tickRecords } from './ticks.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';

const contract = JSON.parse(readFileSync(new URL('../../contracts/ticks.json', import.meta.url), 'utf8')) as {
  key: string;
  ticks: { value: string; received_at_ms: number; instance: string | null }[];
};

describe('ticks', () => {
  it('builds one tick per partition with the contract key and value', () => {
    const r = tickRecords(3, Date.parse('2026-11-28T15:00:01.250Z'));
    expect(r.map((x) => x.partition)).toEqual([0, 1, 2]);
    for (const x of r) {
      expect(x.key).toBe('__tick__');
      expect(JSON.parse(x.value)).toEqual({ type: 'tick', received_at: '2026-11-28T15:00:01.250Z' });
      expect(isTick(JSON.parse(x.value))).toBe(true);
    }
    expect(isTick({ user_id: 'u' })).toBe(false);
  });

  it('writes the shared tick examples (contracts/ticks.json), with and without an instance', () => {
    for (const t of contract.ticks) {
      const [r] = tickRecords(1, t.received_at_ms, t.instance ?? undefined);
      expect(r!.key).toBe(contract.key);
      expect(r!.value).toBe(t.value);
      expect(isTick(JSON.parse(t.value))).toBe(true);
    }
  });

  it('ticks at start, and at each window boundary while events come (the boundary tick waits for one in flight); none once quiet', async () => {
    vi.useFakeTimers({ now: 1100 });
    try {
      const at: number[] = [];
      let hold: (() => void) | null = null;
      const w = startTickWriter({
        intervalMs: 250,
        idleIntervalMs: 60_000,
        quietAfterMs: 3000,
        boundaryMs: 2000,
        instance: 'i-1',
        partitions: () => 2,
        accepting: () => true,
        submit: (records, stamp) => {
          expect(records.map((r) => JSON.parse(r.value).instance)).toEqual(['i-1', 'i-1']);
          at.push(stamp);
          // the tick at 3850 stays in flight over the boundary at 4000
          return stamp === 3850 ? new Promise<void>((r) => (hold = r)) : Promise.resolve();
        },
      });
      await vi.advanceTimersByTimeAsync(1000);
      expect(at).toEqual([1100, 1350, 1600, 1850, 2000, 2100]); // start, every 250 ms, and the boundary at 2000
      await vi.advanceTimersByTimeAsync(1900); // to 4000: the boundary tick finds 3850 in flight
      expect(at.at(-1)).toBe(3850);
      await vi.advanceTimersByTimeAsync(20);
      hold!();
      await vi.advanceTimersByTimeAsync(0);
      expect(at.at(-1)).toBe(4020); // right after the one in flight: the first instant past the boundary it can
      expect(w.boundaries).toBe(2);
      await vi.advanceTimersByTimeAsync(300_000); // quiet: idle interval, no boundary ticks
      const quiet = at.filter((t) => t > 8000);
      expect(quiet.every((t, i) => i === 0 || t - quiet[i - 1]! === 60_000)).toBe(true);
      expect(w.boundaries).toBe(3); // 6000 (within quietAfterMs of the start); none after
      await w.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes on every interval, skips while not accepting or while the previous tick is pending', async () => {
    let accepting = true;
    const acks: (() => void)[] = [];
    const w = startTickWriter({
      intervalMs: 20,
      partitions: () => 2,
      accepting: () => accepting,
      submit: () => new Promise<void>((r) => acks.push(r)),
    });
    // wait for intervals rather than a fixed time: on a loaded machine 70 ms may hold a single interval
    const until = async (ok: () => boolean) => {
      for (const deadline = Date.now() + 5000; !ok() && Date.now() < deadline; ) await sleep(10);
    };
    await until(() => w.skipped >= 1);
    expect(w.skipped).toBeGreaterThanOrEqual(1);
    expect(acks).toHaveLength(1); // the first one is still pending: later ones were skipped
    acks[0]!();
    await until(() => acks.length >= 2);
    expect(w.written).toBe(1);
    expect(acks.length).toBe(2);
    acks[1]!();
    accepting = false;
    const before = acks.length;
    await sleep(60);
    expect(acks.length).toBe(before);
    await w.stop();
  });

  it('backs off on a quiet stream (to the idle interval, once every window has closed) and is back at the interval on the first event', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const at: number[] = [];
      const w = startTickWriter({
        intervalMs: 20,
        idleIntervalMs: 320,
        quietAfterMs: 100,
        partitions: () => 1,
        accepting: () => true,
        submit: async () => void at.push(Date.now()),
      });
      await vi.advanceTimersByTimeAsync(100);
      expect(at).toEqual([0, 20, 40, 60, 80, 100]); // at start, then every interval while within quietAfterMs of the start
      await vi.advanceTimersByTimeAsync(2000);
      // then one more at the interval (the first tick past quietAfterMs), then every idle interval: 320, 320, …
      expect(at.slice(6, 11).map((t, i, a) => (i === 0 ? t - 100 : t - a[i - 1]!))).toEqual([20, 320, 320, 320, 320]);
      expect(w.currentIntervalMs).toBe(320);
      const n = at.length;
      await vi.advanceTimersByTimeAsync(100);
      w.wake(); // an event, 100 ms after the last tick: the next one comes within the interval, not 220 ms later
      expect(w.currentIntervalMs).toBe(20);
      const woke = Date.now();
      await vi.advanceTimersByTimeAsync(60);
      expect(at.slice(n)).toEqual([woke + 20, woke + 40, woke + 60]);
      await vi.advanceTimersByTimeAsync(200); // quiet again past quietAfterMs: backing off
      expect(w.currentIntervalMs).toBeGreaterThan(20);
      await w.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
