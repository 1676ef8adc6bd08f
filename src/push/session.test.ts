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
    s.attach(t, [Buffer.from('event: reset\ndata: {}\n\n')]);
    expect(s.detachedAt).toBeNull();
    expect(s.deliver(frame, 1000)).toBe(true);
    expect(t.text()).toBe(`event: reset\ndata: {}\n\n${frame}`);
    t.pending = 1000 - frame.length + 1; // the viewer stopped reading
    expect(s.deliver(frame, 1000)).toBe(false);
    expect(t.closedWith).toBe('slow');
    expect(s.delivered).toBe(1);
  });

  it('a second stream replaces the first; only the current one detaches it', () => {
    const s = new Session('s', null, false, 0);
    const first = new FakeTransport();
    const second = new FakeTransport();
    s.attach(first, []);
    s.attach(second, []);
    expect(first.closedWith).toBe('replaced');
    expect(s.detach(first, 5)).toBe(false);
    expect(s.detach(second, 7)).toBe(true);
    expect(s.detachedAt).toBe(7);
    expect(s.deliver(frame, 1000)).toBe(false); // nobody to write to
  });

  it('end closes the stream with the reason given', () => {
    const s = new Session('s', null, false, 0);
    const t = new FakeTransport();
    s.attach(t, []);
    s.end('shutdown');
    expect(t.closedWith).toBe('shutdown');
    expect(s.transport).toBeNull();
  });
});
