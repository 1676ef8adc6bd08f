// A cluster publisher: owns its subscribers (spawned at start, more when all are full, up to a limit), keeps
// the cluster's recent window history for Last-Event-ID replay, and encodes each window ONCE into a Buffer
// that every subscriber writes to every session. Placement is least-loaded among subscribers with room.
import { enqueueActions, sendParent, setup, type ActorRefFrom } from 'xstate';
import { idOfRecord, type WindowRecord } from '../domain/window.ts';
import type { AttachResult, ClusterEvent, PlaceResult } from './events.ts';
import { resetFrame, windowFrame } from '../push/frames.ts';
import type { Session } from '../push/session.ts';
import { WindowHistory } from './history.ts';
import { subscriberMachine } from './subscriber.machine.ts';

export interface ClusterParams {
  subscribersPerCluster: number;
  maxSubscribersPerCluster: number;
  subscriberCapacity: number;
  historyMs: number;
  heartbeatMs: number;
  sessionMaxPendingBytes: number;
  subscriptionGraceMs: number;
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
  sessions: Map<string, Session>;
}

export interface ClusterContext extends ClusterInput {
  subscribers: SubscriberSlot[];
  history: WindowHistory;
  windows: number;
}

export const clusterLoad = (c: Pick<ClusterContext, 'subscribers'>): number => {
  let n = 0;
  for (const s of c.subscribers) n += s.sessions.size;
  return n;
};

const holderOf = (c: ClusterContext, subscriptionId: string) => c.subscribers.find((s) => s.sessions.has(subscriptionId));

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
      context.history.push(id, w, frame, context.now());
      context.windows++;
      for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'WINDOW.BROADCAST', matchId: w.match_id, frame });
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
      const sessions = new Map<string, Session>();
      const ref = spawn('subscriber', { id, input: subscriberInput(input, id, sessions) });
      subscribers.push({ id, ref, sessions });
    }
    return { ...input, subscribers, history, windows: 0 };
  },
  initial: 'publishing',
  states: {
    publishing: {
      after: {
        heartbeat: {
          target: 'publishing',
          reenter: true,
          actions: enqueueActions(({ context, enqueue }) => {
            context.history.prune(context.now());
            for (const s of context.subscribers) enqueue.sendTo(s.ref, { type: 'HEARTBEAT.BROADCAST' });
          }),
        },
      },
      on: {
        'WINDOW.PUBLISH': { actions: 'publishWindow' },

        'SUBSCRIPTION.PLACE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const cap = context.params.subscriberCapacity;
            let best: SubscriberSlot | undefined;
            for (const s of context.subscribers) {
              if (s.sessions.has(event.subscriptionId)) { best = s; break; } // already placed (re-adoption)
              if (s.sessions.size < cap && (!best || s.sessions.size < best.sessions.size)) best = s;
            }
            if (!best && context.subscribers.length < context.params.maxSubscribersPerCluster) {
              // every subscriber is full: spawn one more
              const id = `${context.id}-s${context.subscribers.length + 1}`;
              const sessions = new Map<string, Session>();
              enqueue.assign(({ spawn }) => ({
                subscribers: [...context.subscribers, { id, sessions, ref: spawn('subscriber', { id, input: subscriberInput(context, id, sessions) }) }],
              }));
              best = { id, sessions, ref: undefined as never };
            }
            const reply = event.reply;
            if (!best) {
              enqueue(() => reply({ ok: false, code: 'full' }));
              return;
            }
            const target = best.id;
            enqueue.sendTo(target, { type: 'SUBSCRIPTION.RESERVE', subscriptionId: event.subscriptionId, matchId: event.matchId, ephemeral: event.ephemeral });
            const r: PlaceResult = { ok: true, subscriptionId: event.subscriptionId, clusterId: context.id, subscriberId: target };
            enqueue(() => reply(r));
          }),
        },

        'SESSION.ATTACH': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const holder = holderOf(context, event.subscriptionId);
            const reply = event.reply;
            if (!holder) {
              enqueue(() => reply({ ok: false, code: 'not_found' }));
              return;
            }
            const session = holder.sessions.get(event.subscriptionId)!;
            // Replay and registration happen in this one turn, so no window is missed or sent twice.
            const replay = context.history.replayAfter(event.lastEventId, session.matchId);
            const preamble = replay.reset ? [resetFrame(event.lastEventId ?? ''), ...replay.frames] : replay.frames;
            enqueue.sendTo(holder.ref, { type: 'SESSION.ATTACH', subscriptionId: event.subscriptionId, transport: event.transport, preamble });
            const r: AttachResult = {
              ok: true,
              subscriptionId: event.subscriptionId,
              clusterId: context.id,
              subscriberId: holder.id,
              replayed: replay.frames.length,
              reset: replay.reset,
            };
            enqueue(() => reply(r));
          }),
        },

        'SESSION.DETACH': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const holder = holderOf(context, event.subscriptionId);
            if (holder) enqueue.sendTo(holder.ref, event);
          }),
        },

        'SUBSCRIPTION.RELEASE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const holder = holderOf(context, event.subscriptionId);
            if (holder) enqueue.sendTo(holder.ref, event);
          }),
        },

        'SUBSCRIPTION.ENDED': { actions: sendParent(({ event }) => event) },

        'BROADCAST.STOP': {
          target: 'stopped',
          actions: enqueueActions(({ context, event, enqueue }) => {
            for (const s of context.subscribers) enqueue.sendTo(s.ref, event);
          }),
        },
      },
    },
    stopped: { type: 'final' },
  },
});

function subscriberInput(c: Pick<ClusterInput, 'id' | 'params' | 'now'>, id: string, sessions: Map<string, Session>) {
  return {
    id,
    clusterId: c.id,
    capacity: c.params.subscriberCapacity,
    maxPendingBytes: c.params.sessionMaxPendingBytes,
    graceMs: c.params.subscriptionGraceMs,
    sessions,
    now: c.now,
  };
}
