import { describe, expect, it } from 'vitest';
import { makeWindow } from '../domain/window.ts';
import { DISCONNECT, type DisconnectReason } from './disconnect.ts';
import { HEARTBEAT_FRAME, disconnectFrame, momentFrame, resetFrame, retryFrame, windowFrame } from './frames.ts';
import { parseWindowRecord } from '../domain/window.ts';
import { parseMomentRecord } from '../domain/moment.ts';

describe('SSE frames', () => {
  it('encodes a window as id, event and one data line of JSON, ended by a blank line', () => {
    const w = makeWindow('ind-aus', Date.UTC(2026, 10, 28, 15, 0, 0), 2000, { '🔥': 1500 }, 1000);
    const text = windowFrame('ind-aus:1795878000000', w).toString('utf8');
    expect(text).toBe(`id: ind-aus:1795878000000\nevent: window\ndata: ${JSON.stringify(w)}\n\n`);
    expect(text.split('\n\n')).toHaveLength(2); // one frame: no blank line inside (JSON.stringify has no newlines)
  });

  it('strips CR, LF and NUL from the id line, so data cannot end it and inject a field or an event', () => {
    const w = makeWindow('x', Date.UTC(2026, 10, 28, 15, 0, 0), 2000, { '🔥': 1 }, 1000);
    for (const evil of ['x\r\nevent: pwned\ndata: 1\n\n', 'x\rretry: 1', 'x\0y']) {
      const text = windowFrame(`${evil}:1`, w).toString('utf8');
      expect(text.split('\n\n')).toHaveLength(2);
      expect(text.split('\n').filter((l) => /^(id|event|data|retry):/.test(l)).map((l) => l.split(':')[0])).toEqual(['id', 'event', 'data']);
      expect(text).not.toMatch(/[\r\0]/);
      const m = momentFrame(`moment:${evil}:1`, { match_id: evil } as never).toString('utf8');
      expect(m.split('\n\n')).toHaveLength(2);
      expect(m).not.toMatch(/[\r\0]/);
    }
  });

  it('refuses window and moment records whose match_id is not an API id (CR/LF, spaces, too long)', () => {
    const w = makeWindow('ind-aus', Date.UTC(2026, 10, 28, 15, 0, 0), 2000, { '🔥': 1 }, 1000);
    expect(parseWindowRecord(JSON.stringify(w))).not.toBeNull();
    for (const id of ['a\r\nb', 'a b', 'x'.repeat(65), '', '__proto__\n']) {
      expect(parseWindowRecord(JSON.stringify({ ...w, match_id: id })), id).toBeNull();
    }
    const m = { match_id: 'ind-aus', window_start: w.window_start, window_end: w.window_end, peak_emoji: '🔥', score: 9, total: 60, counts: { '🔥': 60 } };
    expect(parseMomentRecord(JSON.stringify(m))).not.toBeNull();
    expect(parseMomentRecord(JSON.stringify({ ...m, match_id: 'a\nevent: x' }))).toBeNull();
  });

  it('encodes reset, retry and heartbeat frames', () => {
    expect(resetFrame('m:1').toString()).toBe('event: reset\ndata: {"reason":"history","last_event_id":"m:1"}\n\n');
    expect(retryFrame(1500).toString()).toBe('retry: 1500\n\n');
    expect(HEARTBEAT_FRAME.toString()).toBe(':hb\n\n');
  });

  it('tells the viewer the typed reason, its code and whether to reconnect', () => {
    const text = disconnectFrame('unavailable', { retry_ms: 250 }).toString();
    expect(text.startsWith('event: disconnect\ndata: ')).toBe(true);
    expect(JSON.parse(text.slice('event: disconnect\ndata: '.length))).toEqual({
      reason: 'unavailable',
      code: 3011,
      reconnect: true,
      message: 'cluster publisher restarting; reconnect after the retry hint',
      retry_ms: 250,
    });
  });

  it('keeps the code ranges: 3000–3499 reconnect, 3500+ terminal, each code once', () => {
    const reasons = Object.keys(DISCONNECT) as DisconnectReason[];
    for (const r of reasons) expect(DISCONNECT[r].reconnect, r).toBe(DISCONNECT[r].code < 3500);
    expect(new Set(reasons.map((r) => DISCONNECT[r].code)).size).toBe(reasons.length);
  });
});
