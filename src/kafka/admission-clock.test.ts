import { describe, expect, it } from 'vitest';
import { createAdmissionClock } from './admission-clock.ts';

describe('createAdmissionClock', () => {
  it('follows the monotonic clock from the wall-clock anchor, never backwards, and catches up with a wall clock far ahead', () => {
    let wall = 1_000_000;
    let mono = 50;
    const now = createAdmissionClock({ wall: () => wall, mono: () => mono, resyncMs: 1000 });
    expect(now()).toBe(1_000_000);
    mono += 10.6;
    wall += 10;
    expect(now()).toBe(1_000_010);
    wall -= 5000; // the wall clock steps back: the clock does not
    mono += 5;
    expect(now()).toBe(1_000_015);
    wall += 5000 + 900; // the wall clock runs 900 ms ahead: within resyncMs, ignored
    expect(now()).toBe(1_000_015);
    wall += 200; // now 1100 ms ahead: jump forwards to it
    expect(now()).toBe(wall);
    const before = now();
    wall -= 10_000;
    expect(now()).toBeGreaterThanOrEqual(before);
  });

  it('uses the real clocks by default, within a few ms of Date.now', () => {
    const now = createAdmissionClock();
    const a = now();
    expect(Math.abs(a - Date.now())).toBeLessThan(50);
    expect(now()).toBeGreaterThanOrEqual(a);
  });
});
