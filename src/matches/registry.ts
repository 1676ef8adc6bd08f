// The match lifecycle, pure: which match ids this instance admits, and why it refuses the others. No I/O and
// no clock of its own (every call takes `now`): the composition root (src/app/matches.ts) feeds it the
// lifecycle log (registered matches, from the compacted topic every instance reads), runs its sweep on a
// timer, and the routes ask it before anything reaches Kafka.
//
//   open        any well-formed match_id; the first accepted event makes a match live; at most `maxLive`
//               live at once (PER INSTANCE: the ids this instance admitted); a match with no event for
//               `idleMs` is retired (its slot freed; a later event makes it live again)
//   registered  only matches opened through the admin API (a MatchRecord with state open); a closed match
//               refuses events and subscriptions but its totals stay queryable until `totalsRetentionMs`
//               after it closed, then it is forgotten (unknown: 404)

export type MatchPolicy = 'open' | 'registered';

/** One record of the lifecycle log (the value on TOPIC_MATCHES, key match_id). */
export interface MatchRecord {
  match_id: string;
  state: 'open' | 'closed';
  /** epoch ms */
  opened_at: number;
  closed_at: number | null;
}

export interface MatchRules {
  policy: MatchPolicy;
  maxLive: number;
  idleMs: number;
  totalsRetentionMs: number;
}

export type Refusal = {
  ok: false;
  status: 404 | 409 | 503;
  code: 'unknown_match' | 'match_closed' | 'too_many_live_matches';
  matchId: string;
  message: string;
  /** seconds (503 only): when the least recently active live match retires at the earliest */
  retryAfterS?: number;
};
export type Admission = { ok: true } | Refusal;

/** What GET /v1/admin/matches shows per match. */
export interface MatchView {
  match_id: string;
  state: 'live' | 'open' | 'closed';
  opened_at: string | null;
  closed_at: string | null;
  last_event_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export class MatchRegistry {
  /** open policy: live match → last admitted event (ms); Map order = least recently active first. */
  private readonly live = new Map<string, number>();
  /** registered policy: the latest lifecycle record per match. */
  private readonly records = new Map<string, MatchRecord>();
  /** registered policy: last admitted event per open match (for the listing only). */
  private readonly lastEvent = new Map<string, number>();

  constructor(readonly rules: MatchRules) {}

  get policy(): MatchPolicy {
    return this.rules.policy;
  }

  /**
   * May events for these match ids be written now? All or nothing (a batch naming one refused match is
   * refused whole). Open policy: admitting marks them live (a new one takes a slot, if there is one).
   */
  admit(matchIds: Iterable<string>, now: number): Admission {
    // one event (POST /v1/emoji): its one id as it is, without a Set and a copy per request
    const ids = Array.isArray(matchIds) && matchIds.length === 1 ? (matchIds as string[]) : [...new Set(matchIds)];
    if (this.rules.policy === 'registered') {
      for (const id of ids) {
        const r = this.state(id, now);
        if (r !== null) return r;
      }
      for (const id of ids) this.lastEvent.set(id, now);
      return { ok: true };
    }
    const fresh = ids.filter((id) => !this.live.has(id));
    if (fresh.length > 0 && this.live.size + fresh.length > this.rules.maxLive) {
      this.sweep(now); // an idle match may have retired since the last sweep
      const still = ids.filter((id) => !this.live.has(id));
      if (this.live.size + still.length > this.rules.maxLive) {
        const oldest = this.live.values().next().value ?? now;
        const retryAfterS = Math.max(1, Math.ceil((oldest + this.rules.idleMs - now) / 1000));
        const id = still[0]!;
        return {
          ok: false,
          status: 503,
          code: 'too_many_live_matches',
          matchId: id,
          message: `match ${id} cannot start: ${this.live.size} matches are live, the most this instance serves (MAX_LIVE_MATCHES ${this.rules.maxLive}); a match retires after ${Math.round(this.rules.idleMs / 1000)} s without events (the next in ${retryAfterS} s)`,
          retryAfterS,
        };
      }
    }
    for (const id of ids) {
      this.live.delete(id); // re-insert: most recently active last
      this.live.set(id, now);
    }
    return { ok: true };
  }

  /** May a viewer subscribe to this match? Open: any id. Registered: an open match. */
  subscribable(matchId: string, now: number): Admission {
    if (this.rules.policy === 'open') return { ok: true };
    return this.state(matchId, now) ?? { ok: true };
  }

  /** May its counts, windows and moments be queried? Open: any id. Registered: open, or closed within the retention. */
  queryable(matchId: string, now: number): Admission {
    if (this.rules.policy === 'open') return { ok: true };
    const r = this.state(matchId, now);
    return r === null || r.code === 'match_closed' ? { ok: true } : r;
  }

  /**
   * Should the broadcast deliver this window (it started at `windowStartMs`)? Open: yes (only admitted
   * events make windows). Registered: the match was open when the window started, so the last windows of a
   * match that just closed still reach its viewers, and a window of an unknown or long-closed match does not.
   */
  delivers(matchId: string, windowStartMs: number): boolean {
    if (this.rules.policy === 'open') return true;
    const r = this.records.get(matchId);
    if (!r) return false;
    return r.state === 'open' || windowStartMs < r.closed_at!;
  }

  /** Apply a lifecycle record (from the log, or just written by the admin API); null removes the match. */
  apply(matchId: string, record: MatchRecord | null): void {
    if (record === null) {
      this.records.delete(matchId);
      this.lastEvent.delete(matchId);
      return;
    }
    this.records.set(matchId, record);
    if (record.state === 'closed') this.lastEvent.delete(matchId);
  }

  /** The record the admin API writes to open `matchId` (an open match stays as it is: null). */
  openRecord(matchId: string, now: number): MatchRecord | null {
    const r = this.records.get(matchId);
    if (r?.state === 'open') return null;
    return { match_id: matchId, state: 'open', opened_at: now, closed_at: null };
  }

  /** The record that closes it; null when it is not open (unknown, or already closed). */
  closeRecord(matchId: string, now: number): MatchRecord | null {
    const r = this.records.get(matchId);
    if (r?.state !== 'open') return null;
    return { ...r, state: 'closed', closed_at: now };
  }

  record(matchId: string): MatchRecord | undefined {
    return this.records.get(matchId);
  }

  /** Open policy: retire a live match now (the admin API's DELETE); false when it was not live. */
  retire(matchId: string): boolean {
    return this.live.delete(matchId);
  }

  /**
   * Retire what has expired: open policy, live matches idle for `idleMs`; registered, closed matches past
   * the retention (their ids, so the caller can tombstone them in the log). Returns what it removed.
   */
  sweep(now: number): { retired: string[]; forgotten: string[] } {
    const retired: string[] = [];
    const forgotten: string[] = [];
    for (const [id, at] of this.live) {
      if (now - at < this.rules.idleMs) break; // least recently active first: the rest are newer
      this.live.delete(id);
      retired.push(id);
    }
    for (const [id, r] of this.records) {
      if (r.state === 'closed' && now - r.closed_at! >= this.rules.totalsRetentionMs) {
        this.records.delete(id);
        forgotten.push(id);
      }
    }
    return { retired, forgotten };
  }

  /** Live (open policy) or registered matches, for GET /v1/admin/matches. */
  list(): MatchView[] {
    if (this.rules.policy === 'open') {
      return [...this.live].map(([id, at]) => ({ match_id: id, state: 'live', opened_at: null, closed_at: null, last_event_at: iso(at) }));
    }
    return [...this.records.values()].map((r) => ({
      match_id: r.match_id,
      state: r.state,
      opened_at: iso(r.opened_at),
      closed_at: iso(r.closed_at),
      last_event_at: iso(this.lastEvent.get(r.match_id) ?? null),
    }));
  }

  get liveCount(): number {
    return this.rules.policy === 'open' ? this.live.size : [...this.records.values()].filter((r) => r.state === 'open').length;
  }

  /** Registered policy: null when the match is open, else why not. */
  private state(id: string, now: number): Refusal | null {
    const r = this.records.get(id);
    if (!r || (r.state === 'closed' && now - r.closed_at! >= this.rules.totalsRetentionMs)) {
      return { ok: false, status: 404, code: 'unknown_match', matchId: id, message: `match ${id} is not registered (MATCH_POLICY=registered: an admin opens it with PUT /v1/admin/matches/${id})` };
    }
    if (r.state === 'closed') {
      return { ok: false, status: 409, code: 'match_closed', matchId: id, message: `match ${id} was closed at ${iso(r.closed_at)}; it takes no more reactions or viewers` };
    }
    return null;
  }
}

/** A lifecycle record from the log's JSON value; null when it is not one (counted and skipped by the reader). */
export function parseMatchRecord(text: string): MatchRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o.match_id !== 'string' || (o.state !== 'open' && o.state !== 'closed')) return null;
  if (typeof o.opened_at !== 'number' || !(o.closed_at === null || typeof o.closed_at === 'number')) return null;
  if (o.state === 'closed' && o.closed_at === null) return null;
  return { match_id: o.match_id, state: o.state, opened_at: o.opened_at, closed_at: o.closed_at as number | null };
}
