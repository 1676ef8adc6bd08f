// The match lifecycle as the API uses it: the registry (registry.ts, pure) with the clock, the log it is kept
// on, and the listeners that drop per-match state when a match retires. The log is a port: the compacted
// Kafka topic in the platform (src/kafka/match-log.ts), nothing (this instance's memory) in tests.
import { MatchRegistry, type Admission, type MatchRecord, type MatchRules, type MatchView } from './registry.ts';

/** Where lifecycle records are written; resolves once they are durable (the broker acknowledged them). */
export interface MatchLogWriter {
  write(matchId: string, record: MatchRecord | null): Promise<void>;
}

export type AdminResult =
  | { ok: true; changed: boolean; match: MatchView }
  | { ok: false; status: 404 | 409; code: 'unknown_match' | 'policy_open'; message: string };

/** The narrow view the routes take (tests pass a MatchService over memory). */
export interface MatchGate {
  readonly policy: MatchRules['policy'];
  admit(matchIds: Iterable<string>): Admission;
  subscribable(matchId: string): Admission;
  queryable(matchId: string): Admission;
}

export interface MatchAdmin {
  readonly policy: MatchRules['policy'];
  list(): MatchView[];
  open(matchId: string): Promise<AdminResult>;
  close(matchId: string): Promise<AdminResult>;
}

export class MatchService implements MatchGate, MatchAdmin {
  readonly registry: MatchRegistry;
  private readonly retiredListeners = new Set<(matchId: string) => void>();

  constructor(rules: MatchRules, private readonly log: MatchLogWriter | null = null, private readonly now: () => number = Date.now) {
    this.registry = new MatchRegistry(rules);
  }

  get policy() {
    return this.registry.policy;
  }

  admit(matchIds: Iterable<string>): Admission {
    return this.registry.admit(matchIds, this.now());
  }
  subscribable(matchId: string): Admission {
    return this.registry.subscribable(matchId, this.now());
  }
  queryable(matchId: string): Admission {
    return this.registry.queryable(matchId, this.now());
  }
  /** Whether the broadcast should deliver a window of this match that started then (registry.delivers). */
  delivers(matchId: string, windowStartMs: number): boolean {
    return this.registry.delivers(matchId, windowStartMs);
  }

  /** A record read from the log (this instance's own writes come back too: applying twice is harmless). */
  apply(matchId: string, record: MatchRecord | null): void {
    const was = this.registry.record(matchId)?.state;
    this.registry.apply(matchId, record);
    if (was === 'open' && record?.state !== 'open') this.retired(matchId);
  }

  list(): MatchView[] {
    return this.registry.list();
  }

  private view(matchId: string): MatchView {
    return this.registry.list().find((v) => v.match_id === matchId)!;
  }

  async open(matchId: string): Promise<AdminResult> {
    if (this.policy === 'open') {
      return { ok: false, status: 409, code: 'policy_open', message: `MATCH_POLICY is open: match ${matchId} opens itself with its first reaction` };
    }
    const record = this.registry.openRecord(matchId, this.now());
    if (record === null) return { ok: true, changed: false, match: this.view(matchId) };
    await this.write(matchId, record);
    return { ok: true, changed: true, match: this.view(matchId) };
  }

  /** Registered: close the match (its totals stay queryable for the retention). Open: retire it now. */
  async close(matchId: string): Promise<AdminResult> {
    const unknown = { ok: false, status: 404, code: 'unknown_match', message: `match ${matchId} is not ${this.policy === 'open' ? 'live' : 'registered'}` } as const;
    if (this.policy === 'open') {
      const view = this.registry.list().find((v) => v.match_id === matchId);
      if (!view || !this.registry.retire(matchId)) return unknown;
      this.retired(matchId);
      return { ok: true, changed: true, match: { ...view, state: 'closed' } };
    }
    const current = this.registry.record(matchId);
    if (!current) return unknown;
    const record = this.registry.closeRecord(matchId, this.now());
    if (record === null) return { ok: true, changed: false, match: this.view(matchId) };
    await this.write(matchId, record);
    return { ok: true, changed: true, match: this.view(matchId) };
  }

  /** Retire idle live matches (open) and forget closed ones past the retention (registered: tombstoned in the log). */
  async sweep(): Promise<{ retired: string[]; forgotten: string[] }> {
    const r = this.registry.sweep(this.now());
    for (const id of r.retired) this.retired(id);
    // every instance sweeps the same records: the tombstones repeat, which the compacted log absorbs
    if (this.log) await Promise.all(r.forgotten.map((id) => this.log!.write(id, null)));
    return r;
  }

  /** Called with each match that stops being live (retired, closed, forgotten): drop its per-match state. */
  onRetired(fn: (matchId: string) => void): () => void {
    this.retiredListeners.add(fn);
    return () => this.retiredListeners.delete(fn);
  }

  private retired(matchId: string): void {
    for (const fn of this.retiredListeners) fn(matchId);
  }

  /** Durable first (the log), then this instance's registry (read-your-writes; the log's echo repeats it). */
  private async write(matchId: string, record: MatchRecord): Promise<void> {
    if (this.log) await this.log.write(matchId, record);
    this.apply(matchId, record);
  }
}
