import { describe, expect, it } from 'vitest';
import { FakeTransport } from '../../tests/support/broadcast.ts';
import { Session } from './session.ts';

const frame = Buffer.from('id: m:1\nevent: window\ndata: {}\n\n');

describe('Session', () => {
  it('wants its match only (or every match without one)', () => {
    expect(new Session('s', 'm', false, 0).wants('m')).toBe(true);
    expect(new Session('s', 'm', false, 0).wants('other')).toBe(false);
    expect(new Session('s', null, false, 0).wants('other')).toBe(true);
  });

  it('writes the preamble on attach, then delivers frames until the pending bytes pass the cap', () => {
    const s = new Session('s', null, false, 0);
    const t = new FakeTransport();
    s.attach(t, [Buffer.from('event: reset\ndata: {}\n\n')], 0);
    expect(s.detachedAt).toBeNull();
    expect(s.deliver(frame, 1000)).toBe(true);
    expect(t.text()).toBe(`event: reset\ndata: {}\n\n${frame}`);
    t.pending = 1000 - frame.length + 1; // the viewer stopped reading
    expect(s.deliver(frame, 1000)).toBe(false);
    expect(t.closedWith).toBe('slow');
    expect(s.delivered).toBe(1);
  });

  it('live frames: at once for a viewer that keeps up; for a slow one, the newest per window when its queue drains', () => {
    const s = new Session('s', null, false, 0);
    const t = new FakeTransport();
    s.attach(t, [], 0);
    const live = (w: string, seq: number) => Buffer.from(`event: live\ndata: {"w":"${w}","seq":${seq}}\n\n`);
    expect(s.deliverLive('m:0', live('m:0', 1), 10_000)).toBe(true);
    expect(t.text()).toBe(live('m:0', 1).toString());
    t.pending = 100; // the viewer fell behind
    for (let seq = 2; seq <= 5; seq++) s.deliverLive('m:0', live('m:0', seq), 10_000);
    s.deliverLive('m:2000', live('m:2000', 1), 10_000);
    s.deliverLive('m:4000', live('m:4000', 1), 10_000);
    s.windowClosed('m:4000'); // its closed window went out meanwhile: its live frame is stale
    expect(t.chunks).toHaveLength(1);
    t.drain();
    expect(t.text()).toBe([live('m:0', 1), live('m:0', 5), live('m:2000', 1)].join(''));
    // keeping up again: written at once
    s.deliverLive('m:2000', live('m:2000', 2), 10_000);
    expect(t.chunks).toHaveLength(4);
  });

  it('a second stream replaces the first; only the current one detaches it', () => {
    const s = new Session('s', null, false, 0);
    const first = new FakeTransport();
    const second = new FakeTransport();
    s.attach(first, [], 0);
    s.attach(second, [], 0);
    expect(first.closedWith).toBe('replaced');
    expect(s.detach(first, 5)).toBe(false);
    expect(s.detach(second, 7)).toBe(true);
    expect(s.detachedAt).toBe(7);
    expect(s.deliver(frame, 1000)).toBe(false); // nobody to write to
  });

  it('end closes the stream with the reason given', () => {
    const s = new Session('s', null, false, 0);
    const t = new FakeTransport();
    s.attach(t, [], 0);
    s.end('shutdown');
    expect(t.closedWith).toBe('shutdown');
    expect(s.transport).toBeNull();
  });
});
