// The SSE writer: one viewer's stream over a raw Node `ServerResponse` (not Hono's streamSSE, which costs
// ~3.5x per message and exposes no backpressure). `write` never blocks: Node queues what the socket cannot
// take yet, and `pendingBytes()` (the response's writableLength, socket buffer included) is what a session
// checks against its cap before each frame.
import type { ServerResponse } from 'node:http';
import { disconnects } from '../metrics/registry.ts';
import type { DisconnectReason } from './disconnect.ts';
import { SSE_HEADERS, disconnectFrame, retryFrame } from './frames.ts';

/** What a session writes to; SseTransport implements it over a Node response, tests with a fake. */
export interface SessionTransport {
  /** Queue bytes for the viewer; never blocks. */
  write(chunk: Buffer): void;
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  pendingBytes(): number;
  /** Run `fn` once nothing is pending any more (at once if nothing is); never if the stream closes first. */
  whenDrained(fn: () => void): void;
  /** End the stream; for a reconnectable reason the viewer is told why first (if its queue has room). */
  close(reason: DisconnectReason): void;
  readonly closed: boolean;
}

export class SseTransport implements SessionTransport {
  private started = false;
  private closedReason: DisconnectReason | 'gone' | null = null;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly res: ServerResponse, private readonly retryMs: number) {}

  /** Send the headers and the `retry:` hint now, so the client sees the stream open before any event. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.res.writeHead(200, SSE_HEADERS);
    this.res.flushHeaders();
    this.res.write(retryFrame(this.retryMs));
  }

  write(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.started) this.start();
    this.res.write(chunk, this.afterWrite);
  }

  pendingBytes(): number {
    return this.res.writableLength;
  }

  whenDrained(fn: () => void): void {
    if (this.res.writableLength === 0) fn();
    else this.drainWaiters.push(fn);
  }

  /** A chunk reached the socket: run the drain waiters once everything has ('drain' fires only after a refused write). */
  private readonly afterWrite = (): void => {
    if (this.drainWaiters.length === 0 || this.closed || this.res.writableLength > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const fn of waiters) fn();
  };

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

/**
 * The cluster publisher is restarting. An EventSource gives up on an error status, but reconnects (keeping
 * Last-Event-ID) after a stream that ends: answer 200 with the retry hint and `event: disconnect`, and end.
 */
export function endUntilRestart(res: ServerResponse, retryMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  res.end(Buffer.concat([retryFrame(retryMs), disconnectFrame('unavailable', { retry_ms: retryMs })]));
}
