// The exact-counts facade as the rest of the API sees it: plain data, no java-bridge types. Routes take a
// `CountsFacade` so they can be mounted with one line and tested with a fake; src/streams/bridge.ts provides
// the real one (Kafka Streams in this process through java-bridge).
import type { MomentRecord } from '../domain/moment.ts';
import type { Readiness } from '../ports/readiness.ts';

/** Running totals of distinct accepted events for one match (GET /v1/counts). */
export interface MatchTotals {
  match_id: string;
  totals: Record<string, number>;
  total: number;
  /** When the query ran (ISO). */
  as_of: string;
  /** Highest `received_at` the topology has processed (ticks included), when known. */
  stream_time?: string;
}

/** One 2 s window's exact counts (same shape as a Spark window record, plus `closed`). */
export interface ExactWindow {
  match_id: string;
  window_start: string;
  window_end: string;
  counts: Record<string, number>;
  swarm: Record<string, number>;
  total: number;
  /** True once the window has been emitted to emoji-exact (every source partition passed window_end + grace): final. */
  closed: boolean;
}

/** Windows of a match whose start lies in [from, to) (GET /v1/counts/windows). */
export interface ExactWindows {
  match_id: string;
  from: string;
  to: string;
  windows: ExactWindow[];
}

/** Moments of a match whose window starts in [from, to), newest first. */
export interface MatchMoments {
  match_id: string;
  from: string;
  to: string;
  moments: MomentRecord[];
}

export interface StreamsMetrics {
  state: string;
  events: number;
  duplicates: number;
  invalid: number;
  ticks: number;
  /** Counted in the totals, too late for their (already emitted) window. */
  late: number;
  /** Moments detected since this process started. */
  moments?: number;
  stream_time?: string;
  ms_to_running?: number;
  records_processed?: number;
  process_rate?: number;
  events_lag?: number;
  last_error?: string;
}

/** What the HTTP routes need. All calls are synchronous and cheap; they throw CountsUnavailableError when not queryable. */
export interface CountsFacade {
  totals(matchId: string): MatchTotals;
  windows(matchId: string, fromMs: number, toMs: number): ExactWindows;
  /** Kafka Streams state: CREATED, REBALANCING, RUNNING, …, or NOT_STARTED / CLOSED. */
  state(): string;
  /** For GET /readyz: ready while Kafka Streams is RUNNING. */
  readiness(): Readiness;
}

/** Moment queries (GET /v1/matches/:id/moments and …/summary); same rules as CountsFacade. */
export interface MomentsFacade {
  moments(matchId: string, fromMs: number, toMs: number, limit: number): MatchMoments;
  /** The k highest-scoring moments still retained, highest first. */
  topMoments(matchId: string, k: number): MomentRecord[];
  /** Whether any event of the match was ever counted. */
  knowsMatch(matchId: string): boolean;
}

/**
 * One instance's own stores (what the internal listener serves to peers): answers only for a key whose active
 * store is on this instance, and throws CountsUnavailableError otherwise (not running, rebalancing, moved).
 */
export type LocalExactCounts = Pick<CountsFacade, 'totals' | 'windows' | 'state'> & MomentsFacade;

/** The topology is not (yet, or no longer) queryable: starting, rebalancing, restoring, closed, failed. */
export class CountsUnavailableError extends Error {
  override readonly name = 'CountsUnavailableError';
  constructor(readonly state: string, message: string) {
    super(message);
  }
}
