// The ingest port: what the HTTP API needs from the write path, and the one error the write path raises when
// an event cannot be stored now. src/kafka/producer.ts implements the port; src/api/ depends only on this file.
import type { ValidEvent } from '../domain/event.ts';
import type { Readiness } from './readiness.ts';

export interface IngestPort {
  /**
   * Write `events` all-or-nothing; resolves once the broker acknowledged them. The write path stamps
   * `received_at` when it admits them. `clientEventIds[i]` marks an event_id the client chose (an idempotency
   * key, per user_id). Rejects with UnavailableError (→ 503) or IdempotencyConflictError (→ 409).
   */
  submit(events: ValidEvent[], clientEventIds?: boolean[]): Promise<void>;
  /** Joins GET /readyz when present. */
  readiness?(): Promise<Readiness[]>;
}

export type UnavailableReason = 'buffer_full' | 'kafka_unavailable' | 'stopped';

/**
 * What a refused write left behind: `not_written` (refused before it was sent: nothing reached Kafka), or
 * `unknown` (it was sent, and the broker's answer failed or did not come in time: it may be in Kafka).
 */
export type WriteOutcome = 'not_written' | 'unknown';

/** The one error callers see when an event cannot be stored now; the API maps it to 503 + Retry-After. */
export class UnavailableError extends Error {
  override readonly name = 'UnavailableError';
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    override readonly cause?: unknown,
    readonly outcome: WriteOutcome = 'not_written',
  ) {
    super(message);
  }
}

/** A client event_id this user already used for a different payload (→ 409); nothing of the request was written. */
export class IdempotencyConflictError extends Error {
  override readonly name = 'IdempotencyConflictError';
  constructor(
    /** Position of the event in the request (0 for a single event). */
    readonly index: number,
    readonly eventId: string,
  ) {
    super(`event_id ${JSON.stringify(eventId)} was already used by this user_id for a different event (emoji_type, timestamp or match_id differ)`);
  }
}
