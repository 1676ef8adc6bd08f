// Why the server ended a viewer's stream: typed reasons with centrifuge-style codes. 3000–3499: the client
// may reconnect (an EventSource does, keeping Last-Event-ID); 3500+: terminal. Sent to the viewer as
// `event: disconnect` (src/push/frames.ts) and counted by reason in emostream_broadcast_disconnects_total.
export const DISCONNECT = {
  shutdown: { code: 3001, reconnect: true, message: 'server shutting down' },
  slow: { code: 3008, reconnect: true, message: 'viewer too slow: pending bytes over the cap' },
  cluster_failed: { code: 3010, reconnect: true, message: 'cluster publisher failed; reconnect with Last-Event-ID' },
  unavailable: { code: 3011, reconnect: true, message: 'cluster publisher restarting; reconnect after the retry hint' },
  replaced: { code: 3501, reconnect: false, message: 'another stream took over this subscription' },
  left: { code: 3502, reconnect: false, message: 'subscription deleted' },
  expired: { code: 3503, reconnect: false, message: 'subscription expired while disconnected' },
  idle: { code: 3504, reconnect: false, message: 'no window for this viewer within SESSION_IDLE_MS; subscribe again' },
} as const;

export type DisconnectReason = keyof typeof DISCONNECT;
