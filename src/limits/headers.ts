// The IETF httpapi draft's header fields (draft-ietf-httpapi-ratelimit-headers-09), for a refusal:
//   RateLimit-Policy: "user";q=100;w=10        the policy: quota q per window w seconds (here: the bucket's
//                                               burst, and the seconds it takes to refill from empty)
//   RateLimit: "user";r=0;t=7                  the state: r units left, t seconds until the bucket is full
//   Retry-After: 1                              seconds until this request's cost would fit (RFC 9110)
// Units are events on ingest and requests elsewhere (the draft's default unit is the request; the README
// says which unit each policy counts). A concurrency limit uses the draft's qu="concurrent-requests".
import type { BucketPolicy, BucketState } from './token-buckets.ts';

export type LimitHeaders = Record<'RateLimit-Policy' | 'RateLimit' | 'Retry-After', string>;

const sfString = (s: string) => `"${s.replace(/[\\"]/g, '\\$&')}"`;

export function bucketHeaders(policy: BucketPolicy, state: BucketState, retryAfterMs: number): LimitHeaders {
  const w = Math.max(1, Math.ceil(policy.burst / policy.ratePerS));
  return {
    'RateLimit-Policy': `${sfString(policy.name)};q=${policy.burst};w=${w}`,
    RateLimit: `${sfString(policy.name)};r=${state.remaining};t=${state.fullInS}`,
    'Retry-After': String(retryAfterS(retryAfterMs, w)),
  };
}

/** A cap on things held at once (open streams, buffered events): no window, nothing left until one ends. */
export function concurrencyHeaders(name: string, quota: number, retryAfterSeconds: number, unit = 'concurrent-requests'): LimitHeaders {
  return {
    'RateLimit-Policy': `${sfString(name)};q=${quota};qu=${sfString(unit)}`,
    RateLimit: `${sfString(name)};r=0`,
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  };
}

/** Whole seconds, at least 1; a cost that can never fit (above the burst) says the refill window. */
export const retryAfterS = (ms: number, windowS: number) => (Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : windowS);
