import { describe, expect, it } from 'vitest';
import { idOfRecord } from '../domain/window.ts';
import { windowFrame } from '../push/frames.ts';
import { WindowHistory } from './history.ts';
import { testWindow } from '../../tests/support/broadcast.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const fill = (h: WindowHistory, matches: string[], at = (i: number) => T0 + i * 2000) =>
  matches.map((m, i) => {
    const w = testWindow(m, T0 + i * 2000);
    h.push(idOfRecord(w), w, windowFrame(idOfRecord(w), w), at(i));
    return idOfRecord(w);
  });
const ids = (frames: Buffer[]) => frames.map((f) => /^id: (.*)$/m.exec(f.toString())![1]);

describe('WindowHistory', () => {
  it('replays after a known id, filtered by match', () => {
    const h = new WindowHistory(60_000);
    const all = fill(h, ['a', 'b', 'a', 'b', 'a']);
    expect(ids(h.replayAfter(all[1]!, null).frames)).toEqual(all.slice(2));
    expect(ids(h.replayAfter(all[0]!, 'a').frames)).toEqual([all[2], all[4]]);
    expect(h.replayAfter(all[4]!, null)).toEqual({ reset: false, frames: [] });
    expect(h.replayAfter(null, null)).toEqual({ reset: false, frames: [] });
  });

  it('an unknown id inside the span replays windows that started after it; outside it resets', () => {
    const h = new WindowHistory(60_000);
    const all = fill(h, ['a', 'a', 'a']);
    expect(h.replayAfter(`b:${T0 + 1000}`, null)).toMatchObject({ reset: false });
    expect(ids(h.replayAfter(`b:${T0 + 1000}`, null).frames)).toEqual(all.slice(1));
    expect(h.replayAfter(`a:${T0 - 2000}`, null).reset).toBe(true);
    expect(h.replayAfter('garbage', null).reset).toBe(true);
  });

  it('caps a replay: the newest frames within the frame and byte caps, as a reset', () => {
    const h = new WindowHistory(60_000);
    const all = fill(h, ['a', 'b', 'a', 'b', 'a', 'b']);
    const size = h.replayAfter(all[4]!, null).frames[0]!.length;
    expect(h.replayAfter(all[0]!, null, { frames: 2, bytes: 1 << 20 })).toMatchObject({ reset: true, capped: 3 });
    expect(ids(h.replayAfter(all[0]!, null, { frames: 2, bytes: 1 << 20 }).frames)).toEqual(all.slice(4));
    expect(ids(h.replayAfter(all[0]!, 'a', { frames: 10, bytes: size }).frames)).toEqual([all[4]]);
    expect(h.replayAfter(all[0]!, 'a', { frames: 10, bytes: size })).toMatchObject({ reset: true, capped: 1 });
    // exactly at the cap: no reset
    expect(h.replayAfter(all[3]!, null, { frames: 2, bytes: 2 * size + 10 })).toMatchObject({ reset: false });
    // an old id (already a reset) stays one, within the cap
    expect(h.replayAfter(`a:${T0 - 60_000}`, null, { frames: 1, bytes: 1 << 20 }).frames).toHaveLength(1);
    // nothing fits: a reset and no frame
    expect(h.replayAfter(all[0]!, null, { frames: 5, bytes: 1 })).toEqual({ reset: true, frames: [], capped: 5 });
  });

  it('forgets windows older than historyMs and beyond maxEntries', () => {
    const h = new WindowHistory(5_000, 3);
    const all = fill(h, ['a', 'a', 'a', 'a', 'a'], () => T0);
    expect(h.size).toBe(3);
    expect(h.replayAfter(all[0]!, null).reset).toBe(true);
    h.prune(T0 + 5_001);
    expect(h.size).toBe(0);
  });
});
