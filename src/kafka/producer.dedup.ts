// Idempotency for client-supplied event_ids, per API instance and in memory: a retry of an id this instance
// already wrote is answered without writing again; a retry while the first write is in flight waits for the
// same acknowledgement; a failed write forgets the id so the retry writes. Bounded by age and by size
// (oldest first: a Map iterates in insertion order). Across instances, Kafka Streams dedups by event_id.

type Entry = { done: true; at: number } | { done: false; at: number; ack: Promise<void> };

export interface IdempotencyOptions {
  ttlMs: number;
  maxKeys: number;
  now?: () => number;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly o: IdempotencyOptions) {
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  /** 'done' (already acknowledged), the pending acknowledgement to wait for, or undefined (unknown). */
  lookup(id: string): 'done' | Promise<void> | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (this.now() - e.at > this.o.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return e.done ? 'done' : e.ack;
  }

  /** Remember `id` as in flight until `ack` settles: success keeps it, failure forgets it. */
  track(id: string, ack: Promise<void>): void {
    if (this.o.maxKeys <= 0) return;
    const entry: Entry = { done: false, at: this.now(), ack };
    this.entries.delete(id);
    this.entries.set(id, entry);
    ack.then(
      () => {
        if (this.entries.get(id) === entry) this.entries.set(id, { done: true, at: entry.at });
      },
      () => {
        if (this.entries.get(id) === entry) this.entries.delete(id);
      },
    );
    this.evict();
  }

  private evict(): void {
    const oldest = this.now() - this.o.ttlMs;
    for (const [id, e] of this.entries) {
      if (this.entries.size > this.o.maxKeys || e.at < oldest) this.entries.delete(id);
      else break;
    }
  }
}
