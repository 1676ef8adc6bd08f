// Every event the broadcast actors exchange, namespaced DOMAIN.VERB. Payloads carry plain data plus, where a
// caller needs an answer (the HTTP facade), a `reply` callback: the actors process a sent event synchronously
// when idle, so the facade gets its answer before `send` returns (see facade.ts).
import type { WindowRecord } from '../domain/window.ts';
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

// ---- facade → supervisor ----
export interface SubscriptionCreate {
  type: 'SUBSCRIPTION.CREATE';
  subscriptionId: string;
  matchId: string | null;
  clusterId: string | null;
  ephemeral: boolean;
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
export interface ClusterRestart { type: 'CLUSTER.RESTART'; clusterId: string }

// ---- supervisor → cluster ----
export interface WindowPublish { type: 'WINDOW.PUBLISH'; window: WindowRecord }
export interface SubscriptionPlace {
  type: 'SUBSCRIPTION.PLACE';
  subscriptionId: string;
  matchId: string | null;
  ephemeral: boolean;
  reply: (r: PlaceResult) => void;
}
export interface SubscriptionRelease { type: 'SUBSCRIPTION.RELEASE'; subscriptionId: string; reason: DisconnectReason }
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
export interface WindowBroadcast { type: 'WINDOW.BROADCAST'; matchId: string; frame: Buffer }
export interface HeartbeatBroadcast { type: 'HEARTBEAT.BROADCAST' }

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
export interface SubscriptionEnded { type: 'SUBSCRIPTION.ENDED'; subscriptionId: string; reason: DisconnectReason }

export type SupervisorEvent =
  | WindowReceived
  | SubscriptionCreate
  | SubscriptionDelete
  | SessionAttachRequest
  | SessionDetach
  | SubscriptionEnded
  | ClusterRestart
  | BroadcastStop;

export type ClusterEvent =
  | WindowPublish
  | SubscriptionPlace
  | SubscriptionRelease
  | ClusterAttach
  | SessionDetach
  | SubscriptionEnded
  | BroadcastStop;

export type SubscriberEvent =
  | SubscriptionReserve
  | SubscriptionRelease
  | SubscriberAttach
  | SessionDetach
  | WindowBroadcast
  | HeartbeatBroadcast
  | BroadcastStop;
