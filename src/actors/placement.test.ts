import { describe, expect, it } from 'vitest';
import { Subscriptions, chooseCluster, type ClusterState } from './placement.ts';

const up = (id: string): ClusterState => ({ id, up: true, retryAfterMs: 0 });

describe('placement', () => {
  it('keeps each cluster’s load as subscriptions come, move and go', () => {
    const s = new Subscriptions();
    s.set('a', { clusterId: 'c1', subscriberId: 'c1-s1', matchId: null, ephemeral: false });
    s.set('b', { clusterId: 'c1', subscriberId: 'c1-s2', matchId: null, ephemeral: true });
    s.set('a', { clusterId: 'c1', subscriberId: 'c1-s3', matchId: null, ephemeral: false }); // re-placed: same count
    expect([s.size, s.load('c1')]).toEqual([2, 2]);
    expect(s.onCluster('c1').map(([id]) => id)).toEqual(['a', 'b']);
    expect(s.delete('b')?.ephemeral).toBe(true);
    expect(s.delete('b')).toBeUndefined();
    expect([s.size, s.load('c1'), s.load('c2')]).toEqual([1, 1, 0]);
  });

  it('chooses the least-loaded cluster that is up and has room, or says why not', () => {
    const load = (id: string) => ({ c1: 3, c2: 1, c3: 0 })[id] ?? 0;
    const down: ClusterState = { id: 'c3', up: false, retryAfterMs: 250 };
    expect(chooseCluster([up('c1'), up('c2'), down], load, 4, null)).toEqual({ ok: true, clusterId: 'c2' });
    expect(chooseCluster([up('c1'), up('c2'), down], load, 4, 'c1')).toEqual({ ok: true, clusterId: 'c1' });
    expect(chooseCluster([up('c1'), up('c2'), down], load, 3, 'c1')).toEqual({ ok: false, code: 'full' });
    expect(chooseCluster([up('c1'), up('c2'), down], load, 4, 'c3')).toEqual({ ok: false, code: 'unavailable', retryAfterMs: 250 });
    expect(chooseCluster([up('c1')], load, 4, 'c9')).toEqual({ ok: false, code: 'cluster_not_found' });
    expect(chooseCluster([up('c1'), down], load, 3, null)).toEqual({ ok: false, code: 'full' });
  });
});
