import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, enqueueActions } from 'xstate';
import { idOfRecord } from '../domain/window.ts';
import { clusterMachine } from './cluster.machine.ts';
import { createFacade } from './facade.ts';
import { sameCounts, supervisorMachine } from './supervisor.machine.ts';
import { FakeTransport, broadcastConfig, testWindow } from '../../tests/support/broadcast.ts';
import { createBroadcastSystem, supervisorInput } from './system.ts';
import type { Config } from '../config.ts';

const T0 = Date.UTC(2026, 10, 28, 15, 0, 0);

function system(over: Partial<Config['broadcast']> = {}) {
  const clock = new SimulatedClock();
  clock.set(T0);
  const { facade, actor } = createBroadcastSystem({ broadcast: broadcastConfig(over), clock });
  return { clock, facade, actor };
}

function join(facade: ReturnType<typeof system>['facade'], o: { matchId?: string; clusterId?: string; lastEventId?: string } = {}) {
  const sub = facade.subscribe({ matchId: o.matchId ?? null, clusterId: o.clusterId ?? null });
  if (!sub.ok) throw new Error(`subscribe failed: ${sub.code}`);
  const transport = new FakeTransport();
  const att = facade.attach({ clusterId: sub.clusterId, subscriptionId: sub.subscriptionId, matchId: null, lastEventId: o.lastEventId ?? null, transport });
  if (!att.ok) throw new Error(`attach failed: ${att.code}`);
  return { sub, transport };
}

describe('live records', () => {
  it('reach the viewers of their match as event: live, newer seqs only, none once the window has closed, never replayed', () => {
    const { facade } = system();
    const a = join(facade, { matchId: 'm' });
    const other = join(facade, { matchId: 'other' });
    const w = testWindow('m', T0, { '🔥': 3 });
    const live = (seq: number, n: number) => ({ ...testWindow('m', T0, { '🔥': n }), seq });
    facade.publishLive(live(1, 1));
    facade.publishLive(live(2, 2));
    facade.publishLive(live(1, 1)); // a re-read: not newer
    facade.publishLive(live(2, 2));
    facade.publish(w);
    facade.publishLive(live(3, 3)); // after its window closed: dropped
    // the last live record fanned out (2) did not carry the window's counts (3): one made from the window went first
    expect(a.transport.lives().map((l) => [l.seq, l.total])).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(a.transport.text().indexOf('event: live')).toBeLessThan(a.transport.text().indexOf('event: window'));
    expect(a.transport.text().lastIndexOf('event: live')).toBeLessThan(a.transport.text().indexOf('event: window'));
    expect(a.transport.text()).not.toMatch(/^id: .*\nevent: live/m); // no id: Last-Event-ID stays on windows
    expect(a.transport.windowIds()).toEqual([idOfRecord(w)]);
    expect(other.transport.lives()).toEqual([]);
    // a reconnect replays the window, not the live records
    const again = join(facade, { matchId: 'm', lastEventId: `m:${T0 - 2000}` });
    expect(again.transport.windowIds()).toEqual([idOfRecord(w)]);
    expect(again.transport.lives()).toEqual([]);
  });
});

describe('the final live record', () => {
  it('is not repeated when the last live record fanned out already carries the window counts', () => {
    const { facade } = system();
    const a = join(facade, { matchId: 'm' });
    facade.publishLive({ ...testWindow('m', T0, { '🔥': 2, '😂': 1 }), seq: 4 });
    facade.publish(testWindow('m', T0, { '🔥': 2, '😂': 1 }));
    expect(a.transport.lives().map((l) => [l.seq, l.total])).toEqual([[4, 3]]);
  });

  it('is made from the window when no live record came before it (the live consumer behind the window consumer)', () => {
    const { facade } = system();
    const a = join(facade, { matchId: 'm' });
    const w = testWindow('m', T0, { '🔥': 5 });
    facade.publish(w);
    facade.publishLive({ ...testWindow('m', T0, { '🔥': 5 }), seq: 7 }); // arrives after its window: dropped
    expect(a.transport.lives().map((l) => [l.seq, l.total])).toEqual([[1, 5]]);
    expect(a.transport.text().indexOf('event: live')).toBeLessThan(a.transport.text().indexOf('event: window'));
  });

  it('compares total, per-emoji counts and late events', () => {
    const w = testWindow('m', T0, { '🔥': 2, '😂': 1 });
    expect(sameCounts(w, { ...w })).toBe(true);
    expect(sameCounts(w, testWindow('m', T0, { '🔥': 1, '😂': 2 }))).toBe(false);
    expect(sameCounts(w, testWindow('m', T0, { '🔥': 3 }))).toBe(false);
    expect(sameCounts(w, { ...w, late: 1 })).toBe(false);
  });
});

describe('placement', () => {
  it('spreads subscriptions least-loaded over clusters, then over subscribers', () => {
    const { facade } = system();
    const placed = Array.from({ length: 9 }, () => facade.subscribe({}));
    expect(placed.every((p) => p.ok)).toBe(true);
    const views = facade.clusters();
    expect(views.map((c) => c.cluster_id)).toEqual(['c1', 'c2', 'c3']);
    for (const c of views) {
      expect(c.subscriptions).toBe(3);
      expect(c.subscribers.map((s) => s.subscriptions)).toEqual([1, 1, 1]);
    }
  });

  it('honours an explicit cluster and names unknown ones', () => {
    const { facade } = system();
    const p = facade.subscribe({ clusterId: 'c2' });
    expect(p).toMatchObject({ ok: true, clusterId: 'c2' });
    expect(facade.subscribe({ clusterId: 'nope' })).toEqual({ ok: false, code: 'cluster_not_found' });
  });

  it('never takes an Object property for a cluster: __proto__, constructor, toString are not found', () => {
    const { facade } = system();
    for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(facade.subscribe({ clusterId: id }), id).toEqual({ ok: false, code: 'cluster_not_found' });
      const r = facade.attach({ clusterId: id, subscriptionId: null, matchId: null, lastEventId: null, transport: new FakeTransport() });
      expect(r, id).toEqual({ ok: false, code: 'cluster_not_found' });
      expect(facade.hasCluster(id), id).toBe(false);
    }
  });

  it('spawns a subscriber when all are full, and answers full at the limit', () => {
    const { facade } = system({ clusters: 1, subscribersPerCluster: 1, maxSubscribersPerCluster: 2, subscriberCapacity: 2 });
    const r = Array.from({ length: 4 }, () => facade.subscribe({}));
    expect(r.map((x) => x.ok && x.subscriberId)).toEqual(['c1-s1', 'c1-s1', 'c1-s2', 'c1-s2']);
    expect(facade.clusters()[0]!.subscribers).toHaveLength(2);
    expect(facade.subscribe({})).toEqual({ ok: false, code: 'full' });
    // a leave frees a slot
    expect(facade.unsubscribe((r[0] as { subscriptionId: string }).subscriptionId)).toBe(true);
    expect(facade.subscribe({})).toMatchObject({ ok: true, subscriberId: 'c1-s1' });
  });
});

describe('delivery', () => {
  it('delivers each window once to every viewer, drops repeated ids, filters by match', () => {
    const { facade } = system();
    const all = Array.from({ length: 9 }, () => join(facade));
    const ind = join(facade, { matchId: 'ind-aus' });
    const w1 = testWindow('ind-aus', T0);
    const w2 = testWindow('eng-nz', T0);
    expect(facade.publish(w1)).toBe(true);
    expect(facade.publish(w1)).toBe(false); // at-least-once sink: repeated id dropped
    expect(facade.publish(w2)).toBe(true);
    for (const v of all) expect(v.transport.windowIds()).toEqual([idOfRecord(w1), idOfRecord(w2)]);
    expect(ind.transport.windowIds()).toEqual([idOfRecord(w1)]);
    expect(facade.stats()).toMatchObject({ windows: 2, duplicates: 1 });
    // every viewer got the very same bytes (encoded once per cluster)
    expect(all[0]!.transport.chunks[0]!.equals(all[8]!.transport.chunks[0]!)).toBe(true);
  });

  it('disconnects a slow viewer with reason "slow" while the others keep receiving', () => {
    const { facade } = system({ sessionMaxPendingBytes: 4096 });
    const a = join(facade);
    const b = join(facade);
    b.transport.pending = 4000;
    facade.publish(testWindow('m', T0));
    facade.publish(testWindow('m', T0 + 2000));
    expect(b.transport.closedWith).toBe('slow');
    expect(a.transport.windowIds()).toHaveLength(2);
    expect(facade.stats().slow_disconnects).toBe(1);
  });

  it('sends heartbeats on the injected clock', () => {
    const { facade, clock } = system({ heartbeatMs: 1000 });
    const a = join(facade);
    clock.increment(999);
    expect(a.transport.text()).not.toContain(':hb');
    clock.increment(1);
    expect(a.transport.text()).toContain(':hb\n\n');
  });

  it('leave ends the stream with "left" and disturbs no one else', () => {
    const { facade } = system();
    const a = join(facade);
    const b = join(facade);
    expect(facade.unsubscribe(a.sub.subscriptionId)).toBe(true);
    expect(facade.unsubscribe(a.sub.subscriptionId)).toBe(false);
    expect(a.transport.closedWith).toBe('left');
    facade.publish(testWindow('m', T0));
    expect(b.transport.windowIds()).toHaveLength(1);
    expect(a.transport.windowIds()).toHaveLength(0);
  });

  it('releases a detached subscription after the grace period', () => {
    const { facade, clock } = system({ subscriptionGraceMs: 1000 });
    const a = join(facade);
    facade.detach(a.sub.subscriptionId, a.transport);
    expect(facade.stats().subscriptions).toBe(1);
    clock.increment(2000);
    expect(facade.stats().subscriptions).toBe(0);
    expect(facade.attach({ clusterId: a.sub.clusterId, subscriptionId: a.sub.subscriptionId, matchId: null, lastEventId: null, transport: new FakeTransport() })).toEqual({ ok: false, code: 'not_found' });
  });

  it('an ad-hoc viewer (no subscription) ends its subscription with its stream', () => {
    const { facade } = system();
    const t = new FakeTransport();
    const r = facade.attach({ clusterId: 'c3', subscriptionId: null, matchId: 'x', lastEventId: null, transport: t });
    expect(r).toMatchObject({ ok: true, clusterId: 'c3' });
    expect(facade.clusters()[2]!.viewers).toBe(1);
    facade.publish(testWindow('x', T0));
    expect(t.windowIds()).toHaveLength(1);
    facade.detach((r as { subscriptionId: string }).subscriptionId, t);
    expect(facade.clusters()[2]!.subscriptions).toBe(0);
  });
});

describe('history replay', () => {
  it('replays exactly the windows after Last-Event-ID, for the viewer’s match', () => {
    const { facade } = system();
    const ws = [0, 1, 2, 3, 4].map((i) => testWindow(i % 2 ? 'other' : 'ind-aus', T0 + i * 2000));
    for (const w of ws) facade.publish(w);
    const { transport } = join(facade, { matchId: 'ind-aus', lastEventId: idOfRecord(ws[0]!) });
    expect(transport.windowIds()).toEqual([idOfRecord(ws[2]!), idOfRecord(ws[4]!)]);
    facade.publish(testWindow('ind-aus', T0 + 10_000));
    expect(transport.windowIds()).toHaveLength(3); // then live, nothing twice
    expect(transport.text()).not.toContain('event: reset');
  });

  it('sends event: reset first for an id older than the history', () => {
    const { facade, clock } = system({ historyMs: 10_000 });
    const old = testWindow('m', T0);
    facade.publish(old);
    clock.increment(20_000);
    const recent = testWindow('m', T0 + 20_000);
    facade.publish(recent);
    const { transport } = join(facade, { lastEventId: idOfRecord(old) });
    expect(transport.text().indexOf('event: reset')).toBe(0);
    expect(transport.windowIds()).toEqual([idOfRecord(recent)]);
  });
});

describe('supervision', () => {
  it('restarts a failed cluster publisher with backoff; others notice nothing; its viewers resume with Last-Event-ID', () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    // c2's publisher throws on windows of match "boom"; otherwise it is the real one.
    const real = clusterMachine.implementations.actions.publishWindow!;
    const wrapped = clusterMachine.provide({
      actions: {
        publishWindow: enqueueActions(({ context, event, enqueue }) => {
          if (context.id === 'c2' && event.type === 'WINDOW.PUBLISH' && event.window.match_id === 'boom') throw new Error('encoder bug');
          enqueue(real as never);
        }),
      },
    });
    const b = broadcastConfig({ restartBackoffMs: 100, restartBackoffMaxMs: 1000 });
    const actor = createActor(supervisorMachine.provide({ actors: { cluster: wrapped } }), { input: supervisorInput(b, () => clock.now()), clock, systemId: 'supervisor' }).start();
    const facade = createFacade(actor);
    expect(actor.system.get('supervisor')).toBe(actor);

    const v1 = join(facade, { clusterId: 'c1' });
    const v2 = join(facade, { clusterId: 'c2' });
    const w0 = testWindow('ok', T0);
    facade.publish(w0);
    const boom = testWindow('boom', T0 + 2000);
    facade.publish(boom);
    expect(v2.transport.closedWith).toBe('cluster_failed');
    expect(facade.clusters()[1]).toMatchObject({ cluster_id: 'c2', status: 'restarting' });
    // c2 refuses attaches while down, telling when to retry
    expect(facade.attach({ clusterId: 'c2', subscriptionId: v2.sub.subscriptionId, matchId: null, lastEventId: null, transport: new FakeTransport() })).toEqual({ ok: false, code: 'unavailable', retryAfterMs: 100 });

    const w2 = testWindow('ok', T0 + 4000); // arrives while c2 is down
    facade.publish(w2);
    expect(v1.transport.windowIds()).toEqual([w0, boom, w2].map(idOfRecord)); // c1 noticed nothing

    clock.increment(99);
    expect(facade.clusters()[1]!.status).toBe('restarting');
    clock.increment(1);
    expect(facade.clusters()[1]).toMatchObject({ status: 'up', generation: 2, restarts: 1, subscriptions: 1 });

    // the viewer reconnects to the same stream URL with its Last-Event-ID and misses nothing
    const again = new FakeTransport();
    const r = facade.attach({ clusterId: 'c2', subscriptionId: v2.sub.subscriptionId, matchId: null, lastEventId: idOfRecord(w0), transport: again });
    expect(r).toMatchObject({ ok: true, replayed: 2, reset: false });
    expect(again.windowIds()).toEqual([boom, w2].map(idOfRecord));

    // a second failure soon after doubles the backoff
    facade.publish(testWindow('boom', T0 + 6000));
    expect(again.closedWith).toBe('cluster_failed');
    clock.increment(199);
    expect(facade.clusters()[1]!.status).toBe('restarting');
    clock.increment(1);
    expect(facade.clusters()[1]).toMatchObject({ status: 'up', generation: 3 });
    expect(facade.stats().cluster_failures).toBe(2);
  });
});

describe('injected parts', () => {
  it('takes subscription ids from the injected generator', () => {
    let n = 0;
    const clock = new SimulatedClock();
    const { facade } = createBroadcastSystem({ broadcast: broadcastConfig(), clock, newId: () => `n${++n}` });
    expect(facade.subscribe({})).toMatchObject({ ok: true, subscriptionId: 'sub-n1' });
    const t = new FakeTransport();
    expect(facade.attach({ clusterId: 'c1', subscriptionId: null, matchId: null, lastEventId: null, transport: t })).toMatchObject({ ok: true, subscriptionId: 'v-n2' });
  });

  it('lets a test swap a behaviour with .provide() (here: no restarts), and stops a failed cluster’s subscribers', () => {
    const clock = new SimulatedClock();
    clock.set(T0);
    const failing = clusterMachine.provide({
      actions: {
        publishWindow: () => {
          throw new Error('encoder bug');
        },
      },
    });
    const machine = supervisorMachine.provide({ actors: { cluster: failing }, actions: { scheduleRestart: () => {} } });
    const actor = createActor(machine, { input: supervisorInput(broadcastConfig({ clusters: 1 }), () => clock.now()), clock }).start();
    const facade = createFacade(actor);
    const v = join(facade);
    const dead = actor.getSnapshot().context.records.get('c1')!.ref!;
    facade.publish(testWindow('m', T0));
    expect(v.transport.closedWith).toBe('cluster_failed');
    const subscribers = Object.values(dead.getSnapshot().children);
    expect(subscribers.length).toBeGreaterThan(0);
    for (const s of subscribers) expect(s!.getSnapshot().status).toBe('done'); // none left running
    clock.increment(60_000);
    expect(facade.clusters()[0]!.generation).toBe(1); // the restart was swapped out
  });
});

