import { describe, expect, it } from 'vitest';
import { SimulatedClock, assign, createActor, setup, type ActorRefFrom } from 'xstate';
import { idOfRecord } from '../domain/window.ts';
import { clusterMachine, leastLoaded, type ClusterParams } from './cluster.machine.ts';
import type { AttachResult, ClusterReport, SubscriptionEnded, SubscriptionPlaced } from './events.ts';
import { FakeTransport, testWindow } from '../../tests/support/broadcast.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);
const PARAMS: ClusterParams = {
  subscribersPerCluster: 2,
  maxSubscribersPerCluster: 3,
  subscriberCapacity: 2,
  historyMs: 60_000,
  replayMaxFrames: 1_000,
  replayMaxBytes: 524_288,
  heartbeatMs: 15_000,
  sessionMaxPendingBytes: 1 << 20,
  subscriptionGraceMs: 60_000,
  subscriptionAttachMs: 10_000,
  sessionIdleMs: 600_000,
  sessionStallMs: 60_000,
};

/** A cluster under a stand-in supervisor that records what the cluster tells it. */
function cluster(params: Partial<ClusterParams> = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  type Told = SubscriptionPlaced | SubscriptionEnded;
  const parent = setup({
    types: {} as { context: { ref: ActorRefFrom<typeof clusterMachine>; told: Told[] }; events: Told },
    actors: { cluster: clusterMachine },
  }).createMachine({
    context: ({ spawn }) => ({ ref: spawn('cluster', { id: 'c1@1', input: { id: 'c1', generation: 1, params: { ...PARAMS, ...params }, now: () => clock.now(), seed: [] } }), told: [] }),
    on: { '*': { actions: assign({ told: ({ context, event }) => [...context.told, event as Told] }) } },
  });
  const actor = createActor(parent, { clock }).start();
  const ref = actor.getSnapshot().context.ref;
  const place = (subscriptionId: string, matchId: string | null = null) => {
    ref.send({ type: 'SUBSCRIPTION.PLACE', subscriptionId, matchId, ephemeral: false, reply: () => {} });
    return (actor.getSnapshot().context.told.at(-1) as SubscriptionPlaced).result;
  };
  const attach = (subscriptionId: string, lastEventId: string | null = null) => {
    const transport = new FakeTransport();
    let r: AttachResult | null = null;
    ref.send({ type: 'SESSION.ATTACH', subscriptionId, lastEventId, transport, reply: (x) => (r = x) });
    return { transport, r: r as AttachResult | null };
  };
  const report = () => {
    const into: ClusterReport = { id: 'c1', status: 'up', generation: 1, restarts: 0, historyWindows: 0, subscribers: [] };
    ref.send({ type: 'CLUSTER.INSPECT', into });
    return into;
  };
  return { ref, place, attach, report, told: () => actor.getSnapshot().context.told };
}

describe('cluster machine', () => {
  it('places least-loaded over its subscribers, spawns one more when all are full, then answers full', () => {
    const c = cluster();
    const placed = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => c.place(id));
    expect(placed.map((p) => (p.ok ? p.subscriberId : p.code))).toEqual(['c1-s1', 'c1-s2', 'c1-s1', 'c1-s2', 'c1-s3', 'c1-s3']);
    expect(c.place('g')).toEqual({ ok: false, code: 'full' });
    // a release frees a slot on the subscriber that held it
    c.ref.send({ type: 'SUBSCRIPTION.RELEASE', subscriptionId: 'c', reason: 'left' });
    expect(c.place('h')).toMatchObject({ ok: true, subscriberId: 'c1-s1' });
    expect(c.report().subscribers.map((s) => s.subscriptions)).toEqual([2, 2, 2]);
  });

  it('encodes a window once: every viewer gets the very same bytes', () => {
    const c = cluster();
    c.place('a');
    c.place('b');
    const a = c.attach('a').transport;
    const b = c.attach('b').transport;
    c.ref.send({ type: 'WINDOW.PUBLISH', window: testWindow('m', T0) });
    expect(a.chunks).toHaveLength(1);
    expect(a.chunks[0]).toBe(b.chunks[0]);
    expect(c.report()).toMatchObject({ historyWindows: 1, subscribers: [{ viewers: 1, delivered: 1 }, { viewers: 1, delivered: 1 }] });
  });

  it('replays the windows after Last-Event-ID for the subscription’s match; an unknown subscription is not found', () => {
    const c = cluster();
    c.place('a', 'ind-aus');
    const ws = [testWindow('ind-aus', T0), testWindow('eng-nz', T0), testWindow('ind-aus', T0 + 2000), testWindow('ind-aus', T0 + 4000)];
    for (const window of ws) c.ref.send({ type: 'WINDOW.PUBLISH', window });
    const { transport, r } = c.attach('a', idOfRecord(ws[0]!));
    expect(r).toEqual({ ok: true, subscriptionId: 'a', clusterId: 'c1', subscriberId: 'c1-s1', replayed: 2, reset: false });
    expect(transport.windowIds()).toEqual([ws[2]!, ws[3]!].map(idOfRecord));
    expect(c.attach('nope').r).toEqual({ ok: false, code: 'not_found' });
  });

  it('caps one replay in frames and in bytes: event: reset (replay_limit), then the newest frames within the cap', () => {
    const c = cluster({ replayMaxFrames: 3 });
    c.place('a', null);
    const ws = Array.from({ length: 8 }, (_, i) => testWindow('ind-aus', T0 + i * 2000));
    for (const window of ws) c.ref.send({ type: 'WINDOW.PUBLISH', window });
    const { transport, r } = c.attach('a', idOfRecord(ws[0]!));
    expect(r).toMatchObject({ ok: true, replayed: 3, reset: true });
    expect(transport.text()).toMatch(/^event: reset\ndata: \{"reason":"replay_limit","last_event_id":"ind-aus:\d+"\}\n\n/);
    expect(transport.windowIds()).toEqual(ws.slice(5).map(idOfRecord));
    // bytes: a cap of two frames' size keeps the newest two
    const d = cluster({ replayMaxBytes: 2 * transport.chunks.at(-1)!.length });
    d.place('b', null);
    for (const window of ws) d.ref.send({ type: 'WINDOW.PUBLISH', window });
    const b = d.attach('b', idOfRecord(ws[0]!));
    expect(b.r).toMatchObject({ replayed: 2, reset: true });
    expect(b.transport.windowIds()).toEqual(ws.slice(6).map(idOfRecord));
    // within the cap: a plain resume, no reset
    d.place('c', null);
    expect(d.attach('c', idOfRecord(ws[5]!)).r).toMatchObject({ replayed: 2, reset: false });
  });

  it('passes a subscriber’s SUBSCRIPTION.ENDED up, and forgets where that subscription was', () => {
    const c = cluster({ subscribersPerCluster: 1, maxSubscribersPerCluster: 1, subscriberCapacity: 1 });
    c.ref.send({ type: 'SUBSCRIPTION.PLACE', subscriptionId: 'v-1', matchId: null, ephemeral: true, reply: () => {} });
    const { transport } = c.attach('v-1');
    expect(c.place('x')).toEqual({ ok: false, code: 'full' });
    c.ref.send({ type: 'SESSION.DETACH', subscriptionId: 'v-1', transport });
    expect(c.told().at(-1)).toEqual({ type: 'SUBSCRIPTION.ENDED', subscriptionId: 'v-1', reason: 'left' });
    expect(c.place('x')).toMatchObject({ ok: true });
  });

  it('leastLoaded picks the emptiest subscriber with room', () => {
    const slot = (id: string, load: number) => ({ id, load, ref: null as never });
    expect(leastLoaded([slot('a', 2), slot('b', 1), slot('c', 1)], 2)?.id).toBe('b');
    expect(leastLoaded([slot('a', 2)], 2)).toBeUndefined();
  });
});
