// The SSE writer: one viewer's stream over a raw Node `ServerResponse` (not Hono's streamSSE, which costs
// ~3.5x per message and exposes no backpressure; NODE-NOTES.md). `write` never blocks: Node queues what the
// socket cannot take yet, and `pendingBytes()` (the response's writableLength, socket buffer included) is
// what a session checks against its cap before each frame.
import type { ServerResponse } from 'node:http';
import { DISCONNECT, type DisconnectReason, type SessionTransport } from '../actors/session.ts';
import { disconnects } from '../metrics/registry.ts';

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no', // tell a proxy in front not to buffer the stream
} as const;

/** `event: disconnect` with the typed reason (centrifuge-style code, and whether to reconnect). */
export function disconnectFrame(reason: DisconnectReason | 'unavailable', extra: Record<string, unknown> = {}): Buffer {
  const d =
    reason === 'unavailable'
      ? { code: 3011, reconnect: true, message: 'cluster publisher restarting; reconnect after the retry hint' }
      : DISCONNECT[reason];
  return Buffer.from(`event: disconnect\ndata: ${JSON.stringify({ reason, ...d, ...extra })}\n\n`);
}

export class SseTransport implements SessionTransport {
  private started = false;
  private closedReason: DisconnectReason | 'gone' | null = null;

  constructor(private readonly res: ServerResponse, private readonly retryMs: number) {}

  /** Send the headers and the `retry:` hint now, so the client sees the stream open before any event. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.res.writeHead(200, SSE_HEADERS);
    this.res.flushHeaders();
    this.res.write(`retry: ${this.retryMs}\n\n`);
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.started) this.start();
    this.res.write(chunk);
  }

  pendingBytes(): number {
    return this.res.writableLength;
  }

  get closed(): boolean {
    return this.closedReason !== null || this.res.destroyed;
  }

  get reason(): DisconnectReason | 'gone' | null {
    return this.closedReason;
  }

  /** The client went away (the response's 'close'). */
  markGone(): void {
    if (this.closedReason === null) {
      this.closedReason = 'gone';
      disconnects.inc({ reason: 'gone' });
    }
  }

  close(reason: DisconnectReason): void {
    if (this.closed) return;
    this.closedReason = reason;
    disconnects.inc({ reason });
    if (reason === 'slow') {
      // Its queue is full: telling it why would only queue more. Drop the connection now.
      this.res.destroy();
      return;
    }
    if (!this.started) this.start();
    this.res.end(disconnectFrame(reason));
  }
}
