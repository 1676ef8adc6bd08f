import { afterAll, describe, expect, it } from 'vitest';
import { createInternalApp } from '../api/internal.ts';
import { startInternalListener, type InternalListener } from '../app/internal-listener.ts';
import { CountsUnavailableError, KeyElsewhereError, type LocalExactCounts, type LocalMatches } from './counts.ts';
import { askPeer, distributedCounts, mergeMatches } from './distributed.ts';

const m = (id: string, n: number) => ({ match_id: id, totals: { '🔥': n }, total: n });

describe('mergeMatches (every match over the instances)', () => {
  it('merges the parts when each partition was answered exactly once', () => {
    const parts: LocalMatches[] = [{ partitions: [1], matches: [m('b', 2)] }, { partitions: [0], matches: [m('a', 3), m('c', 1)] }, { partitions: [], matches: [] }];
    expect(mergeMatches(parts, 2, 'now')).toEqual({ matches: [m('a', 3), m('b', 2), m('c', 1)], total: 6, as_of: 'now', instances: 3 });
  });

  it('refuses an answer missing a partition or holding one twice (a rebalance between the questions)', () => {
    expect(() => mergeMatches([{ partitions: [0], matches: [m('a', 1)] }], 2, 'now')).toThrow(/unanswered: 1/);
    expect(() => mergeMatches([{ partitions: [0, 1], matches: [] }, { partitions: [1], matches: [] }], 2, 'now')).toThrow(/answered twice: 1/);
    expect(() => mergeMatches([], 1, 'now')).toThrow(CountsUnavailableError);
  });
});

describe('distributedCounts (a match held by a peer is asked of its internal listener)', () => {
  const token = 'peer-token-0123456789';
  const totals = (id: string) => ({ match_id: id, totals: { '😀': 7 }, total: 7, as_of: '2026-11-30T17:00:00.000Z' });
  let peerHolds = true;
  const peer = {
    state: () => 'RUNNING',
    totals: (id: string) => {
      if (!peerHolds) throw new CountsUnavailableError('MOVED', `${id} moved`);
      return totals(id);
    },
    localMatches: () => ({ partitions: [1], matches: [m('far', 7)] }),
  } as unknown as LocalExactCounts;
  let listener: InternalListener;
  const here = (owner: () => string): LocalExactCounts & { readiness(): { name: string; ok: boolean } } =>
    ({
      state: () => 'RUNNING',
      readiness: () => ({ name: 'kafka-streams', ok: true }),
      totals: (id: string) => {
        throw new KeyElsewhereError(owner(), id);
      },
      localMatches: () => ({ partitions: [0], matches: [m('near', 1)] }),
      instances: () => ({ self: 'me:1', state: 'RUNNING', partitions: 2, instances: [{ host: 'me:1', active: [0], standby: [1] }, { host: owner(), active: [1], standby: [0] }] }),
    }) as unknown as LocalExactCounts & { readiness(): { name: string; ok: boolean } };

  afterAll(async () => listener?.stop());

  it('asks the holder, merges every match, and turns a moved key or a silent peer into CountsUnavailableError', async () => {
    listener = await startInternalListener({ host: '127.0.0.1', port: 0, advertisedHost: '127.0.0.1', token, queryTimeoutMs: 500 }, createInternalApp({ local: () => peer, token }));
    const counts = distributedCounts(here(() => listener.advertised), { token, timeoutMs: 1000 });
    expect(await counts.totals('far')).toEqual(totals('far'));
    expect((await counts.matches!()).matches.map((x) => x.match_id)).toEqual(['far', 'near']);

    peerHolds = false; // the peer no longer holds it: 503 there, CountsUnavailableError here
    await expect(counts.totals('far')).rejects.toMatchObject({ name: 'CountsUnavailableError', state: 'MOVED' });
    // a wrong token is a configuration error, not a rebalance
    await expect(askPeer(listener.advertised, 'totals', ['far'], { token: 'wrong-token-0123456789', timeoutMs: 1000 })).rejects.toThrow(/HTTP 401/);

    await listener.stop();
    await expect(counts.totals('far')).rejects.toMatchObject({ name: 'CountsUnavailableError', state: 'PEER_UNREACHABLE' });
    await expect(counts.matches!()).rejects.toBeInstanceOf(CountsUnavailableError);
  });
});
