// Idempotency for client-supplied event_ids, per API instance and in memory, keyed by (user_id, event_id)
// with a hash of the payload (emoji_type, timestamp, match_id):
// - a retry of a key this instance wrote and saw acknowledged is answered without writing again ('done');
// - a retry while the first write is in flight waits for the same acknowledgement ('pending');
// - a key whose write was sent but not confirmed (a produce timeout or error) is kept as 'unknown': the
//   event may be in Kafka. Its retry is written again and answered after its own ack; Kafka Streams and
//   Spark count (user_id, event_id) once, so the possible second copy is not counted twice;
// - a write refused before it was sent (nothing reached Kafka) leaves the key as it was before;
// - the same key with a different payload is a conflict (409) in every state: it is not a retry.
// Bounded by age and by size (oldest first: a Map iterates in insertion order).
import { createHash } from 'node:crypto';
import type { ValidEvent } from '../domain/event.ts';
import { UnavailableError } from '../ports/ingest.ts';

type Entry =
  | { state: 'pending'; hash: string; at: number; ack: Promise<void> }
  | { state: 'done' | 'unknown'; hash: string; at: number };

export type Lookup =
  | { kind: 'new' }
  | { kind: 'conflict' }
  | { kind: 'done' }
  | { kind: 'pending'; ack: Promise<void> }
  | { kind: 'unknown' };

export interface IdempotencyOptions {
  ttlMs: number;
  maxKeys: number;
  now?: () => number;
}

/** The cache key of a client event_id: user_id (printable, so never \u0000) and event_id. */
export const idempotencyKey = (e: Pick<ValidEvent, 'user_id' | 'event_id'>): string => `${e.user_id}\u0000${e.event_id}`;

/** What must be equal for a repeat to be a retry of the same event (the timestamp as normalized). */
export const payloadHash = (e: Pick<ValidEvent, 'emoji_type' | 'timestamp' | 'match_id'>): string =>
  createHash('sha256').update(`${e.emoji_type}\u0000${e.timestamp}\u0000${e.match_id}`).digest('base64url').slice(0, 22);

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly o: IdempotencyOptions) {
    this.now = o.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(key: string, hash: string): Lookup {
    const e = this.live(key);
    if (!e) return { kind: 'new' };
    if (e.hash !== hash) return { kind: 'conflict' };
    return e.state === 'pending' ? { kind: 'pending', ack: e.ack } : { kind: e.state };
  }

  /**
   * Remember `key` as in flight until `ack` settles: success → 'done'; a failure whose write may have reached
   * Kafka → 'unknown'; a failure before anything was sent → the entry it had before (or none).
   */
  track(key: string, hash: string, ack: Promise<void>): void {
    if (this.o.maxKeys <= 0) return;
    const before = this.live(key);
    const entry: Entry = { state: 'pending', hash, at: this.now(), ack };
    this.entries.delete(key);
    this.entries.set(key, entry);
    const settle = (next: Entry | undefined) => {
      if (this.entries.get(key) !== entry) return;
      if (next) this.entries.set(key, next);
      else this.entries.delete(key);
    };
    ack.then(
      () => settle({ state: 'done', hash, at: entry.at }),
      (err: unknown) => {
        const notWritten = err instanceof UnavailableError && err.outcome === 'not_written';
        settle(notWritten ? before : { state: 'unknown', hash, at: entry.at });
      },
    );
    this.evict();
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.at > this.o.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private evict(): void {
    const oldest = this.now() - this.o.ttlMs;
    for (const [id, e] of this.entries) {
      if (this.entries.size > this.o.maxKeys || e.at < oldest) this.entries.delete(id);
      else break;
    }
  }
}
