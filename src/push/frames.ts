// The Server-Sent Events wire format, encoded in one place. Every frame is a Buffer built once: a window's
// frame is encoded once per cluster and the same bytes go to every viewer (no per-viewer encoding).
import type { MomentRecord } from '../domain/moment.ts';
import type { LiveRecord, WindowRecord } from '../domain/window.ts';
import { DISCONNECT, type DisconnectReason } from './disconnect.ts';

export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no', // tell a proxy in front not to buffer the stream
} as const;

/** A comment line: keeps proxies and the client's idle timers from closing a quiet stream. */
export const HEARTBEAT_FRAME = Buffer.from(':hb\n\n');

/** How long an EventSource waits before it reconnects. */
export const retryFrame = (ms: number): Buffer => Buffer.from(`retry: ${ms}\n\n`);

/**
 * A field value built from data (a match id read from Kafka): CR, LF and NUL removed, so it can neither end
 * its line and inject another field or event, nor make the browser drop the id.
 */
export const sseField = (value: string): string => value.replace(/[\r\n\0]/g, '');

/** `id: …\nevent: window\ndata: <json>\n\n`, once per window per cluster; every session gets these bytes. */
export function windowFrame(id: string, w: WindowRecord): Buffer {
  return Buffer.from(`id: ${sseField(id)}\nevent: window\ndata: ${JSON.stringify(w)}\n\n`, 'utf8');
}

/**
 * `event: live\ndata: <json>\n\n`: the running counts of an open window. No `id:` line: a live record is never
 * replayed, and an id would move the viewer's Last-Event-ID off the last closed window it has.
 */
export function liveFrame(l: LiveRecord): Buffer {
  return Buffer.from(`event: live\ndata: ${JSON.stringify(l)}\n\n`, 'utf8');
}

/** `id: moment:…\nevent: moment\ndata: <json>\n\n`: a moment (README "Moments"), replayable like a window. */
export function momentFrame(id: string, m: MomentRecord): Buffer {
  return Buffer.from(`id: ${sseField(id)}\nevent: moment\ndata: ${JSON.stringify(m)}\n\n`, 'utf8');
}

/** What follows is not a resume: the Last-Event-ID is older than the history (`history`: the whole history
 * follows), or the viewer missed more than one replay may carry (`replay_limit`: the newest frames follow). */
export function resetFrame(lastEventId: string, reason: 'history' | 'replay_limit' = 'history'): Buffer {
  return Buffer.from(`event: reset\ndata: ${JSON.stringify({ reason, last_event_id: lastEventId })}\n\n`, 'utf8');
}

/** `event: disconnect` with the typed reason (its code, and whether to reconnect). */
export function disconnectFrame(reason: DisconnectReason, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(`event: disconnect\ndata: ${JSON.stringify({ reason, ...DISCONNECT[reason], ...extra })}\n\n`);
}
