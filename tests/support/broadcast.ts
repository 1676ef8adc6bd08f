// Test helpers for the broadcast actors: a fake transport and a config builder. Used by unit tests beside
// the machines and by tests/sse.test.ts; not imported by production code.
import type { Config } from '../../src/config.ts';
import { makeWindow, type WindowRecord } from '../../src/domain/window.ts';
import type { DisconnectReason } from '../../src/push/disconnect.ts';
import type { SessionTransport } from '../../src/push/transport.ts';

export class FakeTransport implements SessionTransport {
  chunks: Buffer[] = [];
  closedWith: DisconnectReason | null = null;
  /** what pendingBytes() reports: set it to simulate a viewer that stopped reading. */
  pending = 0;
  get closed() {
    return this.closedWith !== null;
  }
  write(chunk: Buffer) {
    this.chunks.push(chunk);
  }
  pendingBytes() {
    return this.pending;
  }
  private drainWaiters: (() => void)[] = [];
  whenDrained(fn: () => void) {
    if (this.pending === 0) fn();
    else this.drainWaiters.push(fn);
  }
  /** The viewer read everything: pending 0, drain waiters run. */
  drain() {
    this.pending = 0;
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const fn of w) fn();
  }
  close(reason: DisconnectReason) {
    if (this.closedWith === null) this.closedWith = reason;
  }
  text() {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  /** data of the `event: live` frames received, in order. */
  lives(): { match_id: string; window_start: string; seq: number; total: number }[] {
    return [...this.text().matchAll(/^event: live\ndata: (.+)\n\n/gm)].map((m) => JSON.parse(m[1]!));
  }
  /** ids of the `event: window` frames received, in order. */
  windowIds(): string[] {
    return [...this.text().matchAll(/^id: (.+)\nevent: window\n/gm)].map((m) => m[1]!);
  }
}

export function broadcastConfig(over: Partial<Config['broadcast']> = {}): Config['broadcast'] {
  return {
    clusters: 3,
    subscribersPerCluster: 3,
    maxSubscribersPerCluster: 32,
    subscriberCapacity: 10_000,
    historyMs: 300_000,
    replayMaxFrames: 1_000,
    replayMaxBytes: 524_288,
    heartbeatMs: 15_000,
    sseRetryMs: 2_000,
    sessionMaxPendingBytes: 1_048_576,
    subscriptionGraceMs: 60_000,
    subscriptionAttachMs: 10_000,
    sessionIdleMs: 600_000,
    sessionStallMs: 60_000,
    restartBackoffMs: 250,
    restartBackoffMaxMs: 10_000,
    ...over,
  };
}

export const testWindow = (matchId: string, startMs: number, counts: Record<string, number> = { '🔥': 1500 }): WindowRecord =>
  makeWindow(matchId, startMs, 2000, counts, 1000);
