// The ingest port: what the HTTP API needs from the write path, and the one error the write path raises when
// an event cannot be stored now. src/kafka/producer.ts implements the port; src/api/ depends only on this file.
import type { EmojiEvent } from '../domain/event.ts';
import type { Readiness } from './readiness.ts';

export interface IngestPort {
  /**
   * Write `events` all-or-nothing; resolves once the broker acknowledged them. `clientEventIds[i]` marks an
   * event_id the client chose (an idempotency key). Rejects with UnavailableError (→ 503).
   */
  submit(events: EmojiEvent[], clientEventIds?: boolean[]): Promise<void>;
  /** Joins GET /readyz when present. */
  readiness?(): Promise<Readiness[]>;
}

export type UnavailableReason = 'buffer_full' | 'kafka_unavailable' | 'stopped';

/** The one error callers see when an event cannot be stored now; the API maps it to 503 + Retry-After. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}
