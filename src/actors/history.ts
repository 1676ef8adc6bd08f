// A cluster's recent windows, encoded once as SSE frames (src/push/frames.ts), for Last-Event-ID replay. Entries are kept in
// arrival order for `historyMs` (clock time) and at most `maxEntries`; an index by window id finds the
// resume point in O(1). One replay is capped in frames and bytes (`ReplayCap`): a viewer that asks for more
// (an old Last-Event-ID on a cluster carrying many matches) gets `reset` and the newest frames within the cap,
// so a reconnect never queues megabytes on one socket.
import { parseWindowId, type WindowRecord } from '../domain/window.ts';

export interface HistoryEntry {
  seq: number;
  id: string;
  matchId: string;
  startMs: number;
  at: number;
  frame: Buffer;
}

export interface Replay {
  reset: boolean;
  frames: Buffer[];
  /** frames left out (the oldest) to stay within the cap; reset is then true */
  capped?: number;
}

/** At most this many frames and bytes in one replay. */
export interface ReplayCap {
  frames: number;
  bytes: number;
}

const UNCAPPED: ReplayCap = { frames: Infinity, bytes: Infinity };

/** The newest of `frames` within `cap`; the replay becomes a reset when any is left out. */
function capped(r: Replay, cap: ReplayCap): Replay {
  let bytes = 0;
  let from = r.frames.length;
  while (from > 0 && r.frames.length - from < cap.frames && bytes + r.frames[from - 1]!.length <= cap.bytes) bytes += r.frames[--from]!.length;
  return from === 0 ? r : { reset: true, frames: r.frames.slice(from), capped: from };
}

export class WindowHistory {
  private entries: HistoryEntry[] = [];
  private head = 0; // entries before `head` are pruned (compacted lazily)
  private byId = new Map<string, HistoryEntry>();
  private nextSeq = 0;

  constructor(readonly historyMs: number, readonly maxEntries = 50_000) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  /** A window, or a moment (`moment:<match>:<start>`; it has a match_id and window_start too). */
  push(id: string, w: Pick<WindowRecord, 'match_id' | 'window_start'>, frame: Buffer, at: number): HistoryEntry {
    const e: HistoryEntry = { seq: this.nextSeq++, id, matchId: w.match_id, startMs: Date.parse(w.window_start), at, frame };
    this.entries.push(e);
    this.byId.set(id, e);
    this.prune(at);
    return e;
  }

  prune(now: number): void {
    const cutoff = now - this.historyMs;
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (e.at >= cutoff && this.size <= this.maxEntries) break;
      this.byId.delete(e.id);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Frames a viewer that last saw `lastEventId` has missed, filtered to `matchId` (null = all).
   * Known id → everything after it, each once. Unknown id that the history still spans (same or later window
   * start than the oldest entry) → windows that started after it. Otherwise the viewer missed more than we
   * hold: `reset`, then the whole history. More than `cap` → `reset`, then the newest frames within it.
   */
  replayAfter(lastEventId: string | null, matchId: string | null, cap: ReplayCap = UNCAPPED): Replay {
    return capped(this.missed(lastEventId, matchId), cap);
  }

  private missed(lastEventId: string | null, matchId: string | null): Replay {
    if (lastEventId === null) return { reset: false, frames: [] };
    const wanted = (e: HistoryEntry) => matchId === null || e.matchId === matchId;
    const found = this.byId.get(lastEventId);
    if (found) {
      const frames: Buffer[] = [];
      for (let i = this.head + (found.seq - this.entries[this.head]!.seq) + 1; i < this.entries.length; i++) {
        const e = this.entries[i]!;
        if (wanted(e)) frames.push(e.frame);
      }
      return { reset: false, frames };
    }
    const parsed = parseWindowId(lastEventId);
    const oldest = this.entries[this.head];
    const spanned = parsed !== null && oldest !== undefined && parsed.windowStartMs >= oldest.startMs;
    // the moment of a window comes after that window: after a window's id, its moment is still owed
    const afterWindow = !lastEventId.startsWith('moment:');
    const after = (e: HistoryEntry) =>
      e.startMs > parsed!.windowStartMs || (afterWindow && e.startMs === parsed!.windowStartMs && e.id.startsWith('moment:'));
    const frames: Buffer[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (wanted(e) && (!spanned || after(e))) frames.push(e.frame);
    }
    return { reset: !spanned, frames };
  }
}
