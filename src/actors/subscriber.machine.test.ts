import { describe, expect, it } from 'vitest';
import { SimulatedClock, assign, createActor, setup, type ActorRefFrom } from 'xstate';
import type { SubscriberReport, SubscriptionEnded } from './events.ts';
import { subscriberMachine, type SubscriberInput } from './subscriber.machine.ts';
import { FakeTransport } from '../../tests/support/broadcast.ts';

const frame = (id: string) => Buffer.from(`id: ${id}\nevent: window\ndata: {}\n\n`);

/** A subscriber under a stand-in parent that records what it is told (SUBSCRIPTION.ENDED). */
function subscriber(over: Partial<SubscriberInput> = {}) {
  const clock = new SimulatedClock();
  const input: SubscriberInput = { id: 'c1-s1', clusterId: 'c1', capacity: 10, maxPendingBytes: 4096, graceMs: 1000, attachMs: 1000, idleMs: 0, stallMs: 0, now: () => clock.now(), ...over };
  const parent = setup({
    types: {} as { context: { ref: ActorRefFrom<typeof subscriberMachine>; ended: SubscriptionEnded[] }; events: SubscriptionEnded },
    actors: { subscriber: subscriberMachine },
  }).createMachine({
    context: ({ spawn }) => ({ ref: spawn('subscriber', { id: input.id, input }), ended: [] }),
    on: { 'SUBSCRIPTION.ENDED': { actions: assign({ ended: ({ context, event }) => [...context.ended, event] }) } },
  });
  const actor = createActor(parent, { clock }).start();
  const ref = actor.getSnapshot().context.ref;
  const join = (subscriptionId: string, matchId: string | null = null, ephemeral = false) => {
    const transport = new FakeTransport();
    ref.send({ type: 'SUBSCRIPTION.RESERVE', subscriptionId, matchId, ephemeral });
    ref.send({ type: 'SESSION.ATTACH', subscriptionId, transport, preamble: [] });
    return transport;
  };
  const report = () => {
    const into: SubscriberReport[] = [];
    ref.send({ type: 'SUBSCRIBER.INSPECT', into });
    return into[0]!;
  };
  return { clock, ref, join, report, ended: () => actor.getSnapshot().context.ended };
}

describe('subscriber machine', () => {
  it('writes each window frame to the sessions that want its match, and reports what it holds', () => {
    const s = subscriber();
    const all = s.join('a');
    const ind = s.join('b', 'ind-aus');
    s.ref.send({ type: 'SUBSCRIPTION.RESERVE', subscriptionId: 'c', matchId: null, ephemeral: false }); // no stream yet
    s.ref.send({ type: 'WINDOW.BROADCAST', matchId: 'eng-nz', frame: frame('eng-nz:1') });
    s.ref.send({ type: 'WINDOW.BROADCAST', matchId: 'ind-aus', frame: frame('ind-aus:1') });
    expect(all.windowIds()).toEqual(['eng-nz:1', 'ind-aus:1']);
    expect(ind.windowIds()).toEqual(['ind-aus:1']);
    expect(s.report()).toEqual({ id: 'c1-s1', viewers: 2, subscriptions: 3, delivered: 3, slowDisconnects: 0 });
  });

  it('cuts off a viewer whose pending bytes would pass the cap, and keeps writing to the others', () => {
    const s = subscriber({ maxPendingBytes: 100 });
    const ok = s.join('a');
    const stalled = s.join('b');
    stalled.pending = 90;
    s.ref.send({ type: 'WINDOW.BROADCAST', matchId: 'm', frame: frame('m:1') });
    s.ref.send({ type: 'HEARTBEAT.BROADCAST' });
    expect(stalled.closedWith).toBe('slow');
    expect(ok.text()).toContain(':hb\n\n');
    expect(s.report()).toMatchObject({ viewers: 1, delivered: 1, slowDisconnects: 1 });
  });

  it('ends an ad-hoc subscription with its stream, but not on a stale stream’s detach', () => {
    const s = subscriber();
    const first = s.join('v-1', null, true);
    const second = new FakeTransport();
    s.ref.send({ type: 'SESSION.ATTACH', subscriptionId: 'v-1', transport: second, preamble: [] });
    expect(first.closedWith).toBe('replaced');
    s.ref.send({ type: 'SESSION.DETACH', subscriptionId: 'v-1', transport: first });
    expect(s.ended()).toEqual([]);
    s.ref.send({ type: 'SESSION.DETACH', subscriptionId: 'v-1', transport: second });
    expect(s.ended()).toEqual([{ type: 'SUBSCRIPTION.ENDED', subscriptionId: 'v-1', reason: 'left' }]);
    expect(s.report().subscriptions).toBe(0);
  });

  it('releases a detached subscription once the grace period has passed on the clock', () => {
    const s = subscriber({ graceMs: 1000 });
    const gone = s.join('a');
    s.join('b');
    s.ref.send({ type: 'SESSION.DETACH', subscriptionId: 'a', transport: gone });
    s.clock.increment(999);
    expect(s.ended()).toEqual([]);
    s.clock.increment(1000); // the sweep runs every graceMs / 2
    expect(s.ended()).toEqual([{ type: 'SUBSCRIPTION.ENDED', subscriptionId: 'a', reason: 'expired' }]);
    expect(s.report()).toMatchObject({ viewers: 1, subscriptions: 1 });
  });

  it('releases a reservation whose stream never attached after attachMs, long before the grace period', () => {
    const s = subscriber({ graceMs: 60_000, attachMs: 2_000 });
    s.ref.send({ type: 'SUBSCRIPTION.RESERVE', subscriptionId: 'never', matchId: null, ephemeral: false });
    const seen = s.join('seen');
    s.ref.send({ type: 'SESSION.DETACH', subscriptionId: 'seen', transport: seen }); // attached once: keeps its grace
    s.clock.increment(1_000);
    expect(s.ended()).toEqual([]);
    s.clock.increment(2_000);
    expect(s.ended()).toEqual([{ type: 'SUBSCRIPTION.ENDED', subscriptionId: 'never', reason: 'expired' }]);
    s.clock.increment(30_000);
    expect(s.report().subscriptions).toBe(1);
    s.clock.increment(30_000);
    expect(s.ended().map((e) => e.subscriptionId)).toEqual(['never', 'seen']);
  });

  it('retires a viewer that got no window, moment or live frame for idleMs (heartbeats do not count)', () => {
    const s = subscriber({ graceMs: 60_000, idleMs: 10_000 });
    const quiet = s.join('quiet', 'nobody-plays');
    const busy = s.join('busy', 'ind-aus');
    for (let i = 1; i <= 6; i++) {
      s.clock.increment(2_000);
      s.ref.send({ type: 'WINDOW.BROADCAST', matchId: 'ind-aus', frame: frame(`ind-aus:${i}`) });
      s.ref.send({ type: 'HEARTBEAT.BROADCAST' });
    }
    expect(quiet.closedWith).toBe('idle');
    expect(busy.closedWith).toBeNull();
    expect(s.ended()).toEqual([{ type: 'SUBSCRIPTION.ENDED', subscriptionId: 'quiet', reason: 'idle' }]);
    expect(s.report()).toMatchObject({ viewers: 1, subscriptions: 1 });
  });

  it('cuts off as slow a viewer whose bytes stay pending for stallMs; one that drains in between keeps its stream', () => {
    const s = subscriber({ graceMs: 60_000, stallMs: 6_000 });
    const stuck = s.join('stuck');
    const catching = s.join('catching');
    stuck.pending = 10;
    catching.pending = 10;
    for (let i = 0; i < 8; i++) {
      s.clock.increment(1_000);
      if (i === 4) catching.pending = 0; // it read everything once
      else catching.pending = 10;
    }
    expect(stuck.closedWith).toBe('slow');
    expect(catching.closedWith).toBeNull();
    expect(s.report()).toMatchObject({ slowDisconnects: 1 });
    expect(s.ended()).toEqual([]); // the subscription stays for a reconnect
  });

  it('a released subscription ends its stream with the reason given; a stop ends them all', () => {
    const s = subscriber();
    const a = s.join('a');
    const b = s.join('b');
    s.ref.send({ type: 'SUBSCRIPTION.RELEASE', subscriptionId: 'a', reason: 'left' });
    expect(a.closedWith).toBe('left');
    s.ref.send({ type: 'BROADCAST.STOP', reason: 'cluster_failed' });
    expect(b.closedWith).toBe('cluster_failed');
    expect(s.ref.getSnapshot().status).toBe('done');
  });
});
