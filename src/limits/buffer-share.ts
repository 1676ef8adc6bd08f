// Each client's share of the shared ingest buffer (events waiting for, or in flight to, Kafka). A client
// may always hold up to `guaranteedEvents`; beyond that only while the buffer has more than
// `reserveEvents` free. So one client (or several) flooding the API can fill the buffer to
// bufferMaxEvents - reserveEvents at most, and the reserve stays for the clients holding little: they keep
// getting 202 where they would otherwise all get 503 buffer_full. A client refused here gets 429.

export interface BufferShareOptions {
  bufferMaxEvents: number;
  guaranteedEvents: number;
  reserveEvents: number;
}

export class BufferShares {
  private readonly held = new Map<string, number>();
  private total = 0;

  constructor(readonly o: BufferShareOptions) {}

  /** Count `n` events for `key` if its share allows; false: refused (nothing counted). */
  admit(key: string, n: number): boolean {
    const mine = (this.held.get(key) ?? 0) + n;
    if (mine > this.o.guaranteedEvents && this.total + n > this.o.bufferMaxEvents - this.o.reserveEvents) return false;
    this.held.set(key, mine);
    this.total += n;
    return true;
  }

  /** The events of an admitted request were acknowledged or failed. */
  release(key: string, n: number): void {
    const mine = (this.held.get(key) ?? 0) - n;
    if (mine <= 0) this.held.delete(key);
    else this.held.set(key, mine);
    this.total = Math.max(0, this.total - n);
  }

  heldBy(key: string): number {
    return this.held.get(key) ?? 0;
  }

  get heldTotal(): number {
    return this.total;
  }
}
