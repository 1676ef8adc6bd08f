import { describe, expect, it } from 'vitest';
import { makeWindow } from '../domain/window.ts';
import { reconcileWindows } from './reconcile.ts';

const T = Date.parse('2026-11-28T15:00:00.000Z');
const w = (start: number, counts: Record<string, number>, match = 'm1') => makeWindow(match, start, 2000, counts, 1000);

describe('reconcileWindows', () => {
  it('agrees when every window has the same counts (key order and repeated Spark windows do not matter)', () => {
    const spark = [w(T, { '🔥': 3, '😀': 1 }), w(T, { '🔥': 3, '😀': 1 }), w(T + 2000, { '😡': 7 })];
    const exact = [w(T + 2000, { '😡': 7 }), w(T, { '😀': 1, '🔥': 3 })];
    const r = reconcileWindows('m1', spark, exact);
    expect(r).toMatchObject({ windows: 2, agreeing: 2, ok: true, spark_total: 11, exact_total: 11 });
  });

  it('lists windows that differ or that only one side has', () => {
    const spark = [w(T, { '🔥': 4 }), w(T + 2000, { '😡': 7 })];
    const exact = [w(T, { '🔥': 3 }), w(T + 4000, { '😀': 1 }), w(T, { '🔥': 9 }, 'other')];
    const r = reconcileWindows('m1', spark, exact);
    expect(r.ok).toBe(false);
    expect(r.differing).toEqual([
      { window_start: '2026-11-28T15:00:00.000Z', spark: { '🔥': 4 }, exact: { '🔥': 3 } },
      { window_start: '2026-11-28T15:00:02.000Z', spark: { '😡': 7 }, exact: null },
      { window_start: '2026-11-28T15:00:04.000Z', spark: null, exact: { '😀': 1 } },
    ]);
  });

  it('keeps to the range', () => {
    const r = reconcileWindows('m1', [w(T, { '🔥': 4 }), w(T + 2000, { '🔥': 1 })], [w(T + 2000, { '🔥': 1 })], { fromMs: T + 2000, toMs: T + 4000 });
    expect(r).toMatchObject({ windows: 1, ok: true });
  });
});
