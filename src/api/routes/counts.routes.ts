// GET /v1/counts?match=…                      → running exact totals of a match (Kafka Streams, exactly-once)
// GET /v1/counts/windows?match=…&from=…&to=…  → exact counts of the 2 s windows starting in [from, to)
// GET /v1/counts/matches                      → running totals of every match (merged over the instances)
// With several instances, the facade (src/streams/distributed.ts) asks the instance holding the match; an
// answer that cannot be whole (rebalancing, a peer not answering) is 503 with Retry-After and the reason.
// Mounted by createApp (src/api/app.ts) when exact counts run; the facade is narrow (src/streams/counts.ts)
// so tests pass a fake.
import { Hono } from 'hono';
import type { CountsFacade } from '../../streams/counts.ts';
import { CountsUnavailableError } from '../../streams/counts.ts';
import { MATCH_ID_RE } from '../../domain/ids.ts';
import type { MatchGate } from '../../matches/service.ts';
import { ApiError } from '../errors.ts';
import { requireMatch } from '../match-gate.ts';

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;

export interface CountsRoutesOptions {
  /** Longest range one windows query may cover (default 1 h: 1,800 windows). */
  maxRangeMs?: number;
  /** Range when `from` is omitted (default 60 s before `to`). */
  defaultRangeMs?: number;
  retryAfterS?: number;
  now?: () => number;
  /** The match lifecycle: a match it does not know (registered: never opened, or forgotten) is 404. */
  matches?: Pick<MatchGate, 'queryable'> | null;
}

function matchParam(v: string | undefined, matches?: Pick<MatchGate, 'queryable'> | null): string {
  if (v === undefined || v === '') throw new ApiError(400, 'required', 'match is required (a match id)', 'match');
  if (!MATCH_ID_RE.test(v)) throw new ApiError(400, 'invalid_format', 'match must be 1–64 characters of A–Z a–z 0–9 . _ -', 'match');
  if (matches) requireMatch(matches.queryable(v), 'match');
  return v;
}

/** ISO-8601 date-time with a zone, or epoch milliseconds. */
export function timeParam(field: string, v: string | undefined, def: number): number {
  if (v === undefined || v === '') return def;
  if (/^\d{1,16}$/.test(v)) {
    const ms = Number(v);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (ISO_RE.test(v)) {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ApiError(400, 'invalid_format', `${field} must be an ISO-8601 date-time (e.g. 2026-11-28T15:00:00.000Z) or epoch milliseconds`, field);
}

/** Run a Kafka Streams query (here or on the peer holding the key); not queryable (CountsUnavailableError) → 503 with Retry-After. */
export const unavailableAs503 = (retryAfterS = 2) => {
  const retryAfter = String(retryAfterS);
  return async <T>(fn: () => T | Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CountsUnavailableError) {
        throw new ApiError(503, 'unavailable', `${err.message}; retry after ${retryAfter} s`, undefined, undefined, { 'Retry-After': retryAfter });
      }
      throw err;
    }
  };
};

export function countsRoutes(counts: CountsFacade, o: CountsRoutesOptions = {}): Hono {
  const maxRangeMs = o.maxRangeMs ?? 3_600_000;
  const defaultRangeMs = o.defaultRangeMs ?? 60_000;
  const now = o.now ?? Date.now;
  const guarded = unavailableAs503(o.retryAfterS);

  return new Hono()
    .get('/', async (c) => {
      const match = matchParam(c.req.query('match'), o.matches);
      return c.json(await guarded(() => counts.totals(match)));
    })
    .get('/matches', async (c) => {
      if (!counts.matches) throw new ApiError(404, 'not_found', 'totals of every match are not available here');
      return c.json(await guarded(() => counts.matches!()));
    })
    .get('/windows', async (c) => {
      const match = matchParam(c.req.query('match'), o.matches);
      const to = timeParam('to', c.req.query('to'), now());
      const from = timeParam('from', c.req.query('from'), to - defaultRangeMs);
      if (from >= to) throw new ApiError(400, 'invalid_range', 'from must be before to', 'from');
      if (to - from > maxRangeMs) {
        throw new ApiError(400, 'range_too_long', `from..to may span at most ${maxRangeMs} ms, got ${to - from} ms`, 'to');
      }
      return c.json(await guarded(() => counts.windows(match, from, to)));
    });
}

