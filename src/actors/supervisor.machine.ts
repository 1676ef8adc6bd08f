// The supervisor (systemId 'supervisor'): receives every window from the main publisher (the `windowSource`
// actor, provided in wiring.ts), drops repeated window ids (the Spark Kafka sink is at-least-once), and fans
// each window out to its cluster publishers. It places subscriptions on the least-loaded cluster, and when a
// cluster publisher fails (`xstate.error.actor.<id>`) it closes that cluster's streams (the viewers reconnect
// with Last-Event-ID), and restarts it after an exponential backoff on the injected clock, seeded with the
// recent windows so the reconnecting viewers miss nothing. Other clusters are not touched.
//
// The registries in context (cluster records, the subscription map, recent window ids) are mutated in place
// by actions: they grow with the number of viewers, and copying them on every event would cost O(viewers).
import { emit, enqueueActions, fromCallback, setup, type ActorRefFrom, type ErrorActorEvent } from 'xstate';
import { idOfRecord, type WindowRecord } from '../domain/window.ts';
import { clusterLoad, clusterMachine, type ClusterContext, type ClusterParams } from './cluster.machine.ts';
import type { AttachResult, PlaceResult, SupervisorEmitted, SupervisorEvent } from './events.ts';

export interface SupervisorInput {
  clusters: number;
  params: ClusterParams;
  backoff: { initialMs: number; maxMs: number; /** a cluster up this long forgets its past failures */ resetAfterMs: number };
  now: () => number;
  /** how long a window id is remembered for de-duplication (at least historyMs). */
  dedupMs: number;
}

export type ClusterRef = ActorRefFrom<typeof clusterMachine>;

export interface ClusterRecord {
  id: string;
  generation: number;
  ref: ClusterRef | null;
  status: 'up' | 'restarting';
  failures: number;
  restarts: number;
  startedAt: number;
  restartAt: number | null;
}

export interface SubscriptionRecord {
  clusterId: string;
  subscriberId: string;
  matchId: string | null;
  ephemeral: boolean;
}

/** Window ids seen recently, in arrival order, with the windows themselves for seeding a restarted cluster. */
export class RecentWindows {
  private order: { id: string; window: WindowRecord; at: number }[] = [];
  private head = 0;
  private seen = new Set<string>();
  constructor(private readonly keepMs: number, private readonly maxEntries = 100_000) {}
  /** Remember a window; false if its id was already seen (a duplicate to drop). */
  add(window: WindowRecord, at: number): boolean {
    const id = idOfRecord(window);
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    this.order.push({ id, window, at });
    this.prune(at);
    return true;
  }
  prune(now: number): void {
    const cutoff = now - this.keepMs;
    while (this.head < this.order.length && (this.order[this.head]!.at < cutoff || this.order.length - this.head > this.maxEntries)) {
      this.seen.delete(this.order[this.head]!.id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
  since(from: number): { window: WindowRecord; at: number }[] {
    return this.order.slice(this.head).filter((e) => e.at >= from);
  }
}

export interface SupervisorContext extends SupervisorInput {
  clusterIds: string[];
  records: Record<string, ClusterRecord>;
  subscriptions: Map<string, SubscriptionRecord>;
  recent: RecentWindows;
  stats: { windows: number; duplicates: number; clusterFailures: number };
}

export const backoffMs = (failures: number, b: SupervisorInput['backoff']) =>
  Math.min(b.maxMs, b.initialMs * 2 ** Math.max(0, failures - 1));

const actorIdOf = (clusterId: string, generation: number) => `${clusterId}@${generation}`;

/** Viewers (reservations included) and ceiling of a cluster, read from its live context. */
export function clusterCapacity(ctx: SupervisorContext, rec: ClusterRecord) {
  const c = rec.ref?.getSnapshot().context as ClusterContext | undefined;
  const load = c ? clusterLoad(c) : 0;
  return { load, max: ctx.params.maxSubscribersPerCluster * ctx.params.subscriberCapacity };
}

export const supervisorMachine = setup({
  types: {} as { context: SupervisorContext; input: SupervisorInput; events: SupervisorEvent | ErrorActorEvent; emitted: SupervisorEmitted },
  actors: {
    cluster: clusterMachine,
    /** The main publisher: sends WINDOW.RECEIVED for every window. Provided in wiring.ts (Kafka). */
    windowSource: fromCallback(() => () => {}),
  },
  guards: {
    isDuplicate: ({ context, event }) =>
      event.type === 'WINDOW.RECEIVED' && !context.recent.add(event.window, context.now()),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, spawn }) => {
    const clusterIds: string[] = [];
    const records: Record<string, ClusterRecord> = {};
    for (let i = 1; i <= input.clusters; i++) {
      const id = `c${i}`;
      clusterIds.push(id);
      const ref = spawn('cluster', { id: actorIdOf(id, 1), input: { id, generation: 1, params: input.params, now: input.now, seed: [] } });
      records[id] = { id, generation: 1, ref, status: 'up', failures: 0, restarts: 0, startedAt: input.now(), restartAt: null };
    }
    return {
      ...input,
      clusterIds,
      records,
      subscriptions: new Map(),
      recent: new RecentWindows(Math.max(input.dedupMs, input.params.historyMs)),
      stats: { windows: 0, duplicates: 0, clusterFailures: 0 },
    };
  },
  invoke: { src: 'windowSource', id: 'windowSource' },
  initial: 'running',
  states: {
    running: {
      on: {
        'WINDOW.RECEIVED': [
          {
            guard: 'isDuplicate',
            actions: [({ context }) => void context.stats.duplicates++, emit(({ event }) => ({ type: 'window.received' as const, window: event.window, fresh: false, clusters: [] }))],
          },
          {
            actions: enqueueActions(({ context, event, enqueue }) => {
              context.stats.windows++;
              const clusters: string[] = [];
              for (const id of context.clusterIds) {
                const rec = context.records[id]!;
                if (rec.ref && rec.status === 'up') {
                  enqueue.sendTo(rec.ref, { type: 'WINDOW.PUBLISH', window: event.window });
                  clusters.push(id);
                }
              }
              // after the sends: the clusters have written the window to every viewer when this is seen
              enqueue.emit({ type: 'window.received', window: event.window, fresh: true, clusters });
            }),
          },
        ],

        'SUBSCRIPTION.CREATE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const reply = event.reply;
            const fail = (r: PlaceResult) => enqueue(() => reply(r));
            let chosen: ClusterRecord | undefined;
            if (event.clusterId !== null) {
              chosen = context.records[event.clusterId];
              if (!chosen) return fail({ ok: false, code: 'cluster_not_found' });
              if (chosen.status !== 'up') return fail({ ok: false, code: 'unavailable', retryAfterMs: retryIn(context, chosen) });
              const { load, max } = clusterCapacity(context, chosen);
              if (load >= max) return fail({ ok: false, code: 'full' });
            } else {
              let best = Infinity;
              for (const id of context.clusterIds) {
                const rec = context.records[id]!;
                if (rec.status !== 'up') continue;
                const { load, max } = clusterCapacity(context, rec);
                if (load < max && load < best) { best = load; chosen = rec; }
              }
              if (!chosen) return fail({ ok: false, code: 'full' });
            }
            const { subscriptionId, matchId, ephemeral } = event;
            enqueue.sendTo(chosen.ref!, {
              type: 'SUBSCRIPTION.PLACE',
              subscriptionId,
              matchId,
              ephemeral,
              reply: (r) => {
                if (r.ok) context.subscriptions.set(subscriptionId, { clusterId: r.clusterId, subscriberId: r.subscriberId, matchId, ephemeral });
                reply(r);
              },
            });
          }),
        },

        'SUBSCRIPTION.DELETE': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const sub = context.subscriptions.get(event.subscriptionId);
            const reply = event.reply;
            if (!sub) return enqueue(() => reply(false));
            context.subscriptions.delete(event.subscriptionId);
            const rec = context.records[sub.clusterId]!;
            if (rec.ref && rec.status === 'up') {
              enqueue.sendTo(rec.ref, { type: 'SUBSCRIPTION.RELEASE', subscriptionId: event.subscriptionId, reason: 'left' });
            }
            enqueue(() => reply(true));
          }),
        },

        'SESSION.ATTACH': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const reply = event.reply;
            const fail = (r: AttachResult) => enqueue(() => reply(r));
            const rec = context.records[event.clusterId];
            if (!rec) return fail({ ok: false, code: 'cluster_not_found' });
            if (rec.status !== 'up' || !rec.ref) return fail({ ok: false, code: 'unavailable', retryAfterMs: retryIn(context, rec) });
            const ref = rec.ref;
            const attach = (subscriptionId: string) =>
              ref.send({ type: 'SESSION.ATTACH', subscriptionId, lastEventId: event.lastEventId, transport: event.transport, reply });
            if (event.subscriptionId !== null) {
              const sub = context.subscriptions.get(event.subscriptionId);
              if (!sub) return fail({ ok: false, code: 'not_found' });
              if (sub.clusterId !== event.clusterId) return fail({ ok: false, code: 'wrong_cluster' });
              enqueue.sendTo(ref, { type: 'SESSION.ATTACH', subscriptionId: event.subscriptionId, lastEventId: event.lastEventId, transport: event.transport, reply });
              return;
            }
            // An ad-hoc viewer: place an ephemeral subscription on this cluster, then attach to it.
            const subscriptionId = `v-${crypto.randomUUID()}`;
            enqueue.raise({
              type: 'SUBSCRIPTION.CREATE',
              subscriptionId,
              matchId: event.matchId,
              clusterId: event.clusterId,
              ephemeral: true,
              reply: (r) => (r.ok ? attach(subscriptionId) : reply({ ok: false, code: r.code === 'full' ? 'full' : 'unavailable', retryAfterMs: r.retryAfterMs })),
            });
          }),
        },

        'SESSION.DETACH': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const sub = context.subscriptions.get(event.subscriptionId);
            const rec = sub && context.records[sub.clusterId];
            if (rec?.ref && rec.status === 'up') enqueue.sendTo(rec.ref, event);
          }),
        },

        'SUBSCRIPTION.ENDED': {
          actions: ({ context, event }) => void context.subscriptions.delete(event.subscriptionId),
        },

        'xstate.error.actor.*': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const rec = Object.values(context.records).find((r) => r.ref?.id === event.actorId);
            if (!rec) return;
            const dead = rec.ref!;
            context.stats.clusterFailures++;
            const now = context.now();
            if (now - rec.startedAt >= context.backoff.resetAfterMs) rec.failures = 0;
            rec.failures++;
            rec.status = 'restarting';
            rec.ref = null;
            const delay = backoffMs(rec.failures, context.backoff);
            rec.restartAt = now + delay;
            // The dead publisher's streams: end them so their viewers reconnect (with Last-Event-ID) once it is back.
            const ctx = dead.getSnapshot().context as ClusterContext;
            for (const s of ctx.subscribers) for (const session of s.sessions.values()) session.end('cluster_failed');
            for (const [id, sub] of context.subscriptions) if (sub.clusterId === rec.id && sub.ephemeral) context.subscriptions.delete(id);
            enqueue.stopChild(dead);
            enqueue.raise({ type: 'CLUSTER.RESTART', clusterId: rec.id }, { delay, id: `restart-${rec.id}` });
          }),
        },

        'CLUSTER.RESTART': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const rec = context.records[event.clusterId];
            if (!rec || rec.status !== 'restarting') return;
            const now = context.now();
            rec.generation++;
            rec.restarts++;
            rec.startedAt = now;
            rec.restartAt = null;
            rec.status = 'up';
            const seed = context.recent.since(now - context.params.historyMs);
            const id = actorIdOf(rec.id, rec.generation);
            enqueue.assign(({ spawn }) => {
              rec.ref = spawn('cluster', { id, input: { id: rec.id, generation: rec.generation, params: context.params, now: context.now, seed } });
              return {};
            });
            // Re-reserve the cluster's subscriptions so their stream URLs keep working after the restart.
            for (const [subscriptionId, sub] of context.subscriptions) {
              if (sub.clusterId !== rec.id) continue;
              enqueue.sendTo(id, {
                type: 'SUBSCRIPTION.PLACE',
                subscriptionId,
                matchId: sub.matchId,
                ephemeral: false,
                reply: (r: PlaceResult) => {
                  if (r.ok) sub.subscriberId = r.subscriberId;
                  else context.subscriptions.delete(subscriptionId);
                },
              });
            }
          }),
        },

        'BROADCAST.STOP': {
          target: 'stopped',
          actions: enqueueActions(({ context, event, enqueue }) => {
            for (const id of context.clusterIds) {
              const ref = context.records[id]!.ref;
              if (ref) enqueue.sendTo(ref, event);
            }
          }),
        },
      },
    },
    stopped: { type: 'final' },
  },
});

function retryIn(ctx: SupervisorContext, rec: ClusterRecord): number {
  return rec.restartAt === null ? ctx.backoff.initialMs : Math.max(0, rec.restartAt - ctx.now());
}

