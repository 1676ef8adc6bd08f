// A subscriber: the hub of up to `capacity` viewer sessions, which it alone owns. It writes each window frame
// (the same Buffer for every session, encoded once by its cluster) to the sessions that want that match,
// never waiting on one. Detached subscriptions (the viewer's stream dropped) are kept `graceMs` so the viewer
// can reconnect with Last-Event-ID; a periodic sweep on the injected clock releases the ones that did not
// come back, and tells the cluster (SUBSCRIPTION.ENDED). The same sweep retires what holds a place for
// nothing: a reservation whose stream never attached within `attachMs` (expired), a viewer that got no
// window, moment or live frame for `idleMs` (idle: its match is quiet or gone), and a viewer whose bytes
// have stayed pending for `stallMs` (cut as slow: a reader that stopped reading, or never catches up).
//
// Every change to the context happens in an `assign`. The `sessions` Map is updated in place there (copying
// it per event would cost O(viewers)); sessions are plain objects (src/push/session.ts), and the writes to
// their transports happen in the same assign because the delivery counts depend on their outcome.
import { assign, enqueueActions, setup } from 'xstate';
import type { DisconnectReason } from '../push/disconnect.ts';
import { HEARTBEAT_FRAME } from '../push/frames.ts';
import { Session } from '../push/session.ts';
import type { SubscriberEvent, SubscriptionEnded } from './events.ts';

export interface SubscriberInput {
  id: string;
  clusterId: string;
  capacity: number;
  maxPendingBytes: number;
  graceMs: number;
  /** a reservation whose stream never attached is released after this */
  attachMs: number;
  /** a viewer that got no window, moment or live frame for this long is retired (0: never) */
  idleMs: number;
  /** a viewer whose bytes stayed pending this long is cut off as slow (0: never) */
  stallMs: number;
  now: () => number;
}

export interface SubscriberStats {
  windows: number;
  delivered: number;
  slowDisconnects: number;
  expired: number;
}

export interface SubscriberContext extends SubscriberInput {
  sessions: Map<string, Session>;
  stats: SubscriberStats;
}

/** Viewers with an open stream (as opposed to reservations waiting for one). */
export function attachedCount(sessions: Map<string, Session>): number {
  let n = 0;
  for (const s of sessions.values()) if (s.transport && !s.transport.closed) n++;
  return n;
}

const ended = (subscriptionId: string, reason: DisconnectReason): SubscriptionEnded => ({ type: 'SUBSCRIPTION.ENDED', subscriptionId, reason });

/**
 * Write `frame` to every attached session that wants it; returns how many got it and how many were cut off.
 * `at`: the clock time, for frames that count as activity (windows and moments; not heartbeats).
 */
function deliverAll(sessions: Map<string, Session>, frame: Buffer, maxPendingBytes: number, matchId: string | null, windowId?: string, at?: number) {
  let delivered = 0;
  let slow = 0;
  for (const s of sessions.values()) {
    if (s.transport === null || s.transport.closed || (matchId !== null && !s.wants(matchId))) continue;
    if (windowId !== undefined) s.windowClosed(windowId);
    if (s.deliver(frame, maxPendingBytes)) {
      delivered++;
      if (at !== undefined) s.lastFrameAt = at;
    } else slow++;
  }
  return { delivered, slow };
}

/** A live frame to every attached session of its match, coalesced per window for a viewer whose queue is not empty. */
function deliverLive(sessions: Map<string, Session>, frame: Buffer, maxPendingBytes: number, matchId: string, windowId: string, at: number) {
  let slow = 0;
  for (const s of sessions.values()) {
    if (s.transport === null || s.transport.closed || !s.wants(matchId)) continue;
    if (!s.deliverLive(windowId, frame, maxPendingBytes)) slow++;
    else s.lastFrameAt = at;
  }
  return { slow };
}

export const subscriberMachine = setup({
  types: {} as { context: SubscriberContext; input: SubscriberInput; events: SubscriberEvent },
  actions: {
    reserve: assign(({ context, event }) => {
      if (event.type === 'SUBSCRIPTION.RESERVE' && !context.sessions.has(event.subscriptionId)) {
        context.sessions.set(event.subscriptionId, new Session(event.subscriptionId, event.matchId, event.ephemeral, context.now()));
      }
      return {};
    }),
    attach: assign(({ context, event }) => {
      if (event.type === 'SESSION.ATTACH') context.sessions.get(event.subscriptionId)?.attach(event.transport, event.preamble, context.now());
      return {};
    }),
    /** Forget the stream if it is still the session's; an ad-hoc (ephemeral) subscription ends with it. */
    detach: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SESSION.DETACH') return;
      const s = context.sessions.get(event.subscriptionId);
      if (!s || s.transport !== event.transport) return; // another stream took over meanwhile: not ours to end
      enqueue.assign(({ context }) => {
        s.detach(event.transport, context.now());
        if (s.ephemeral) context.sessions.delete(event.subscriptionId);
        return {};
      });
      if (s.ephemeral) enqueue.sendParent(ended(event.subscriptionId, 'left'));
    }),
    release: assign(({ context, event }) => {
      if (event.type !== 'SUBSCRIPTION.RELEASE') return {};
      const s = context.sessions.get(event.subscriptionId);
      if (s) {
        context.sessions.delete(event.subscriptionId);
        s.end(event.reason);
      }
      return {};
    }),
    broadcastWindow: assign(({ context, event }) => {
      if (event.type !== 'WINDOW.BROADCAST') return {};
      const r = deliverAll(context.sessions, event.frame, context.maxPendingBytes, event.matchId, event.windowId, context.now());
      const st = context.stats;
      return { stats: { ...st, windows: st.windows + 1, delivered: st.delivered + r.delivered, slowDisconnects: st.slowDisconnects + r.slow } };
    }),
    broadcastLive: assign(({ context, event }) => {
      if (event.type !== 'LIVE.BROADCAST') return {};
      const r = deliverLive(context.sessions, event.frame, context.maxPendingBytes, event.matchId, event.windowId, context.now());
      return r.slow ? { stats: { ...context.stats, slowDisconnects: context.stats.slowDisconnects + r.slow } } : {};
    }),
    broadcastHeartbeat: assign(({ context }) => {
      const r = deliverAll(context.sessions, HEARTBEAT_FRAME, context.maxPendingBytes, null);
      return r.slow ? { stats: { ...context.stats, slowDisconnects: context.stats.slowDisconnects + r.slow } } : {};
    }),
    /**
     * Release subscriptions whose viewer has been gone longer than the grace period (or whose stream never
     * attached within attachMs), retire idle viewers, cut off stalled ones.
     */
    sweep: enqueueActions(({ context, enqueue }) => {
      const now = context.now();
      const expired: string[] = [];
      const idle: string[] = [];
      const stalled: Session[] = [];
      for (const [id, s] of context.sessions) {
        if (s.transport === null) {
          if (s.detachedAt !== null && s.detachedAt <= now - (s.attachedOnce ? context.graceMs : context.attachMs)) expired.push(id);
        } else if (!s.transport.closed) {
          if (context.idleMs > 0 && now - s.lastFrameAt >= context.idleMs) idle.push(id);
          else if (s.stalled(now, context.stallMs)) stalled.push(s);
        }
      }
      if (expired.length + idle.length + stalled.length === 0) return;
      enqueue.assign(({ context }) => {
        for (const id of expired) context.sessions.delete(id);
        for (const id of idle) {
          context.sessions.get(id)?.end('idle');
          context.sessions.delete(id);
        }
        for (const s of stalled) s.transport?.close('slow');
        const st = context.stats;
        return { stats: { ...st, expired: st.expired + expired.length + idle.length, slowDisconnects: st.slowDisconnects + stalled.length } };
      });
      for (const id of expired) enqueue.sendParent(ended(id, 'expired'));
      for (const id of idle) enqueue.sendParent(ended(id, 'idle'));
    }),
    report: ({ context, event }) => {
      if (event.type !== 'SUBSCRIBER.INSPECT') return;
      event.into.push({
        id: context.id,
        viewers: attachedCount(context.sessions),
        subscriptions: context.sessions.size,
        delivered: context.stats.delivered,
        slowDisconnects: context.stats.slowDisconnects,
      });
    },
    endAll: assign(({ context, event }) => {
      const reason = event.type === 'BROADCAST.STOP' ? event.reason : 'shutdown';
      for (const s of context.sessions.values()) s.end(reason);
      return {};
    }),
  },
  delays: {
    sweep: ({ context }) => {
      const every = [context.graceMs, context.attachMs, context.idleMs, context.stallMs].filter((ms) => ms > 0);
      return Math.max(50, Math.min(5_000, Math.floor(Math.min(...every) / 2)));
    },
  },
}).createMachine({
  id: 'subscriber',
  context: ({ input }) => ({ ...input, sessions: new Map(), stats: { windows: 0, delivered: 0, slowDisconnects: 0, expired: 0 } }),
  initial: 'serving',
  states: {
    serving: {
      after: { sweep: { target: 'serving', reenter: true, actions: 'sweep' } },
      on: {
        'SUBSCRIPTION.RESERVE': { actions: 'reserve' },
        'SESSION.ATTACH': { actions: 'attach' },
        'SESSION.DETACH': { actions: 'detach' },
        'SUBSCRIPTION.RELEASE': { actions: 'release' },
        'WINDOW.BROADCAST': { actions: 'broadcastWindow' },
        'LIVE.BROADCAST': { actions: 'broadcastLive' },
        'HEARTBEAT.BROADCAST': { actions: 'broadcastHeartbeat' },
        'SUBSCRIBER.INSPECT': { actions: 'report' },
        'BROADCAST.STOP': { target: 'stopped', actions: 'endAll' },
      },
    },
    stopped: { type: 'final' },
  },
});
