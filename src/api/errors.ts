// Typed API errors. Handlers throw; the one onError in app.ts turns them into
// `{"error":{"code","message","field"?,"details"?}}` with the right status.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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
      },
    };
  }
}
