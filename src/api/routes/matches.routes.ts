// GET /v1/matches/:id/moments?from=…&to=…&limit=…  → the match's moments, newest first (Kafka Streams)
// GET /v1/matches/:id/summary?moments=…&points=…   → exact totals, the top moments and the mood curve, in one
//                                                     response a broadcaster's graphics system can poll
// A match the exact counts never saw is 404 `unknown_match`. The facades are narrow (src/streams/counts.ts,
// src/domain/mood-curve.ts) so tests pass fakes.
import { Hono } from 'hono';
import type { MoodCurves } from '../../domain/mood-curve.ts';
import type { CountsFacade, MomentsFacade } from '../../streams/counts.ts';
import { ApiError } from '../errors.ts';
import { timeParam, unavailableAs503 } from './counts.routes.ts';
import { MATCH_ID_RE } from '../../domain/ids.ts';
import type { MatchGate } from '../../matches/service.ts';
import { requireMatch } from '../match-gate.ts';

export interface MatchesRoutesOptions {
  counts: Pick<CountsFacade, 'totals'>;
  moments: MomentsFacade;
  /** The mood curves the main publisher collects; null: the summary's curve is empty (mood_available false). */
  moods?: Pick<MoodCurves, 'curve'> | null;
  /** Range of the moments route when `from` is omitted: everything still retained (MOMENTS_RETENTION_MS). */
  retentionMs: number;
  retryAfterS?: number;
  now?: () => number;
  /** The match lifecycle: a match it does not know (registered: never opened, or forgotten) is 404. */
  matches?: Pick<MatchGate, 'queryable'> | null;
}

function intParam(field: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!/^\d{1,9}$/.test(v) || n < min || n > max) {
    throw new ApiError(400, 'invalid_format', `${field} must be an integer from ${min} to ${max}`, field);
  }
  return n;
}

export function matchesRoutes(o: MatchesRoutesOptions): Hono {
  const now = o.now ?? Date.now;
  const guarded = unavailableAs503(o.retryAfterS);

  /** The path's match id, known to the exact counts (404 otherwise). */
  const knownMatch = async (id: string): Promise<string> => {
    if (!MATCH_ID_RE.test(id)) throw new ApiError(400, 'invalid_format', 'the match id must be 1–64 characters of A–Z a–z 0–9 . _ -', 'id');
    if (o.matches) requireMatch(o.matches.queryable(id), 'id');
    if (!(await guarded(() => o.moments.knowsMatch(id)))) {
      throw new ApiError(404, 'unknown_match', `no reaction was ever counted for match ${id}`, 'id');
    }
    return id;
  };

  return new Hono()
    .get('/:id/moments', async (c) => {
      const to = timeParam('to', c.req.query('to'), now());
      const from = timeParam('from', c.req.query('from'), Math.max(0, to - o.retentionMs));
      if (from >= to) throw new ApiError(400, 'invalid_range', 'from must be before to', 'from');
      const limit = intParam('limit', c.req.query('limit'), 100, 1, 1000);
      const id = await knownMatch(c.req.param('id'));
      return c.json(await guarded(() => o.moments.moments(id, from, to, limit)));
    })
    .get('/:id/summary', async (c) => {
      const k = intParam('moments', c.req.query('moments'), 5, 0, 50);
      const maxPoints = intParam('points', c.req.query('points'), 120, 1, 2000);
      const id = await knownMatch(c.req.param('id'));
      const totals = await guarded(() => o.counts.totals(id));
      const top = k > 0 ? await guarded(() => o.moments.topMoments(id, k)) : [];
      const curve = o.moods ? o.moods.curve(id, maxPoints) : { points: [], windows: 0 };
      return c.json({
        match_id: id,
        as_of: totals.as_of,
        totals: totals.totals,
        total: totals.total,
        top_moments: top,
        mood_curve: {
          // false while no window of the match carried a mood (Spark windows without `mood`)
          mood_available: curve.windows > 0,
          windows: curve.windows,
          downsampled: curve.points.length < curve.windows,
          points: curve.points,
        },
      });
    });
}
