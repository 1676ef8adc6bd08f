// Typed API errors. Handlers throw; the one onError in app.ts turns them into
// `{"error":{"code","message","field"?,"details"?,"details_total"?}}` with the right status, and notes the
// code on the context (`c.get('errorCode')`), where the request metrics read it instead of parsing the body.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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
