// The match lifecycle's refusals as API errors (MATCH_POLICY, README "Matches"): the routes ask the gate
// (src/matches/service.ts) before anything reaches Kafka or the actors, and throw what this returns.
import type { Admission } from '../matches/registry.ts';
import { ApiError } from './errors.ts';

/**
 * Throw the refusal (404 unknown_match, 409 match_closed, 503 too_many_live_matches with Retry-After) as an
 * ApiError naming `field`; `suffix` ends the message (the ingest routes say that nothing was written).
 */
export function requireMatch(r: Admission, field: string, suffix = ''): void {
  if (r.ok) return;
  const headers = r.retryAfterS !== undefined ? { 'Retry-After': String(r.retryAfterS) } : undefined;
  throw new ApiError(r.status, r.code, r.message + suffix, field, undefined, headers);
}
