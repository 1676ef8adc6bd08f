// The narrow facade between the HTTP routes and the actors. Each call sends one event to the supervisor and
// returns its answer synchronously: an idle XState actor processes a sent event (and the events it sends
// on to its children) before `send` returns, so the `reply` callback has run by then. The views
// (clusters(), stats()) are what the actors report about themselves (BROADCAST.INSPECT), never read from
// their contexts.
import type { Actor } from 'xstate';
import type { MomentRecord } from '../domain/moment.ts';
import type { LiveRecord, WindowRecord } from '../domain/window.ts';
import type { AttachResult, BroadcastReport, PlaceResult } from './events.ts';
import type { DisconnectReason } from '../push/disconnect.ts';
import type { SessionTransport } from '../push/transport.ts';
import type { supervisorMachine } from './supervisor.machine.ts';

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
  /** Hand a moment to the supervisor (what the consumer of emoji-moments does). */
  publishMoment(moment: MomentRecord): void;
  /** Hand a live record to the supervisor (what the consumer of emoji-live does). */
  publishLive(live: LiveRecord): void;
  subscribe(req: { matchId?: string | null; clusterId?: string | null }): PlaceResult;
  /**
   * Take on a subscription made on another instance (its stream token was verified by the caller): placed
   * on `clusterId` here, least-loaded; a subscription already held here is answered as it is.
   */
  adopt(req: { subscriptionId: string; clusterId: string; matchId: string | null }): PlaceResult;
  /** True when this instance holds the subscription (made here, or adopted). */
  holds(subscriptionId: string): boolean;
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

/** What every actor reports about itself, gathered in one synchronous round of events. */
function inspect(actor: SupervisorActor): BroadcastReport {
  const into: BroadcastReport = { windows: 0, duplicates: 0, clusterFailures: 0, subscriptions: 0, clusters: [] };
  actor.send({ type: 'BROADCAST.INSPECT', into });
  return into;
}

export function createFacade(actor: SupervisorActor): BroadcastFacade {
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

    publishMoment(moment) {
      actor.send({ type: 'MOMENT.RECEIVED', moment });
    },

    publishLive(live) {
      actor.send({ type: 'LIVE.RECEIVED', live });
    },

    subscribe({ matchId = null, clusterId = null }) {
      if (!running()) return { ok: false, code: 'unavailable' };
      return ask<PlaceResult>(actor, (reply) => ({ type: 'SUBSCRIPTION.CREATE', matchId, clusterId, ephemeral: false, reply }));
    },

    adopt({ subscriptionId, clusterId, matchId }) {
      if (!running()) return { ok: false, code: 'unavailable' };
      const held = actor.getSnapshot().context.subscriptions.get(subscriptionId);
      if (held) return { ok: true, subscriptionId, clusterId: held.clusterId, subscriberId: held.subscriberId };
      return ask<PlaceResult>(actor, (reply) => ({ type: 'SUBSCRIPTION.CREATE', matchId, clusterId, ephemeral: false, subscriptionId, reply }));
    },

    holds(subscriptionId) {
      return actor.getSnapshot().context.subscriptions.get(subscriptionId) !== undefined;
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
      return actor.getSnapshot().context.clusterIds.includes(clusterId);
    },

    clusters() {
      if (!running()) return [];
      const { params } = actor.getSnapshot().context;
      return inspect(actor).clusters.map((c): ClusterView => {
        const subscribers = c.subscribers.map((s): SubscriberView => ({
          subscriber_id: s.id,
          viewers: s.viewers,
          subscriptions: s.subscriptions,
          capacity: params.subscriberCapacity,
        }));
        return {
          cluster_id: c.id,
          status: c.status,
          generation: c.generation,
          restarts: c.restarts,
          viewers: subscribers.reduce((n, s) => n + s.viewers, 0),
          subscriptions: subscribers.reduce((n, s) => n + s.subscriptions, 0),
          capacity: subscribers.length * params.subscriberCapacity,
          max_capacity: params.maxSubscribersPerCluster * params.subscriberCapacity,
          history_windows: c.historyWindows,
          subscribers,
        };
      });
    },

    stats() {
      const r = inspect(actor);
      const s: BroadcastStats = {
        windows: r.windows,
        duplicates: r.duplicates,
        cluster_failures: r.clusterFailures,
        viewers: 0,
        subscriptions: r.subscriptions,
        delivered: 0,
        slow_disconnects: 0,
      };
      for (const c of r.clusters) {
        for (const sub of c.subscribers) {
          s.viewers += sub.viewers;
          s.delivered += sub.delivered;
          s.slow_disconnects += sub.slowDisconnects;
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
