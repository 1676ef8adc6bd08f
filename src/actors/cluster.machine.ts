// A cluster publisher: owns its subscribers (spawned at start, more when all are full, up to a limit), keeps
// the cluster's recent window history for Last-Event-ID replay, and encodes each window ONCE into a Buffer
// that every subscriber writes to every session. Placement is least-loaded among subscribers with room.
//
// The cluster never reads a subscriber's sessions: it keeps its own index of which subscriber holds which
// subscription (kept exact by the events that add and remove them: PLACE, RELEASE, and the subscriber's
// SUBSCRIPTION.ENDED). Every change to the context happens in an `assign`; the index and the history are
// updated in place there (copying them per event would cost O(viewers)).
import { assign, enqueueActions, setup, type ActorRefFrom } from 'xstate';
import { momentId } from '../domain/moment.ts';
import { idOfRecord, type WindowRecord } from '../domain/window.ts';
import { liveFrame, momentFrame, resetFrame, windowFrame } from '../push/frames.ts';
import type { AttachResult, ClusterEvent, PlaceResult } from './events.ts';
import { WindowHistory } from './history.ts';
import { subscriberMachine, type SubscriberInput } from './subscriber.machine.ts';

export interface ClusterParams {
  subscribersPerCluster: number;
  maxSubscribersPerCluster: number;
  subscriberCapacity: number;
  historyMs: number;
  /** at most this many frames / bytes replayed on one reconnect (Last-Event-ID) */
  replayMaxFrames: number;
  replayMaxBytes: number;
  heartbeatMs: number;
  sessionMaxPendingBytes: number;
  subscriptionGraceMs: number;
  subscriptionAttachMs: number;
  sessionIdleMs: number;
  sessionStallMs: number;
}

export interface ClusterInput {
  id: string;
  generation: number;
  params: ClusterParams;
  now: () => number;
  /** windows received before this generation started (after a restart): rebuilt into the history. */
  seed: { window: WindowRecord; at: number }[];
}

export interface SubscriberSlot {
  id: string;
  ref: ActorRefFrom<typeof subscriberMachine>;
  /** subscriptions placed on it (reservations included) */
  load: number;
}

/** Where a subscription lives, and the match it wants (for the replay filter). */
export interface Holding {
  subscriberId: string;
  matchId: string | null;
}

export interface ClusterContext extends ClusterInput {
  subscribers: SubscriberSlot[];
  holdings: Map<string, Holding>;
  history: WindowHistory;
  windows: number;
}

const slotOf = (c: ClusterContext, subscriberId: string) => c.subscribers.find((s) => s.id === subscriberId);

/** The subscriber with the fewest subscriptions among those with room; undefined when all are full. */
export function leastLoaded(subscribers: SubscriberSlot[], capacity: number): SubscriberSlot | undefined {
  let best: SubscriberSlot | undefined;
  for (const s of subscribers) if (s.load < capacity && (!best || s.load < best.load)) best = s;
  return best;
}

function subscriberInput(c: Pick<ClusterInput, 'id' | 'params' | 'now'>, id: string): SubscriberInput {
  return {
    id,
    clusterId: c.id,
    capacity: c.params.subscriberCapacity,
    maxPendingBytes: c.params.sessionMaxPendingBytes,
    graceMs: c.params.subscriptionGraceMs,
    attachMs: c.params.subscriptionAttachMs,
    idleMs: c.params.sessionIdleMs,
    stallMs: c.params.sessionStallMs,
    now: c.now,
  };
}

export const clusterMachine = setup({
  types: {} as { context: ClusterContext; input: ClusterInput; events: ClusterEvent },
  actors: { subscriber: subscriberMachine },
  actions: {
    /** Encode once, remember, hand the same Buffer to every subscriber. */
    publishWindow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'WINDOW.PUBLISH') return;
      const w = event.window;
      const id = idOfRecord(w);
      const frame = windowFrame(id, w);
      enqueue.assign(({ context }) => {
        context.history.push(id, w, frame, context.now());
        return { windows: context.windows + 1 };
      });
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'WINDOW.BROADCAST', matchId: w.match_id, frame, windowId: id });
    }),

    /** Running counts of an open window: encoded once, to every subscriber, not kept in the history (never replayed). */
    publishLive: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'LIVE.PUBLISH') return;
      const frame = liveFrame(event.live);
      const windowId = idOfRecord(event.live);
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'LIVE.BROADCAST', matchId: event.live.match_id, windowId, frame });
    }),

    /** A moment: same path as a window (encoded once, kept in the history for replay, every subscriber). */
    publishMoment: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'MOMENT.PUBLISH') return;
      const m = event.moment;
      const id = momentId(m);
      const frame = momentFrame(id, m);
      enqueue.assign(({ context }) => {
        context.history.push(id, m, frame, context.now());
        return {};
      });
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'WINDOW.BROADCAST', matchId: m.match_id, frame });
    }),

    heartbeat: enqueueActions(({ context, enqueue }) => {
      enqueue.assign(({ context }) => {
        context.history.prune(context.now());
        return {};
      });
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'HEARTBEAT.BROADCAST' });
    }),

    /** Least-loaded subscriber with room; spawn one more when all are full (up to the limit); else `full`. */
    place: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SUBSCRIPTION.PLACE') return;
      const { subscriptionId, matchId, ephemeral, reply } = event;
      const placed = (result: PlaceResult) => enqueue.sendParent({ type: 'SUBSCRIPTION.PLACED', subscriptionId, result, matchId, ephemeral, reply });
      const held = context.holdings.get(subscriptionId); // already placed here (re-adoption): same subscriber
      let target = held?.subscriberId ?? leastLoaded(context.subscribers, context.params.subscriberCapacity)?.id;
      if (target === undefined && context.subscribers.length < context.params.maxSubscribersPerCluster) {
        const id = `${context.id}-s${context.subscribers.length + 1}`;
        enqueue.assign(({ context, spawn }) => ({
          subscribers: [...context.subscribers, { id, load: 0, ref: spawn('subscriber', { id, input: subscriberInput(context, id) }) }],
        }));
        target = id;
      }
      if (target === undefined) return placed({ ok: false, code: 'full' });
      const subscriberId = target;
      if (!held) {
        enqueue.assign(({ context }) => {
          context.holdings.set(subscriptionId, { subscriberId, matchId });
          slotOf(context, subscriberId)!.load++;
          return {};
        });
      }
      enqueue.sendTo(subscriberId, { type: 'SUBSCRIPTION.RESERVE', subscriptionId, matchId, ephemeral });
      placed({ ok: true, subscriptionId, clusterId: context.id, subscriberId });
    }),

    /** Replay and registration happen in this one turn, so no window is missed or sent twice. */
    attach: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SESSION.ATTACH') return;
      const reply = event.reply;
      const held = context.holdings.get(event.subscriptionId);
      if (!held) {
        enqueue(() => reply({ ok: false, code: 'not_found' }));
        return;
      }
      const replay = context.history.replayAfter(event.lastEventId, held.matchId, { frames: context.params.replayMaxFrames, bytes: context.params.replayMaxBytes });
      const preamble = replay.reset ? [resetFrame(event.lastEventId ?? '', replay.capped ? 'replay_limit' : 'history'), ...replay.frames] : replay.frames;
      enqueue.sendTo(held.subscriberId, { type: 'SESSION.ATTACH', subscriptionId: event.subscriptionId, transport: event.transport, preamble });
      const r: AttachResult = {
        ok: true,
        subscriptionId: event.subscriptionId,
        clusterId: context.id,
        subscriberId: held.subscriberId,
        replayed: replay.frames.length,
        reset: replay.reset,
      };
      enqueue(() => reply(r));
    }),

    /** Hand a detach or a release to the subscriber holding the subscription. */
    forwardToHolder: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SESSION.DETACH' && event.type !== 'SUBSCRIPTION.RELEASE') return;
      const held = context.holdings.get(event.subscriptionId);
      if (held) enqueue.sendTo(held.subscriberId, event);
    }),

    /** The subscription is gone from its subscriber (released here, or ended there): forget where it was. */
    forget: assign(({ context, event }) => {
      if (event.type !== 'SUBSCRIPTION.RELEASE' && event.type !== 'SUBSCRIPTION.ENDED') return {};
      const held = context.holdings.get(event.subscriptionId);
      if (held) {
        context.holdings.delete(event.subscriptionId);
        slotOf(context, held.subscriberId)!.load--;
      }
      return {};
    }),

    tellSupervisor: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'SUBSCRIPTION.ENDED') enqueue.sendParent(event);
    }),

    report: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CLUSTER.INSPECT') return;
      event.into.historyWindows = context.history.size;
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'SUBSCRIBER.INSPECT', into: event.into.subscribers });
    }),

    stopSubscribers: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BROADCAST.STOP') return;
      for (const s of context.subscribers) enqueue.sendTo(s.ref, event);
    }),
  },
  delays: {
    heartbeat: ({ context }) => context.params.heartbeatMs,
  },
}).createMachine({
  id: 'cluster',
  context: ({ input, spawn }) => {
    const history = new WindowHistory(input.params.historyMs);
    for (const { window, at } of input.seed) {
      const id = idOfRecord(window);
      history.push(id, window, windowFrame(id, window), at);
    }
    history.prune(input.now());
    const subscribers: SubscriberSlot[] = [];
    for (let i = 1; i <= input.params.subscribersPerCluster; i++) {
      const id = `${input.id}-s${i}`;
      subscribers.push({ id, load: 0, ref: spawn('subscriber', { id, input: subscriberInput(input, id) }) });
    }
    return { ...input, subscribers, holdings: new Map(), history, windows: 0 };
  },
  initial: 'publishing',
  states: {
    publishing: {
      after: { heartbeat: { target: 'publishing', reenter: true, actions: 'heartbeat' } },
      on: {
        'WINDOW.PUBLISH': { actions: 'publishWindow' },
        'MOMENT.PUBLISH': { actions: 'publishMoment' },
        'LIVE.PUBLISH': { actions: 'publishLive' },
        'SUBSCRIPTION.PLACE': { actions: 'place' },
        'SESSION.ATTACH': { actions: 'attach' },
        'SESSION.DETACH': { actions: 'forwardToHolder' },
        'SUBSCRIPTION.RELEASE': { actions: ['forwardToHolder', 'forget'] },
        'SUBSCRIPTION.ENDED': { actions: ['forget', 'tellSupervisor'] },
        'CLUSTER.INSPECT': { actions: 'report' },
        'BROADCAST.STOP': { target: 'stopped', actions: 'stopSubscribers' },
      },
    },
    stopped: { type: 'final' },
  },
});
