// A subscriber: the hub of up to `capacity` viewer sessions. It writes each window frame (the same Buffer for
// every session, encoded once by its cluster) to the sessions that want that match, never waiting on one.
// Detached subscriptions (the viewer's stream dropped) are kept `graceMs` so the viewer can reconnect with
// Last-Event-ID; a periodic sweep on the injected clock releases the ones that did not come back.
//
// `sessions` is a Map mutated in place by the actions below (copying it per event would cost O(viewers));
// the cluster that spawned this subscriber reads its size for placement.
import { enqueueActions, sendParent, setup } from 'xstate';
import type { SubscriberEvent, SubscriptionEnded } from './events.ts';
import type { DisconnectReason } from '../push/disconnect.ts';
import { HEARTBEAT_FRAME } from '../push/frames.ts';
import { Session } from '../push/session.ts';

export interface SubscriberInput {
  id: string;
  clusterId: string;
  capacity: number;
  maxPendingBytes: number;
  graceMs: number;
  sessions: Map<string, Session>;
  now: () => number;
}

export interface SubscriberStats {
  windows: number;
  delivered: number;
  slowDisconnects: number;
  expired: number;
}

export interface SubscriberContext extends SubscriberInput {
  stats: SubscriberStats;
}

/** Viewers with an open stream (as opposed to reservations waiting for one). */
export function attachedCount(sessions: Map<string, Session>): number {
  let n = 0;
  for (const s of sessions.values()) if (s.transport && !s.transport.closed) n++;
  return n;
}

const ended = (subscriptionId: string, reason: DisconnectReason): SubscriptionEnded => ({
  type: 'SUBSCRIPTION.ENDED',
  subscriptionId,
  reason,
});

export const subscriberMachine = setup({
  types: {} as { context: SubscriberContext; input: SubscriberInput; events: SubscriberEvent },
  actions: {
    reserve: ({ context, event }) => {
      if (event.type !== 'SUBSCRIPTION.RESERVE') return;
      if (!context.sessions.has(event.subscriptionId)) {
        context.sessions.set(event.subscriptionId, new Session(event.subscriptionId, event.matchId, event.ephemeral, context.now()));
      }
    },
    attach: ({ context, event }) => {
      if (event.type !== 'SESSION.ATTACH') return;
      context.sessions.get(event.subscriptionId)?.attach(event.transport, event.preamble);
    },
    broadcastWindow: ({ context, event }) => {
      if (event.type !== 'WINDOW.BROADCAST') return;
      const { frame, matchId } = event;
      const max = context.maxPendingBytes;
      const stats = context.stats;
      stats.windows++;
      for (const s of context.sessions.values()) {
        if (s.transport === null || s.transport.closed || !s.wants(matchId)) continue;
        if (s.deliver(frame, max)) stats.delivered++;
        else stats.slowDisconnects++;
      }
    },
    broadcastHeartbeat: ({ context }) => {
      for (const s of context.sessions.values()) {
        if (s.transport !== null && !s.transport.closed && !s.deliver(HEARTBEAT_FRAME, context.maxPendingBytes)) context.stats.slowDisconnects++;
      }
    },
    stopAll: ({ context, event }) => {
      const reason = event.type === 'BROADCAST.STOP' ? event.reason : 'shutdown';
      for (const s of context.sessions.values()) s.end(reason);
    },
  },
  delays: {
    sweep: ({ context }) => Math.max(50, Math.min(5_000, Math.floor(context.graceMs / 2))),
  },
}).createMachine({
  id: 'subscriber',
  context: ({ input }) => ({ ...input, stats: { windows: 0, delivered: 0, slowDisconnects: 0, expired: 0 } }),
  initial: 'serving',
  states: {
    serving: {
      after: {
        // Release subscriptions whose viewer has been gone longer than the grace period.
        sweep: {
          target: 'serving',
          reenter: true,
          actions: enqueueActions(({ context, enqueue }) => {
            const cutoff = context.now() - context.graceMs;
            for (const [id, s] of context.sessions) {
              if (s.transport === null && s.detachedAt !== null && s.detachedAt <= cutoff) {
                context.sessions.delete(id);
                context.stats.expired++;
                enqueue(sendParent(ended(id, 'expired')));
              }
            }
          }),
        },
      },
      on: {
        'SUBSCRIPTION.RESERVE': { actions: 'reserve' },
        'SESSION.ATTACH': { actions: 'attach' },
        'SESSION.DETACH': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const s = context.sessions.get(event.subscriptionId);
            if (!s || !s.detach(event.transport, context.now())) return;
            if (s.ephemeral) {
              context.sessions.delete(event.subscriptionId);
              enqueue(sendParent(ended(event.subscriptionId, 'left')));
            }
          }),
        },
        'SUBSCRIPTION.RELEASE': {
          actions: ({ context, event }) => {
            const s = context.sessions.get(event.subscriptionId);
            if (!s) return;
            context.sessions.delete(event.subscriptionId);
            s.end(event.reason);
          },
        },
        'WINDOW.BROADCAST': { actions: 'broadcastWindow' },
        'HEARTBEAT.BROADCAST': { actions: 'broadcastHeartbeat' },
        'BROADCAST.STOP': { target: 'stopped', actions: 'stopAll' },
      },
    },
    stopped: { type: 'final' },
  },
});
