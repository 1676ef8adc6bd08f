import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { idOfRecord, makeWindow, parseWindowId, scale, windowStartOf } from './window.ts';

const read = (f: string) => JSON.parse(readFileSync(new URL(`../../contracts/${f}`, import.meta.url), 'utf8'));
const scaleExamples = read('scale-rule.json').examples as { count: number; factor: number; swarm: number }[];
const windows = read('windows.json');

describe('scale rule (contracts/scale-rule.json, shared with Java)', () => {
  it.each(scaleExamples)('$count events at factor $factor → $swarm', ({ count, factor, swarm }) => {
    expect(scale(count, factor)).toBe(swarm);
  });
  it('an emoji with no events is absent', () => {
    expect(makeWindow('m', 0, 2000, { '🔥': 0, '😀': 1 }, 1000).swarm).toEqual({ '😀': 1 });
  });
  it('refuses nonsense', () => {
    expect(() => scale(-1, 1000)).toThrow(RangeError);
    expect(() => scale(1, 0)).toThrow(RangeError);
  });
});

describe('window bounds and ids (contracts/windows.json, shared with Java)', () => {
  it.each(windows.windowOf as { timestamp: string; window_start: string; window_end: string }[])(
    '$timestamp falls in [$window_start, $window_end)',
    ({ timestamp, window_start, window_end }) => {
      const start = windowStartOf(Date.parse(timestamp), windows.windowMs);
      expect(new Date(start).toISOString()).toBe(window_start);
      expect(new Date(start + windows.windowMs).toISOString()).toBe(window_end);
    },
  );
  it.each(windows.records as any[])('record for $match_id', (ex) => {
    const rec = makeWindow(ex.match_id, Date.parse(ex.window_start), windows.windowMs, ex.counts, windows.factor);
    expect(rec).toEqual(ex.expected.record);
    expect(idOfRecord(rec)).toBe(ex.expected.id);
  });
  it('parses ids whose match id contains a colon', () => {
    expect(parseWindowId('a:b:1000')).toEqual({ matchId: 'a:b', windowStartMs: 1000 });
    expect(parseWindowId('nocolon')).toBeNull();
    expect(parseWindowId('m:-5')).toBeNull();
  });
});
