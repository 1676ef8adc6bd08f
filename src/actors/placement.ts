// Where subscriptions live, as the supervisor sees it: the registry of subscriptions with each cluster's load
// kept as a count (placement reads it per subscription; counting the registry would cost O(viewers)), and
// the choice of a cluster for a new one. Every subscription a cluster's subscribers hold (reservations
// included) is in this registry, so the load here is the cluster's load.
import type { PlaceResult } from './events.ts';

export interface SubscriptionRecord {
  clusterId: string;
  subscriberId: string;
  matchId: string | null;
  ephemeral: boolean;
}

export class Subscriptions {
  private readonly byId = new Map<string, SubscriptionRecord>();
  private readonly perCluster = new Map<string, number>();

  get size(): number {
    return this.byId.size;
  }

  get(id: string): SubscriptionRecord | undefined {
    return this.byId.get(id);
  }

  /** Add or update (a re-placement after a restart keeps the id, maybe on another subscriber). */
  set(id: string, rec: SubscriptionRecord): void {
    const old = this.byId.get(id);
    if (old) this.perCluster.set(old.clusterId, this.load(old.clusterId) - 1);
    this.byId.set(id, rec);
    this.perCluster.set(rec.clusterId, this.load(rec.clusterId) + 1);
  }

  delete(id: string): SubscriptionRecord | undefined {
    const old = this.byId.get(id);
    if (!old) return undefined;
    this.byId.delete(id);
    this.perCluster.set(old.clusterId, this.load(old.clusterId) - 1);
    return old;
  }

  /** Subscriptions on a cluster (its viewers and reservations). */
  load(clusterId: string): number {
    return this.perCluster.get(clusterId) ?? 0;
  }

  /** The subscriptions of one cluster (a copy: safe to delete while iterating). */
  onCluster(clusterId: string): [string, SubscriptionRecord][] {
    return [...this.byId].filter(([, r]) => r.clusterId === clusterId);
  }
}

export interface ClusterState {
  id: string;
  up: boolean;
  /** when it is expected back, for the retry hint (only when not up) */
  retryAfterMs: number;
}

/**
 * The cluster for a new subscription: the one asked for if it is up and has room, else the least-loaded
 * cluster that is up and has room. Otherwise why not.
 */
export function chooseCluster(
  clusters: ClusterState[],
  load: (clusterId: string) => number,
  max: number,
  requested: string | null,
): { ok: true; clusterId: string } | Extract<PlaceResult, { ok: false }> {
  if (requested !== null) {
    const c = clusters.find((x) => x.id === requested);
    if (!c) return { ok: false, code: 'cluster_not_found' };
    if (!c.up) return { ok: false, code: 'unavailable', retryAfterMs: c.retryAfterMs };
    return load(c.id) < max ? { ok: true, clusterId: c.id } : { ok: false, code: 'full' };
  }
  let best: string | null = null;
  let bestLoad = Infinity;
  for (const c of clusters) {
    if (!c.up) continue;
    const l = load(c.id);
    if (l < max && l < bestLoad) {
      best = c.id;
      bestLoad = l;
    }
  }
  return best === null ? { ok: false, code: 'full' } : { ok: true, clusterId: best };
}
