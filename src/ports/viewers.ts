// What the subscription and stream routes need to serve viewers across instances (API workers, machines):
// signed stream tokens, revoked subscriptions, deletes that reach the instance holding a stream, and the
// deployment's view. Implemented by the composition root (src/app/control.ts) over the Kafka control topic.
import type { StreamClaims, TokenCheck } from '../push/stream-token.ts';

export interface ClusterSummary {
  cluster_id: string;
  status: 'up' | 'restarting';
  viewers: number;
  subscriptions: number;
  capacity: number;
}

export interface InstanceView {
  instance_id: string;
  host: string;
  pid: number;
  /** index among API_WORKERS on its machine, null for a single-process instance */
  worker: number | null;
  roles: string[];
  /** ms since its last heartbeat was read (0 for the instance answering) */
  age_ms: number;
  clusters: ClusterSummary[];
}

export interface DeploymentView {
  /** the instance that answered */
  instance_id: string;
  instances: InstanceView[];
  /** per cluster id, summed over the instances */
  totals: { cluster_id: string; viewers: number; subscriptions: number; capacity: number; instances: number }[];
}

export interface ViewerDirectory {
  readonly instanceId: string;
  /** The token for a subscription made here (its expiry is added). */
  sign(claims: Omit<StreamClaims, 'exp'>): string;
  verify(token: string): TokenCheck;
  /** Deleted somewhere in the deployment (until its tokens have expired). */
  revoked(subscriptionId: string): boolean;
  /** Deleted here: tell every other instance (they release their copy and refuse its token). */
  deletedHere(subscriptionId: string): Promise<void>;
  /** Not held here: ask the others; true once an instance that held it confirmed (within a few seconds). */
  deleteElsewhere(subscriptionId: string): Promise<boolean>;
  deployment(): DeploymentView;
}
