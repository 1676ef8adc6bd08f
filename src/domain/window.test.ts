import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MOOD_TABLE, moodOf } from '../mood.ts';
import { idOfRecord, makeWindow, parseLiveRecord, parseWindowId, parseWindowRecord, scale, windowStartOf } from './window.ts';

const read = (f: string) => JSON.parse(readFileSync(new URL(`../../contracts/${f}`, import.meta.url), 'utf8'));
const scaleExamples = read('scale-rule.json').examples as { count: number; factor: number; swarm: number }[];
const windows = read('windows.json');
const mood = read('mood.json');

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
    expect(Object.keys(rec)).toEqual(Object.keys(ex.expected.record)); // the contract's field order
    expect(idOfRecord(rec)).toBe(ex.expected.id);
  });
  it('the live record: the window record of the same counts with seq last, parsed back; without a seq it is not live', () => {
    const ex = windows.live.record;
    const rec = { ...makeWindow(ex.match_id, Date.parse(ex.window_start), windows.windowMs, ex.counts, windows.factor), seq: ex.seq };
    expect(rec).toEqual(ex);
    expect(parseLiveRecord(JSON.stringify(ex))).toEqual(ex);
    const { seq: _seq, ...closed } = ex;
    expect(parseLiveRecord(JSON.stringify(closed))).toBeNull();
    expect(parseLiveRecord(JSON.stringify({ ...ex, seq: 0 }))).toBeNull();
    expect(parseWindowRecord(JSON.stringify(closed))).toEqual(closed);
  });
  it('parses ids whose match id contains a colon', () => {
    expect(parseWindowId('a:b:1000')).toEqual({ matchId: 'a:b', windowStartMs: 1000 });
    expect(parseWindowId('nocolon')).toBeNull();
    expect(parseWindowId('m:-5')).toBeNull();
  });
});

describe('mood (contracts/mood.json, shared with Java)', () => {
  it('the default table is the shared one', () => {
    expect(DEFAULT_MOOD_TABLE).toEqual(mood.emojis);
    for (const [emoji, m] of Object.entries(DEFAULT_MOOD_TABLE)) {
      expect(m.valence, emoji).toBeGreaterThanOrEqual(-1);
      expect(m.valence, emoji).toBeLessThanOrEqual(1);
      expect(m.intensity, emoji).toBeGreaterThan(0);
      expect(m.intensity, emoji).toBeLessThanOrEqual(1);
    }
  });
  it.each(mood.examples as { note: string; counts: Record<string, number>; mood: { score: number; feeling: string } }[])('$note', (ex) => {
    expect(moodOf(ex.counts)).toEqual(ex.mood);
  });
  it('an all-😡 window is negative, an all-🔥/👏 window positive, in the record', () => {
    const angry = makeWindow('m', 0, 2000, { '😡': 50 }, 1000).mood;
    const hype = makeWindow('m', 0, 2000, { '🔥': 30, '👏': 20 }, 1000).mood;
    expect(angry.score).toBeLessThan(0);
    expect(angry.feeling).toBe('anger');
    expect(hype.score).toBeGreaterThan(0);
    expect(hype.feeling).toBe('hype');
  });
  it('another table gives another mood', () => {
    expect(moodOf({ '🔥': 1 }, { '🔥': { valence: -0.5, intensity: 1, feeling: 'dread' } })).toEqual({ score: -0.5, feeling: 'dread' });
  });
  it('a record without a mood (written before windows had one) gets it from its counts; a malformed one is refused', () => {
    const { mood: _m, ...old } = makeWindow('m', 0, 2000, { '😡': 2 }, 1000);
    expect(parseWindowRecord(JSON.stringify(old))!.mood).toEqual({ score: -0.9, feeling: 'anger' });
    expect(parseWindowRecord(JSON.stringify({ ...old, mood: 'angry' }))).toBeNull();
  });
});
