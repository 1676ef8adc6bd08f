import { describe, expect, it } from 'vitest';
import { MoodCurves } from './mood-curve.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const win = (i: number, score: number | null, total = 10, feeling?: string) => ({
  match_id: 'm',
  window_start: new Date(T0 + i * 2000).toISOString(),
  window_end: new Date(T0 + i * 2000 + 2000).toISOString(),
  total,
  ...(score === null ? {} : { mood: feeling ? { score, feeling } : { score } }),
});

describe('MoodCurves', () => {
  it('keeps one point per window with mood, oldest first, and skips windows without one', () => {
    const c = new MoodCurves();
    expect(c.add(win(1, 0.5, 10, 'joy'))).toBe(true);
    expect(c.add(win(0, -0.5))).toBe(true); // late: placed by its start
    expect(c.add(win(2, null))).toBe(false);
    expect(c.add(win(1, 0.9))).toBe(false); // a repeat of window 1
    const { points, windows } = c.curve('m', 100);
    expect(windows).toBe(2);
    expect(points.map((p) => [p.score, p.feeling ?? null])).toEqual([[-0.5, null], [0.5, 'joy']]);
    expect(c.curve('other', 100)).toEqual({ points: [], windows: 0 });
  });

  it('downsamples a long match: points weighted by their reactions, spans joined, feeling of the heaviest', () => {
    const c = new MoodCurves();
    for (let i = 0; i < 10; i++) c.add(win(i, i < 5 ? -1 : 1, i === 9 ? 30 : 10, i === 9 ? 'joy' : 'anger'));
    const { points } = c.curve('m', 2);
    expect(points).toHaveLength(2);
    expect(points[0]).toMatchObject({ score: -1, windows: 5, total: 50, window_start: new Date(T0).toISOString(), window_end: new Date(T0 + 10_000).toISOString() });
    expect(points[1]).toMatchObject({ score: 1, windows: 5, total: 70, feeling: 'joy' });
    const mixed = new MoodCurves();
    mixed.add(win(0, 1, 30));
    mixed.add(win(1, -1, 10));
    expect(mixed.curve('m', 1).points[0]!.score).toBe(0.5); // (30 - 10) / 40
  });

  it('bounds memory per match by merging pairs past maxPoints, keeping every window counted', () => {
    const c = new MoodCurves(8);
    for (let i = 0; i < 100; i++) c.add(win(i, 0.1));
    const { points, windows } = c.curve('m', 1000);
    expect(points.length).toBeLessThanOrEqual(8);
    expect(windows).toBe(100);
    expect(points[0]!.window_start).toBe(new Date(T0).toISOString());
    expect(points.at(-1)!.window_end).toBe(new Date(T0 + 200_000).toISOString());
  });
});
