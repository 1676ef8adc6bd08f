// The supervisor (systemId 'supervisor'): receives every window from the main publisher (the `windowSource`
// actor, provided by the composition root), drops repeated window ids (the Spark Kafka sink is
// at-least-once), and fans each window out to its cluster publishers. It places subscriptions on the
// least-loaded cluster (placement.ts), and when a cluster publisher fails (`xstate.error.actor.<id>`) it ends
// that cluster's streams (the viewers reconnect with Last-Event-ID) and restarts it after an exponential
// backoff on the injected clock (supervision.ts), seeded with the recent windows (recent-windows.ts) so the
// reconnecting viewers miss nothing. Other clusters are not touched.
//
// Every behaviour is a named guard, action or actor below, so a test can swap any of them with .provide().
// Every change to the context happens in an `assign`; the registries that grow with viewers (subscriptions,
// recent windows) are updated in place there, since copying them per event would cost O(viewers).
import { assign, enqueueActions, fromCallback, setup, type ErrorActorEvent } from 'xstate';
import { momentId } from '../domain/moment.ts';
import { idOfRecord, type LiveRecord, type WindowRecord } from '../domain/window.ts';
import { clusterMachine, type ClusterParams } from './cluster.machine.ts';
import type { BroadcastReport, PlaceResult, SupervisorEmitted, SupervisorEvent } from './events.ts';
import { chooseCluster, Subscriptions, type ClusterState } from './placement.ts';
import { RecentWindows } from './recent-windows.ts';
import { actorIdOf, afterFailure, nextGeneration, retryIn, type Backoff, type ClusterRecord } from './supervision.ts';

/** Whether a live record carries a window's counts (its total, per-emoji counts and late events). */
export function sameCounts(a: WindowRecord, b: WindowRecord): boolean {
  if (a.total !== b.total || (a.late ?? 0) !== (b.late ?? 0)) return false;
  const ka = Object.keys(a.counts);
  return ka.length === Object.keys(b.counts).length && ka.every((k) => a.counts[k] === b.counts[k]);
}

export type { ClusterRecord } from './supervision.ts';

export interface SupervisorInput {
  clusters: number;
  params: ClusterParams;
  backoff: Backoff;
  now: () => number;
  /** how long a window id is remembered for de-duplication (at least historyMs). */
  dedupMs: number;
  /** a fresh unique id (subscription ids are `sub-<id>`, ad-hoc viewers' `v-<id>`) */
  newId: () => string;
}

export interface SupervisorContext extends SupervisorInput {
  clusterIds: string[];
  /** By cluster id: a Map, so a client's id (`__proto__`, `constructor`) can never name an Object property. */
  records: ReadonlyMap<string, ClusterRecord>;
  subscriptions: Subscriptions;
  recent: RecentWindows;
  /** Moment ids already fanned out (a re-read of emoji-moments is dropped); insertion order, bounded. */
  momentIds: Set<string>;
  /** The newest live record fanned out per open window id (insertion order, bounded); forgotten when the window closes. */
  lastLive: Map<string, LiveRecord>;
  stats: { windows: number; duplicates: number; clusterFailures: number; moments: number; lives: number };
}

type Event = SupervisorEvent | ErrorActorEvent;

const clusterStates = (ctx: SupervisorContext): ClusterState[] =>
  ctx.clusterIds.map((id) => {
    const rec = ctx.records.get(id)!;
    return { id, up: rec.status === 'up' && rec.ref !== null, retryAfterMs: retryIn(rec, ctx.now(), ctx.backoff) };
  });

const failedRecord = (ctx: SupervisorContext, event: Event) =>
  event.type.startsWith('xstate.error.actor.') ? [...ctx.records.values()].find((r) => r.ref?.id === (event as ErrorActorEvent).actorId) : undefined;

export const supervisorMachine = setup({
  types: {} as { context: SupervisorContext; input: SupervisorInput; events: Event; emitted: SupervisorEmitted },
  actors: {
    cluster: clusterMachine,
    /** The main publisher: sends WINDOW.RECEIVED for every window. Provided by src/actors/system.ts. */
    windowSource: fromCallback(() => () => {}),
  },
  guards: {
    isDuplicate: ({ context, event }) => event.type === 'WINDOW.RECEIVED' && context.recent.has(event.window),
    isRepeatedMoment: ({ context, event }) => event.type === 'MOMENT.RECEIVED' && context.momentIds.has(momentId(event.moment)),
    /** A live record of a window already closed here, or not newer than one already fanned out (a re-read, a replayed batch). */
    isStaleLive: ({ context, event }) =>
      event.type === 'LIVE.RECEIVED' && (context.recent.has(event.live) || (context.lastLive.get(idOfRecord(event.live))?.seq ?? 0) >= event.live.seq),
  },
  actions: {
    countDuplicate: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'WINDOW.RECEIVED') return;
      enqueue.assign(({ context }) => ({ stats: { ...context.stats, duplicates: context.stats.duplicates + 1 } }));
      enqueue.emit({ type: 'window.received', window: event.window, fresh: false, clusters: [] });
    }),

    /**
     * Remember the window (dedup and seeding), and hand it to every cluster that is up. Viewers see a window's final
     * running counts as `event: live` before its `event: window`: the Spark job writes its last live record before the
     * closed one, but they come through two consumers, so when the last live record fanned out here does not carry
     * the window's counts (it is still on its way, or none came), a live record made from the window goes first
     * (its counts are the window's, by definition the final running counts; its seq one past the last; the live
     * record still on its way is then dropped as stale).
     */
    publishWindow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'WINDOW.RECEIVED') return;
      const window = event.window;
      const wid = idOfRecord(window);
      const last = context.lastLive.get(wid);
      const finalLive: LiveRecord | null = last && sameCounts(last, window) ? null : { ...window, seq: (last?.seq ?? 0) + 1 };
      enqueue.assign(({ context }) => {
        context.recent.add(window, context.now());
        context.lastLive.delete(wid);
        return { stats: { ...context.stats, windows: context.stats.windows + 1 } };
      });
      const clusters: string[] = [];
      for (const id of context.clusterIds) {
        const rec = context.records.get(id)!;
        if (rec.ref && rec.status === 'up') {
          if (finalLive) enqueue.sendTo(rec.ref, { type: 'LIVE.PUBLISH', live: finalLive });
          enqueue.sendTo(rec.ref, { type: 'WINDOW.PUBLISH', window });
          clusters.push(id);
        }
      }
      // after the sends: the clusters have written the window to every viewer when this is seen
      enqueue.emit({ type: 'window.received', window, fresh: true, clusters });
    }),

    /** Remember the seq, and hand the running counts to every cluster that is up (not kept for replay). */
    publishLive: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'LIVE.RECEIVED') return;
      const live = event.live;
      enqueue.assign(({ context }) => {
        const id = idOfRecord(live);
        context.lastLive.delete(id);
        context.lastLive.set(id, live);
        if (context.lastLive.size > 10_000) context.lastLive.delete(context.lastLive.keys().next().value!);
        return { stats: { ...context.stats, lives: context.stats.lives + 1 } };
      });
      for (const id of context.clusterIds) {
        const rec = context.records.get(id)!;
        if (rec.ref && rec.status === 'up') enqueue.sendTo(rec.ref, { type: 'LIVE.PUBLISH', live });
      }
    }),

    countRepeatedMoment: assign(({ context }) => ({ stats: { ...context.stats, duplicates: context.stats.duplicates + 1 } })),

    /** Remember the moment's id, and hand the moment to every cluster that is up (they deliver it like a window). */
    publishMoment: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'MOMENT.RECEIVED') return;
      const moment = event.moment;
      enqueue.assign(({ context }) => {
        context.momentIds.add(momentId(moment));
        if (context.momentIds.size > 10_000) context.momentIds.delete(context.momentIds.values().next().value!);
        return { stats: { ...context.stats, moments: context.stats.moments + 1 } };
      });
      for (const id of context.clusterIds) {
        const rec = context.records.get(id)!;
        if (rec.ref && rec.status === 'up') enqueue.sendTo(rec.ref, { type: 'MOMENT.PUBLISH', moment });
      }
    }),

    /** Choose a cluster and ask it to place the subscription; its SUBSCRIPTION.PLACED comes back here. */
    requestPlacement: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SUBSCRIPTION.CREATE') return;
      const { matchId, ephemeral, reply } = event;
      const max = context.params.maxSubscribersPerCluster * context.params.subscriberCapacity;
      const choice = chooseCluster(clusterStates(context), (id) => context.subscriptions.load(id), max, event.clusterId);
      if (!choice.ok) {
        enqueue(() => reply(choice));
        return;
      }
      const subscriptionId = event.subscriptionId ?? `${ephemeral ? 'v' : 'sub'}-${context.newId()}`;
      enqueue.sendTo(context.records.get(choice.clusterId)!.ref!, { type: 'SUBSCRIPTION.PLACE', subscriptionId, matchId, ephemeral, reply });
    }),

    /**
     * A cluster placed (or could not place) a subscription: record it, then answer whoever asked. A
     * re-placement after a restart that found no room drops the subscription (a fresh one was never recorded).
     */
    recordPlacement: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'SUBSCRIPTION.PLACED') return;
      const { subscriptionId, result, matchId, ephemeral, reply } = event;
      enqueue.assign(({ context }) => {
        if (result.ok) context.subscriptions.set(subscriptionId, { clusterId: result.clusterId, subscriberId: result.subscriberId, matchId, ephemeral });
        else context.subscriptions.delete(subscriptionId);
        return {};
      });
      enqueue(() => reply(result));
    }),

    deleteSubscription: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SUBSCRIPTION.DELETE') return;
      const { subscriptionId, reply } = event;
      const sub = context.subscriptions.get(subscriptionId);
      if (!sub) {
        enqueue(() => reply(false));
        return;
      }
      enqueue.assign(({ context }) => {
        context.subscriptions.delete(subscriptionId);
        return {};
      });
      const rec = context.records.get(sub.clusterId)!;
      if (rec.ref && rec.status === 'up') enqueue.sendTo(rec.ref, { type: 'SUBSCRIPTION.RELEASE', subscriptionId, reason: 'left' });
      enqueue(() => reply(true));
    }),

    /** Attach a stream to its subscription's cluster; an ad-hoc viewer gets an ephemeral subscription first. */
    attachSession: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'SESSION.ATTACH') return;
      const { reply, clusterId } = event;
      const rec = context.records.get(clusterId);
      if (!rec) return enqueue(() => reply({ ok: false, code: 'cluster_not_found' }));
      if (rec.status !== 'up' || !rec.ref) {
        return enqueue(() => reply({ ok: false, code: 'unavailable', retryAfterMs: retryIn(rec, context.now(), context.backoff) }));
      }
      if (event.subscriptionId === null) {
        enqueue.raise({
          type: 'SUBSCRIPTION.CREATE',
          matchId: event.matchId,
          clusterId,
          ephemeral: true,
          // placed: attach to it (queued behind this event, answered before the facade's send returns)
          reply: (r: PlaceResult) =>
            r.ok ? self.send({ ...event, subscriptionId: r.subscriptionId }) : reply({ ok: false, code: r.code === 'full' ? 'full' : 'unavailable', retryAfterMs: r.retryAfterMs }),
        });
        return;
      }
      const sub = context.subscriptions.get(event.subscriptionId);
      if (!sub) return enqueue(() => reply({ ok: false, code: 'not_found' }));
      if (sub.clusterId !== clusterId) return enqueue(() => reply({ ok: false, code: 'wrong_cluster' }));
      enqueue.sendTo(rec.ref, { type: 'SESSION.ATTACH', subscriptionId: event.subscriptionId, lastEventId: event.lastEventId, transport: event.transport, reply });
    }),

    detachSession: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SESSION.DETACH') return;
      const sub = context.subscriptions.get(event.subscriptionId);
      const rec = sub && context.records.get(sub.clusterId);
      if (rec?.ref && rec.status === 'up') enqueue.sendTo(rec.ref, event);
    }),

    forgetSubscription: assign(({ context, event }) => {
      if (event.type === 'SUBSCRIPTION.ENDED') context.subscriptions.delete(event.subscriptionId);
      return {};
    }),

    /** A cluster publisher died: end its viewers' streams (they reconnect with Last-Event-ID), stop it. */
    endFailedStreams: enqueueActions(({ context, event, enqueue }) => {
      const dead = failedRecord(context, event)?.ref;
      if (!dead) return;
      // its subscribers outlive it (XState stops an errored actor, not its children): stop them, which ends
      // their sessions with the reason given
      for (const child of Object.values(dead.getSnapshot().children)) {
        if (child) enqueue.sendTo(child, { type: 'BROADCAST.STOP', reason: 'cluster_failed' });
      }
      enqueue.stopChild(dead);
    }),

    /** Mark it restarting, forget its ad-hoc viewers' subscriptions, restart it after the backoff. */
    scheduleRestart: enqueueActions(({ context, event, enqueue }) => {
      const rec = failedRecord(context, event);
      if (!rec) return;
      const { rec: next, delayMs } = afterFailure(rec, context.now(), context.backoff);
      enqueue.assign(({ context }) => {
        for (const [id, sub] of context.subscriptions.onCluster(rec.id)) if (sub.ephemeral) context.subscriptions.delete(id);
        return {
          records: new Map(context.records).set(rec.id, next),
          stats: { ...context.stats, clusterFailures: context.stats.clusterFailures + 1 },
        };
      });
      enqueue.raise({ type: 'CLUSTER.RESTART', clusterId: rec.id }, { delay: delayMs, id: `restart-${rec.id}` });
    }),

    /** Spawn the next generation seeded with the recent windows; re-place its subscriptions so their stream URLs keep working. */
    restartCluster: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CLUSTER.RESTART') return;
      const rec = context.records.get(event.clusterId);
      if (!rec || rec.status !== 'restarting') return;
      const now = context.now();
      const next = nextGeneration(rec, now);
      const id = actorIdOf(rec.id, next.generation);
      const seed = context.recent.since(now - context.params.historyMs);
      enqueue.assign(({ context, spawn }) => {
        const ref = spawn('cluster', { id, input: { id: rec.id, generation: next.generation, params: context.params, now: context.now, seed } });
        return { records: new Map(context.records).set(rec.id, { ...next, ref }) };
      });
      for (const [subscriptionId, sub] of context.subscriptions.onCluster(rec.id)) {
        enqueue.sendTo(id, { type: 'SUBSCRIPTION.PLACE', subscriptionId, matchId: sub.matchId, ephemeral: false, reply: () => {} });
      }
    }),

    /** Fill the report with what the supervisor knows; each cluster (and its subscribers) adds its own part. */
    inspect: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BROADCAST.INSPECT') return;
      const into: BroadcastReport = event.into;
      into.windows = context.stats.windows;
      into.duplicates = context.stats.duplicates;
      into.clusterFailures = context.stats.clusterFailures;
      into.subscriptions = context.subscriptions.size;
      for (const id of context.clusterIds) {
        const rec = context.records.get(id)!;
        const report = { id, status: rec.status, generation: rec.generation, restarts: rec.restarts, historyWindows: 0, subscribers: [] };
        into.clusters.push(report);
        if (rec.ref && rec.status === 'up') enqueue.sendTo(rec.ref, { type: 'CLUSTER.INSPECT', into: report });
      }
    }),

    stopClusters: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'BROADCAST.STOP') return;
      for (const id of context.clusterIds) {
        const ref = context.records.get(id)!.ref;
        if (ref) enqueue.sendTo(ref, event);
      }
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, spawn }) => {
    const clusterIds: string[] = [];
    const records = new Map<string, ClusterRecord>();
    for (let i = 1; i <= input.clusters; i++) {
      const id = `c${i}`;
      clusterIds.push(id);
      const ref = spawn('cluster', { id: actorIdOf(id, 1), input: { id, generation: 1, params: input.params, now: input.now, seed: [] } });
      records.set(id, { id, generation: 1, ref, status: 'up', failures: 0, restarts: 0, startedAt: input.now(), restartAt: null });
    }
    return {
      ...input,
      clusterIds,
      records,
      subscriptions: new Subscriptions(),
      recent: new RecentWindows(Math.max(input.dedupMs, input.params.historyMs)),
      momentIds: new Set(),
      lastLive: new Map(),
      stats: { windows: 0, duplicates: 0, clusterFailures: 0, moments: 0, lives: 0 },
    };
  },
  invoke: { src: 'windowSource', id: 'windowSource' },
  initial: 'running',
  states: {
    running: {
      on: {
        'WINDOW.RECEIVED': [{ guard: 'isDuplicate', actions: 'countDuplicate' }, { actions: 'publishWindow' }],
        'MOMENT.RECEIVED': [{ guard: 'isRepeatedMoment', actions: 'countRepeatedMoment' }, { actions: 'publishMoment' }],
        'LIVE.RECEIVED': [{ guard: 'isStaleLive' }, { actions: 'publishLive' }],
        'SUBSCRIPTION.CREATE': { actions: 'requestPlacement' },
        'SUBSCRIPTION.PLACED': { actions: 'recordPlacement' },
        'SUBSCRIPTION.DELETE': { actions: 'deleteSubscription' },
        'SESSION.ATTACH': { actions: 'attachSession' },
        'SESSION.DETACH': { actions: 'detachSession' },
        'SUBSCRIPTION.ENDED': { actions: 'forgetSubscription' },
        'xstate.error.actor.*': { actions: ['endFailedStreams', 'scheduleRestart'] },
        'CLUSTER.RESTART': { actions: 'restartCluster' },
        'BROADCAST.INSPECT': { actions: 'inspect' },
        'BROADCAST.STOP': { target: 'stopped', actions: 'stopClusters' },
      },
    },
    stopped: { type: 'final' },
  },
});
