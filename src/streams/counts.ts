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

/** Every match's running totals, merged over the instances (GET /v1/counts/matches). */
export interface AllMatchTotals {
  matches: { match_id: string; totals: Record<string, number>; total: number }[];
  /** Sum over the matches. */
  total: number;
  as_of: string;
  /** Instances whose stores answered (each store partition answered by exactly one of them). */
  instances: number;
}

/** One instance's part of AllMatchTotals: the totals partitions active on it, and their matches. */
export interface LocalMatches {
  partitions: number[];
  matches: AllMatchTotals['matches'];
}

/** The instances holding the exact-counts stores, as Kafka Streams' metadata says (streamsMetadataForStore). */
export interface StreamsInstances {
  /** This instance's application.server; null: the only instance (no peers). */
  self: string | null;
  state: string;
  /** Partitions of the stores (STREAMS_PARTITIONS). */
  partitions: number;
  instances: { host: string; active: number[]; standby: number[] }[];
}

/** A synchronous answer (this instance's stores) or an asynchronous one (a peer's). */
export type Answer<T> = T | Promise<T>;

/**
 * What the HTTP routes need. Answers come from this instance's stores or from the peer holding the match
 * (src/streams/distributed.ts); they throw (or reject with) CountsUnavailableError when not queryable.
 */
export interface CountsFacade {
  totals(matchId: string): Answer<MatchTotals>;
  windows(matchId: string, fromMs: number, toMs: number): Answer<ExactWindows>;
  /** Totals of every match (a query over every partition, merged over the instances); absent: no such route. */
  matches?(): Answer<AllMatchTotals>;
  /** Kafka Streams state: CREATED, REBALANCING, RUNNING, …, or NOT_STARTED / CLOSED. */
  state(): string;
  /** For GET /readyz: ready while Kafka Streams is RUNNING. */
  readiness(): Readiness;
}

/** Moment queries (GET /v1/matches/:id/moments and …/summary); same rules as CountsFacade. */
export interface MomentsFacade {
  moments(matchId: string, fromMs: number, toMs: number, limit: number): Answer<MatchMoments>;
  /** The k highest-scoring moments still retained, highest first. */
  topMoments(matchId: string, k: number): Answer<MomentRecord[]>;
  /** Whether any event of the match was ever counted. */
  knowsMatch(matchId: string): Answer<boolean>;
}

/**
 * One instance's own stores (what the internal listener serves to peers): answers only for a key whose active
 * store is on this instance, and throws CountsUnavailableError otherwise (not running, rebalancing, moved).
 */
export interface LocalExactCounts {
  state(): string;
  totals(matchId: string): MatchTotals;
  windows(matchId: string, fromMs: number, toMs: number): ExactWindows;
  moments(matchId: string, fromMs: number, toMs: number, limit: number): MatchMoments;
  topMoments(matchId: string, k: number): MomentRecord[];
  knowsMatch(matchId: string): boolean;
  /** The totals partitions active here and their matches (a peer's part of AllMatchTotals). */
  localMatches(): LocalMatches;
  /** Kafka Streams' view of which instance holds which partitions. */
  instances(): StreamsInstances;
}

/** The topology is not (yet, or no longer) queryable: starting, rebalancing, restoring, closed, failed. */
export class CountsUnavailableError extends Error {
  override readonly name = 'CountsUnavailableError';
  constructor(readonly state: string, message: string) {
    super(message);
  }
}

/**
 * The match's store partition is active on another instance (`owner`, its internal listener's host:port):
 * src/streams/distributed.ts asks it. A peer's internal listener answers this with 503 (it was asked
 * because the caller's metadata said it held the key, and it no longer does: a rebalance moved it).
 */
export class KeyElsewhereError extends CountsUnavailableError {
  constructor(readonly owner: string, matchId: string) {
    super('MOVED', `the exact counts of ${matchId} are held by the instance at ${owner}`);
  }
}
