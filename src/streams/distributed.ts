// Exact counts from any instance: Kafka Streams interactive queries across instances. Every instance of one
// STREAMS_APP_ID advertises its internal listener as application.server; a query about a match runs here
// when this instance holds the match's active store partition, and otherwise is asked of the instance that
// does (the Java facade names it: queryMetadataForKey), over HTTP to that instance's internal listener
// (src/api/internal.ts). A query over every match asks every instance holding the stores
// (streamsMetadataForStore) for the partitions active on it and merges the parts, checking that each
// partition was answered exactly once. Whatever cannot be answered whole — a rebalance, a restoring store,
// a peer that does not answer in INTERNAL_QUERY_TIMEOUT_MS — is a CountsUnavailableError (503 with
// Retry-After and the reason), never a part of the counts.
import type { Config } from '../config.ts';
import type { Readiness } from '../ports/readiness.ts';
import {
  CountsUnavailableError,
  KeyElsewhereError,
  type AllMatchTotals,
  type CountsFacade,
  type LocalExactCounts,
  type LocalMatches,
  type MomentsFacade,
} from './counts.ts';

/** The queries one instance may ask another's internal listener (src/api/internal.ts), with their argument kinds. */
export const INTERNAL_QUERIES = {
  totals: ['match'],
  windows: ['match', 'ms', 'ms'],
  moments: ['match', 'ms', 'ms', 'int'],
  topMoments: ['match', 'int'],
  knowsMatch: ['match'],
  localMatches: [],
} as const satisfies Record<string, readonly ('match' | 'ms' | 'int')[]>;
export type InternalQuery = keyof typeof INTERNAL_QUERIES;

export interface PeerOptions {
  /** INTERNAL_TOKEN (sent as a Bearer token); null: none. */
  token: string | null;
  /** INTERNAL_QUERY_TIMEOUT_MS */
  timeoutMs: number;
}

export const peerOptions = (config: Config): PeerOptions => ({ token: config.internal.token, timeoutMs: config.internal.queryTimeoutMs });

/** Ask the instance at `owner` (host:port of its internal listener) to answer `query` from its own stores. */
export async function askPeer<T>(owner: string, query: InternalQuery, args: unknown[], o: PeerOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`http://${owner}/internal/v1/exact/${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      body: JSON.stringify({ args }),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer in ${o.timeoutMs} ms` : String((err as Error)?.cause ?? err);
    throw new CountsUnavailableError('PEER_UNREACHABLE', `the instance holding these counts (${owner}) did not answer (${why}); a rebalance will move its partitions`);
  }
  const body = (await res.json().catch(() => null)) as { result?: T; error?: { state?: string; message?: string } } | null;
  if (res.ok && body && 'result' in body) return body.result as T;
  if (res.status === 503) {
    throw new CountsUnavailableError(body?.error?.state ?? 'REBALANCING', `the instance at ${owner} cannot answer: ${body?.error?.message ?? 'unavailable'}`);
  }
  throw new Error(`internal query ${query} to ${owner} failed: HTTP ${res.status} ${JSON.stringify(body?.error ?? body)}`);
}

/** Merge the instances' parts of "every match's totals": each of the `partitions` answered exactly once. */
export function mergeMatches(parts: LocalMatches[], partitions: number, asOf: string): AllMatchTotals {
  const seen = new Map<number, number>();
  for (const p of parts) for (const n of p.partitions) seen.set(n, (seen.get(n) ?? 0) + 1);
  const missing = [...Array(partitions).keys()].filter((n) => !seen.has(n));
  const twice = [...seen].filter(([, k]) => k > 1).map(([n]) => n);
  if (missing.length || twice.length) {
    throw new CountsUnavailableError(
      'REBALANCING',
      `the store partitions are moving between instances (${missing.length ? `unanswered: ${missing.join(',')}` : ''}${missing.length && twice.length ? '; ' : ''}${twice.length ? `answered twice: ${twice.join(',')}` : ''})`,
    );
  }
  const matches = parts.flatMap((p) => p.matches).sort((a, b) => (a.match_id < b.match_id ? -1 : a.match_id > b.match_id ? 1 : 0));
  return { matches, total: matches.reduce((s, m) => s + m.total, 0), as_of: asOf, instances: parts.length };
}

/**
 * The routes' facade over this instance's Kafka Streams (`local`) and its peers: per-match queries go to
 * the instance holding the match; `matches()` gathers every instance's partitions.
 */
export function distributedCounts(
  local: LocalExactCounts & { readiness(): Readiness },
  o: PeerOptions,
): CountsFacade & MomentsFacade {
  /** Run here; when another instance holds the match, ask it the same question. */
  const routed = async <T>(query: InternalQuery, args: unknown[], here: () => T): Promise<T> => {
    try {
      return here();
    } catch (err) {
      if (err instanceof KeyElsewhereError) return askPeer<T>(err.owner, query, args, o);
      throw err;
    }
  };
  return {
    state: () => local.state(),
    readiness: () => local.readiness(),
    totals: (m) => routed('totals', [m], () => local.totals(m)),
    windows: (m, f, t) => routed('windows', [m, f, t], () => local.windows(m, f, t)),
    moments: (m, f, t, n) => routed('moments', [m, f, t, n], () => local.moments(m, f, t, n)),
    topMoments: (m, k) => routed('topMoments', [m, k], () => local.topMoments(m, k)),
    knowsMatch: (m) => routed('knowsMatch', [m], () => local.knowsMatch(m)),
    async matches() {
      const asOf = new Date().toISOString();
      const view = local.instances();
      if (view.self === null) return mergeMatches([local.localMatches()], view.partitions, asOf);
      if (view.state !== 'RUNNING' || view.instances.length === 0) {
        throw new CountsUnavailableError('REBALANCING', `Kafka Streams is ${view.state}: which instance holds which partitions is being settled`);
      }
      const parts = await Promise.all(
        view.instances.map((i) => (i.host === view.self ? local.localMatches() : askPeer<LocalMatches>(i.host, 'localMatches', [], o))),
      );
      return mergeMatches(parts, view.partitions, asOf);
    },
  };
}
