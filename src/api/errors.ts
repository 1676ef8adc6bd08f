// Typed API errors. Handlers throw; the one onError in app.ts turns them into
// `{"error":{"code","message","field"?,"details"?,"details_total"?}}` with the right status, and notes the
// code on the context (`c.get('errorCode')`), where the request metrics read it instead of parsing the body.
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UnavailableError } from '../ports/ingest.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** The `error.code` of the refusal this request was answered with (set by the app's onError / notFound). */
    errorCode: string;
  }
}

export interface ErrorDetail {
  index?: number;
  field: string;
  code: string;
  message: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
    /** How many details there were in all, when `details` holds only the first of them. */
    readonly detailsTotal?: number,
  ) {
    super(message);
  }

  toJSON() {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.field !== undefined ? { field: this.field } : {}),
        ...(this.details ? { details: this.details } : {}),
        ...(this.details && this.detailsTotal !== undefined ? { details_total: this.detailsTotal } : {}),
      },
    };
  }
}

/** A refusal as it is answered: status, JSON body, the headers it adds, and its code (metrics, access log). */
export interface Refusal {
  status: ContentfulStatusCode;
  code: string;
  body: unknown;
  headers?: Record<string, string>;
}

/**
 * How an ApiError or the write path's UnavailableError is answered (the app's onError, and the POST
 * /v1/emoji fast path); null for any other error. `retryAfter`: INGEST_RETRY_AFTER_S, as a string.
 */
export function refusalOf(err: unknown, retryAfter: string): Refusal | null {
  if (err instanceof ApiError) return { status: err.status, code: err.code, body: err.toJSON(), headers: err.headers };
  if (err instanceof UnavailableError) {
    const code = err.reason === 'buffer_full' ? 'overloaded' : 'unavailable';
    // `outcome`: not_written (refused before sending) or unknown (sent, unconfirmed: it may be in Kafka).
    // Either way the safe answer is the same: retry with the same event_id, which is counted once.
    const hint = err.outcome === 'unknown' ? 'the event may have been written; retry with the same event_id' : 'nothing was written';
    const body = { error: { code, message: `${err.message}; ${hint}; retry after ${retryAfter} s`, outcome: err.outcome } };
    return { status: 503, code, body, headers: { 'Retry-After': retryAfter } };
  }
  return null;
}

/** The answer to an unexpected error (logged by the caller, never shown). */
export const INTERNAL_ERROR = { error: { code: 'internal', message: 'internal server error' } };
