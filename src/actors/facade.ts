// The narrow facade between the HTTP routes and the actors. Each call sends one event to the supervisor and
// returns its answer synchronously: an idle XState actor processes a sent event (and the events it sends
// on to its children) before `send` returns, so the `reply` callback has run by then.
import { randomUUID } from 'node:crypto';
import type { Actor } from 'xstate';
import type { WindowRecord } from '../domain/window.ts';
import type { ClusterContext } from './cluster.machine.ts';
import type { AttachResult, PlaceResult } from './events.ts';
import type { DisconnectReason } from '../push/disconnect.ts';
import type { SessionTransport } from '../push/transport.ts';
import { attachedCount, type SubscriberContext } from './subscriber.machine.ts';
import { clusterCapacity, type SupervisorContext, type supervisorMachine } from './supervisor.machine.ts';

export type SupervisorActor = Actor<typeof supervisorMachine>;

export interface SubscriberView {
  subscriber_id: string;
  viewers: number;
  subscriptions: number;
  capacity: number;
}
export interface ClusterView {
  cluster_id: string;
  status: 'up' | 'restarting';
  generation: number;
  restarts: number;
  viewers: number;
  subscriptions: number;
  capacity: number;
  max_capacity: number;
  history_windows: number;
  subscribers: SubscriberView[];
}

export interface BroadcastStats {
  windows: number;
  duplicates: number;
  cluster_failures: number;
  viewers: number;
  subscriptions: number;
  delivered: number;
  slow_disconnects: number;
}

export interface AttachRequest {
  clusterId: string;
  subscriptionId: string | null;
  matchId: string | null;
  lastEventId: string | null;
  transport: SessionTransport;
}

export interface BroadcastFacade {
  /** Hand a window to the supervisor (what the Kafka consumer does); false when it was a duplicate. */
  publish(window: WindowRecord): boolean;
  subscribe(req: { matchId?: string | null; clusterId?: string | null }): PlaceResult;
  unsubscribe(subscriptionId: string): boolean;
  attach(req: AttachRequest): AttachResult;
  detach(subscriptionId: string, transport: SessionTransport): void;
  hasCluster(clusterId: string): boolean;
  clusters(): ClusterView[];
  stats(): BroadcastStats;
  /** Close every stream with `reason` and stop the actors. */
  stop(reason?: DisconnectReason): void;
}

function ask<T>(actor: SupervisorActor, build: (reply: (r: T) => void) => Parameters<SupervisorActor['send']>[0]): T {
  let answer: { v: T } | null = null;
  actor.send(build((v) => (answer = { v })));
  if (answer === null) throw new Error('the supervisor did not answer (stopped?)');
  return (answer as { v: T }).v;
}

export function createFacade(actor: SupervisorActor): BroadcastFacade {
  const ctx = () => actor.getSnapshot().context as SupervisorContext;
  const running = () => actor.getSnapshot().status === 'active';

  return {
    publish(window) {
      let fresh = false;
      const seen = actor.on('window.received', (e) => {
        if (e.window === window) fresh = e.fresh;
      });
      actor.send({ type: 'WINDOW.RECEIVED', window });
      seen.unsubscribe();
      return fresh;
    },

    subscribe({ matchId = null, clusterId = null }) {
      if (!running()) return { ok: false, code: 'unavailable' };
      return ask<PlaceResult>(actor, (reply) => ({
        type: 'SUBSCRIPTION.CREATE',
        subscriptionId: `sub-${randomUUID()}`,
        matchId,
        clusterId,
        ephemeral: false,
        reply,
      }));
    },

    unsubscribe(subscriptionId) {
      if (!running()) return false;
      return ask<boolean>(actor, (reply) => ({ type: 'SUBSCRIPTION.DELETE', subscriptionId, reply }));
    },

    attach(req) {
      if (!running()) return { ok: false, code: 'unavailable' };
      return ask<AttachResult>(actor, (reply) => ({ type: 'SESSION.ATTACH', ...req, reply }));
    },

    detach(subscriptionId, transport) {
      if (running()) actor.send({ type: 'SESSION.DETACH', subscriptionId, transport });
    },

    hasCluster(clusterId) {
      return clusterId in ctx().records;
    },

    clusters() {
      const c = ctx();
      return c.clusterIds.map((id): ClusterView => {
        const rec = c.records[id]!;
        const cc = rec.ref?.getSnapshot().context as ClusterContext | undefined;
        const subscribers = (cc?.subscribers ?? []).map((s): SubscriberView => ({
          subscriber_id: s.id,
          viewers: attachedCount(s.sessions),
          subscriptions: s.sessions.size,
          capacity: c.params.subscriberCapacity,
        }));
        return {
          cluster_id: id,
          status: rec.status,
          generation: rec.generation,
          restarts: rec.restarts,
          viewers: subscribers.reduce((n, s) => n + s.viewers, 0),
          subscriptions: clusterCapacity(c, rec).load,
          capacity: subscribers.length * c.params.subscriberCapacity,
          max_capacity: c.params.maxSubscribersPerCluster * c.params.subscriberCapacity,
          history_windows: cc?.history.size ?? 0,
          subscribers,
        };
      });
    },

    stats() {
      const c = ctx();
      const s: BroadcastStats = {
        windows: c.stats.windows,
        duplicates: c.stats.duplicates,
        cluster_failures: c.stats.clusterFailures,
        viewers: 0,
        subscriptions: c.subscriptions.size,
        delivered: 0,
        slow_disconnects: 0,
      };
      for (const id of c.clusterIds) {
        const cc = c.records[id]!.ref?.getSnapshot().context as ClusterContext | undefined;
        for (const sub of cc?.subscribers ?? []) {
          const sc = sub.ref.getSnapshot().context as SubscriberContext;
          s.viewers += attachedCount(sub.sessions);
          s.delivered += sc.stats.delivered;
          s.slow_disconnects += sc.stats.slowDisconnects;
        }
      }
      return s;
    },

    stop(reason = 'shutdown') {
      if (!running()) return;
      actor.send({ type: 'BROADCAST.STOP', reason });
      actor.stop();
    },
  };
}
