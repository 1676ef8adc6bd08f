// The match admin API (README "Matches: a lifecycle"); createApp puts the admin guard (src/api/admin.ts) in front of /v1/admin/*:
//   GET    /v1/admin/matches      → {"policy","live","max_live","matches":[{match_id,state,opened_at,closed_at,last_event_at}]}
//   PUT    /v1/admin/matches/:id  → 201 opened (200 when it already was); MATCH_POLICY=open: 409 policy_open
//   DELETE /v1/admin/matches/:id  → 200 closed (registered: events and viewers refused from now on, totals kept
//                                   for MATCH_TOTALS_RETENTION_MS) or retired (open: its slot freed); 404 unknown
// Registered matches are written to the compacted lifecycle topic before the answer (every instance reads it).
// Mounted by createApp at /v1/admin/matches.
import { Hono } from 'hono';
import { MATCH_ID_RE } from '../../domain/ids.ts';
import type { AdminResult, MatchAdmin } from '../../matches/service.ts';
import { ApiError } from '../errors.ts';

export interface AdminMatchesDeps {
  matches: MatchAdmin;
  maxLive: number;
}

function matchId(id: string): string {
  if (!MATCH_ID_RE.test(id)) throw new ApiError(400, 'invalid_match_id', 'the match id must be 1–64 characters of A-Z a-z 0-9 . _ -', 'id');
  return id;
}

function answer(r: AdminResult): { match: Extract<AdminResult, { ok: true }>['match'] } {
  if (!r.ok) throw new ApiError(r.status, r.code, r.message, 'id');
  return { match: r.match };
}

export function adminMatchesRoutes(deps: AdminMatchesDeps): Hono {
  const { matches } = deps;
  return new Hono()
    .get('/', (c) => {
      const list = matches.list();
      return c.json({ policy: matches.policy, live: list.filter((m) => m.state !== 'closed').length, max_live: matches.policy === 'open' ? deps.maxLive : null, matches: list });
    })
    .put('/:id', async (c) => {
      const r = await matches.open(matchId(c.req.param('id')));
      return c.json(answer(r), r.ok && r.changed ? 201 : 200);
    })
    .delete('/:id', async (c) => {
      const r = await matches.close(matchId(c.req.param('id')));
      return c.json(answer(r), 200);
    });
}
