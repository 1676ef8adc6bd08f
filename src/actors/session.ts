// A viewer session: deliberately NOT an actor. A subscriber holds up to `subscriberCapacity` (default 10,000)
// of these, and every window is delivered to each of them; an XState actor per viewer would add an event
// dispatch, a snapshot and a mailbox per viewer per window (tens of thousands per window) for no behaviour a
// plain object lacks. As in centrifuge's hub/client/writer split, the subscriber machine is the hub, this is
// the client, and the transport (src/api/sse.ts) is the writer with its own bounded queue.
//
// A broadcast never waits on a viewer: `deliver` checks the transport's pending bytes and, past the cap,
// disconnects that one viewer with the typed reason `slow` and returns.

/** Why a session ended. Codes follow centrifuge's idea: 3000–3499 the client may reconnect, 3500+ terminal. */
export const DISCONNECT = {
  shutdown: { code: 3001, reconnect: true, message: 'server shutting down' },
  slow: { code: 3008, reconnect: true, message: 'viewer too slow: pending bytes over the cap' },
  cluster_failed: { code: 3010, reconnect: true, message: 'cluster publisher failed; reconnect with Last-Event-ID' },
  replaced: { code: 3501, reconnect: false, message: 'another stream took over this subscription' },
  left: { code: 3502, reconnect: false, message: 'subscription deleted' },
  expired: { code: 3503, reconnect: false, message: 'subscription expired while disconnected' },
} as const;
export type DisconnectReason = keyof typeof DISCONNECT;

/** What a session writes to; src/api/sse.ts implements it over a raw Node response. */
export interface SessionTransport {
  /** Queue bytes for the viewer; never blocks. */
  write(chunk: Buffer): void;
  /** Bytes accepted by `write` and not yet handed to the kernel. */
  pendingBytes(): number;
  /** End the stream; for a reconnectable reason the viewer is told why first (if its queue has room). */
  close(reason: DisconnectReason): void;
  readonly closed: boolean;
}

export class Session {
  transport: SessionTransport | null = null;
  /** clock time the transport went away (or the reservation was made); null while attached. */
  detachedAt: number | null;
  delivered = 0;

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

  attach(transport: SessionTransport, preamble: Buffer[]): void {
    if (this.transport && this.transport !== transport && !this.transport.closed) this.transport.close('replaced');
    this.transport = transport;
    this.detachedAt = null;
    for (const f of preamble) transport.write(f);
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
