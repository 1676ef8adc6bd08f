// A viewer session: deliberately NOT an actor. A subscriber holds up to `subscriberCapacity` (default 10,000)
// of these, and every window is delivered to each of them; an XState actor per viewer would add an event
// dispatch, a snapshot and a mailbox per viewer per window (tens of thousands per window) for no behaviour a
// plain object lacks. As in centrifuge's hub/client/writer split, the subscriber machine is the hub, this is
// the client, and the transport (transport.ts) is the writer with its own bounded queue.
//
// A broadcast never waits on a viewer: `deliver` checks the transport's pending bytes and, past the cap,
// disconnects that one viewer with the typed reason `slow` and returns.
import type { DisconnectReason } from './disconnect.ts';
import type { SessionTransport } from './transport.ts';

export class Session {
  transport: SessionTransport | null = null;
  /** clock time the transport went away (or the reservation was made); null while attached. */
  detachedAt: number | null;
  delivered = 0;
  /** whether a stream ever attached (a reservation that never sees one expires sooner) */
  attachedOnce = false;
  /** clock time of the last window, moment or live frame handed to the transport (or of the attach) */
  lastFrameAt = 0;
  /** first sweep that found bytes pending with none found drained since (null: drained at the last sweep) */
  pendingSince: number | null = null;
  /** Live frames held back while the viewer's queue is not empty, newest per window id (see deliverLive). */
  private pendingLive: Map<string, Buffer> | null = null;

  constructor(
    readonly subscriptionId: string,
    readonly matchId: string | null,
    /** ad hoc viewers (no POST /v1/subscriptions) end when their stream ends. */
    readonly ephemeral: boolean,
    now: number,
  ) {
    this.detachedAt = now;
  }

  wants(matchId: string): boolean {
    return this.matchId === null || this.matchId === matchId;
  }

  /** Hand a frame to the transport, or disconnect this session as `slow`. Returns false if it was dropped. */
  deliver(frame: Buffer, maxPendingBytes: number): boolean {
    const t = this.transport;
    if (t === null || t.closed) return false;
    if (t.pendingBytes() + frame.length > maxPendingBytes) {
      t.close('slow');
      return false;
    }
    t.write(frame);
    this.delivered++;
    return true;
  }

  /**
   * A live frame (the running counts of window `windowId`): written at once when nothing is queued for the viewer;
   * otherwise held, replacing an older one of the same window not yet sent, and written when the queue has drained.
   * A slow viewer gets the newest counts, never a backlog of stale ones. Returns false if the session was cut off.
   */
  deliverLive(windowId: string, frame: Buffer, maxPendingBytes: number): boolean {
    const t = this.transport;
    if (t === null || t.closed) return false;
    if (this.pendingLive === null && t.pendingBytes() === 0) return this.deliver(frame, maxPendingBytes);
    const waiting = this.pendingLive !== null;
    (this.pendingLive ??= new Map()).delete(windowId);
    this.pendingLive.set(windowId, frame);
    if (!waiting) t.whenDrained(() => this.flushLive(t, maxPendingBytes));
    return true;
  }

  /** The closed window supersedes its live frames not yet sent. */
  windowClosed(windowId: string): void {
    this.pendingLive?.delete(windowId);
  }

  private flushLive(t: SessionTransport, maxPendingBytes: number): void {
    const frames = this.pendingLive;
    this.pendingLive = null;
    if (frames === null || this.transport !== t) return;
    for (const f of frames.values()) if (!this.deliver(f, maxPendingBytes)) return;
  }

  attach(transport: SessionTransport, preamble: Buffer[], now: number): void {
    if (this.transport && this.transport !== transport && !this.transport.closed) this.transport.close('replaced');
    this.transport = transport;
    this.pendingLive = null;
    this.detachedAt = null;
    this.attachedOnce = true;
    this.lastFrameAt = now;
    this.pendingSince = null;
    for (const f of preamble) transport.write(f);
  }

  /**
   * Sampled by its subscriber's sweep: true once bytes have been pending at every sweep for `stallMs` (the
   * reader makes no progress, or never catches up), false otherwise.
   */
  stalled(now: number, stallMs: number): boolean {
    const t = this.transport;
    if (t === null || t.closed || t.pendingBytes() === 0) {
      this.pendingSince = null;
      return false;
    }
    this.pendingSince ??= now;
    return stallMs > 0 && now - this.pendingSince >= stallMs;
  }

  /** Forget `transport` if it is still ours; returns whether it was. */
  detach(transport: SessionTransport, now: number): boolean {
    if (this.transport !== transport) return false;
    this.transport = null;
    this.detachedAt = now;
    return true;
  }

  end(reason: DisconnectReason): void {
    const t = this.transport;
    this.transport = null;
    if (t && !t.closed) t.close(reason);
  }
}
