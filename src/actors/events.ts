// Every event the broadcast actors exchange, namespaced DOMAIN.VERB. Payloads carry plain data plus, where a
// caller needs an answer (the HTTP facade), a `reply` callback: the actors process a sent event synchronously
// when idle, so the facade gets its answer before `send` returns (see facade.ts). An actor never reads or
// writes another actor's context: what one needs from another travels in these events.
import type { MomentRecord } from '../domain/moment.ts';
import type { LiveRecord, WindowRecord } from '../domain/window.ts';
import type { DisconnectReason } from '../push/disconnect.ts';
import type { SessionTransport } from '../push/transport.ts';

// ---- results handed back through `reply` ----
export type PlaceResult =
  | { ok: true; subscriptionId: string; clusterId: string; subscriberId: string }
  | { ok: false; code: 'full' | 'unavailable' | 'cluster_not_found'; retryAfterMs?: number };

export type AttachResult =
  | { ok: true; subscriptionId: string; clusterId: string; subscriberId: string; replayed: number; reset: boolean }
  | { ok: false; code: 'not_found' | 'cluster_not_found' | 'unavailable' | 'full' | 'wrong_cluster'; retryAfterMs?: number };

// ---- main publisher → supervisor ----
export interface WindowReceived { type: 'WINDOW.RECEIVED'; window: WindowRecord }
/** Running counts of an open window read from emoji-live: delivered as `event: live`, never kept for replay. */
export interface LiveReceived { type: 'LIVE.RECEIVED'; live: LiveRecord }
/** A moment read from emoji-moments: delivered like a window (same viewers, same history for replay). */
export interface MomentReceived { type: 'MOMENT.RECEIVED'; moment: MomentRecord }

// ---- what the actors report about themselves (BROADCAST.INSPECT → CLUSTER.INSPECT → SUBSCRIBER.INSPECT) ----
export interface SubscriberReport {
  id: string;
  /** viewers with an open stream */
  viewers: number;
  /** sessions, reservations waiting for a stream included */
  subscriptions: number;
  delivered: number;
  slowDisconnects: number;
}
export interface ClusterReport {
  id: string;
  status: 'up' | 'restarting';
  generation: number;
  restarts: number;
  historyWindows: number;
  /** filled by the cluster's subscribers, in order */
  subscribers: SubscriberReport[];
}
export interface BroadcastReport {
  windows: number;
  duplicates: number;
  clusterFailures: number;
  subscriptions: number;
  clusters: ClusterReport[];
}

// ---- facade → supervisor ----
export interface SubscriptionCreate {
  type: 'SUBSCRIPTION.CREATE';
  matchId: string | null;
  clusterId: string | null;
  ephemeral: boolean;
  /** Adopt a subscription made on another instance (its id from a verified stream token); unset: a new id. */
  subscriptionId?: string;
  reply: (r: PlaceResult) => void;
}
export interface SubscriptionDelete { type: 'SUBSCRIPTION.DELETE'; subscriptionId: string; reply: (found: boolean) => void }
export interface SessionAttachRequest {
  type: 'SESSION.ATTACH';
  clusterId: string;
  /** null → an ad-hoc viewer: an ephemeral subscription is made on this cluster and ends with the stream. */
  subscriptionId: string | null;
  matchId: string | null;
  lastEventId: string | null;
  transport: SessionTransport;
  reply: (r: AttachResult) => void;
}
export interface SessionDetach { type: 'SESSION.DETACH'; clusterId?: string; subscriptionId: string; transport: SessionTransport }
export interface BroadcastStop { type: 'BROADCAST.STOP'; reason: DisconnectReason }
/** Each actor adds what it knows to `into` (the facade reads the report once `send` returns). */
export interface BroadcastInspect { type: 'BROADCAST.INSPECT'; into: BroadcastReport }
export interface ClusterRestart { type: 'CLUSTER.RESTART'; clusterId: string }

// ---- supervisor → cluster ----
export interface WindowPublish { type: 'WINDOW.PUBLISH'; window: WindowRecord }
export interface MomentPublish { type: 'MOMENT.PUBLISH'; moment: MomentRecord }
export interface LivePublish { type: 'LIVE.PUBLISH'; live: LiveRecord }
export interface SubscriptionPlace {
  type: 'SUBSCRIPTION.PLACE';
  subscriptionId: string;
  matchId: string | null;
  ephemeral: boolean;
  reply: (r: PlaceResult) => void;
}
export interface SubscriptionRelease { type: 'SUBSCRIPTION.RELEASE'; subscriptionId: string; reason: DisconnectReason }
export interface ClusterInspect { type: 'CLUSTER.INSPECT'; into: ClusterReport }
export interface ClusterAttach {
  type: 'SESSION.ATTACH';
  subscriptionId: string;
  lastEventId: string | null;
  transport: SessionTransport;
  reply: (r: AttachResult) => void;
}

// ---- cluster → subscriber ----
export interface SubscriptionReserve { type: 'SUBSCRIPTION.RESERVE'; subscriptionId: string; matchId: string | null; ephemeral: boolean }
export interface SubscriberAttach {
  type: 'SESSION.ATTACH';
  subscriptionId: string;
  transport: SessionTransport;
  /** frames written before live windows: an optional reset, then the replayed history. */
  preamble: Buffer[];
}
/** `windowId`: set for a closed window (its live frames not yet sent to a slow viewer are dropped). */
export interface WindowBroadcast { type: 'WINDOW.BROADCAST'; matchId: string; frame: Buffer; windowId?: string }
export interface LiveBroadcast { type: 'LIVE.BROADCAST'; matchId: string; windowId: string; frame: Buffer }
export interface HeartbeatBroadcast { type: 'HEARTBEAT.BROADCAST' }
export interface SubscriberInspect { type: 'SUBSCRIBER.INSPECT'; into: SubscriberReport[] }

// ---- supervisor → its observers (actor.on): every window it received, new or a repeat ----
export interface WindowReceivedEmitted {
  type: 'window.received';
  window: WindowRecord;
  /** false: a repeated window id, dropped */
  fresh: boolean;
  /** clusters it was published to (and written to their viewers before this is emitted) */
  clusters: string[];
}
export type SupervisorEmitted = WindowReceivedEmitted;

// ---- child → parent ----
/** The cluster's answer to SUBSCRIPTION.PLACE; the supervisor records it, then answers `reply`. */
export interface SubscriptionPlaced {
  type: 'SUBSCRIPTION.PLACED';
  subscriptionId: string;
  result: PlaceResult;
  matchId: string | null;
  ephemeral: boolean;
  reply: (r: PlaceResult) => void;
}
export interface SubscriptionEnded { type: 'SUBSCRIPTION.ENDED'; subscriptionId: string; reason: DisconnectReason }

export type SupervisorEvent =
  | WindowReceived
  | MomentReceived
  | LiveReceived
  | SubscriptionCreate
  | SubscriptionDelete
  | SessionAttachRequest
  | SessionDetach
  | SubscriptionPlaced
  | SubscriptionEnded
  | ClusterRestart
  | BroadcastInspect
  | BroadcastStop;

export type ClusterEvent =
  | WindowPublish
  | MomentPublish
  | LivePublish
  | SubscriptionPlace
  | SubscriptionRelease
  | ClusterAttach
  | SessionDetach
  | SubscriptionEnded
  | ClusterInspect
  | BroadcastStop;

export type SubscriberEvent =
  | SubscriptionReserve
  | SubscriptionRelease
  | SubscriberAttach
  | SessionDetach
  | WindowBroadcast
  | LiveBroadcast
  | HeartbeatBroadcast
  | SubscriberInspect
  | BroadcastStop;
