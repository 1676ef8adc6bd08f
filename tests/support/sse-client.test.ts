// The tools' SSE parser reads exactly what src/push/frames.ts writes, however the bytes are cut.
import { describe, expect, it } from 'vitest';
import { makeWindow } from '../../src/domain/window.ts';
import { HEARTBEAT_FRAME, disconnectFrame, resetFrame, retryFrame, windowFrame } from '../../src/push/frames.ts';
import { SseParser, type SseEvent } from './sse-client.ts';

function parse(chunks: string[]) {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const p = new SseParser({ event: (e) => events.push(e), comment: (c) => comments.push(c), retry: (ms) => retries.push(ms) });
  for (const c of chunks) p.push(c);
  return { events, comments, retries };
}

const w = makeWindow('ind-aus', Date.UTC(2026, 10, 28, 15, 0, 0), 2000, { '🔥': 1500, '😀': 3 }, 1000);
const stream = Buffer.concat([retryFrame(1500), windowFrame('ind-aus:1', w), HEARTBEAT_FRAME, resetFrame('x:1'), disconnectFrame('left')]).toString();
const expected = {
  events: [
    { event: 'window', id: 'ind-aus:1', data: JSON.stringify(w) },
    { event: 'reset', data: '{"reason":"history","last_event_id":"x:1"}' },
    { event: 'disconnect', data: '{"reason":"left","code":3502,"reconnect":false,"message":"subscription deleted"}' },
  ],
  comments: [':hb'],
  retries: [1500],
};

describe('SseParser', () => {
  it('reads every frame the server encodes', () => {
    expect(parse([stream])).toEqual(expected);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    for (let cut = 1; cut < stream.length; cut += 7) expect(parse([stream.slice(0, cut), stream.slice(cut)])).toEqual(expected);
    expect(parse([...stream])).toEqual(expected); // one character at a time
  });

  it('joins data lines, defaults the event name, and skips lines that are no field (chunk sizes on a raw socket)', () => {
    const raw = '1f\r\nevent: a\ndata: one\ndata: two\n\n\r\n9\r\ndata:x\n\nid: only\n\n';
    expect(parse([raw]).events).toEqual([
      { event: 'a', data: 'one\ntwo' },
      { event: 'message', data: 'x' },
    ]);
  });
});
