import { describe, expect, it } from 'vitest';
import { makeWindow } from '../domain/window.ts';
import { DISCONNECT, type DisconnectReason } from './disconnect.ts';
import { HEARTBEAT_FRAME, disconnectFrame, resetFrame, retryFrame, windowFrame } from './frames.ts';

describe('SSE frames', () => {
  it('encodes a window as id, event and one data line of JSON, ended by a blank line', () => {
    const w = makeWindow('ind-aus', Date.UTC(2026, 10, 28, 15, 0, 0), 2000, { '🔥': 1500 }, 1000);
    const text = windowFrame('ind-aus:1795878000000', w).toString('utf8');
    expect(text).toBe(`id: ind-aus:1795878000000\nevent: window\ndata: ${JSON.stringify(w)}\n\n`);
    expect(text.split('\n\n')).toHaveLength(2); // one frame: no blank line inside (JSON.stringify has no newlines)
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
