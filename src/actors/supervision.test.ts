import { describe, expect, it } from 'vitest';
import { makeWindow } from '../domain/window.ts';
import { RecentWindows } from './recent-windows.ts';
import { afterFailure, backoffMs, nextGeneration, retryIn, type ClusterRecord } from './supervision.ts';

const B = { initialMs: 100, maxMs: 1000, resetAfterMs: 60_000 };
const rec: ClusterRecord = { id: 'c1', generation: 1, ref: null, status: 'up', failures: 0, restarts: 0, startedAt: 0, restartAt: null };

describe('supervision', () => {
  it('doubles the backoff per failure up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((f) => backoffMs(f, B))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('restarts sooner again once a cluster stayed up long enough', () => {
    const first = afterFailure(rec, 1000, B);
    expect(first).toMatchObject({ delayMs: 100, rec: { status: 'restarting', failures: 1, restartAt: 1100 } });
    const up = nextGeneration(first.rec, 1100);
    expect(up).toMatchObject({ generation: 2, restarts: 1, status: 'up', startedAt: 1100, restartAt: null });
    expect(afterFailure(up, 2000, B).delayMs).toBe(200); // soon after: doubled
    expect(afterFailure(up, 1100 + 60_000, B).delayMs).toBe(100); // after a minute up: forgotten
    expect(retryIn(first.rec, 1050, B)).toBe(50);
    expect(retryIn(rec, 1050, B)).toBe(100);
  });

  it('remembers window ids for the dedup period, and the windows for seeding', () => {
    const r = new RecentWindows(10_000);
    const w = (start: number) => makeWindow('m', start, 2000, { '🔥': 1 }, 1);
    expect(r.add(w(0), 0)).toBe(true);
    expect(r.has(w(0))).toBe(true);
    expect(r.add(w(0), 1)).toBe(false);
    expect(r.add(w(2000), 5000)).toBe(true);
    expect(r.since(4000).map((e) => e.window.window_start)).toEqual([w(2000).window_start]);
    r.prune(10_001);
    expect(r.has(w(0))).toBe(false);
    expect(r.has(w(2000))).toBe(true);
  });
});
