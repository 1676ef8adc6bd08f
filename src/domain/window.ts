// The window contract (examples in contracts/windows.json): one source of truth on the TypeScript side for the
// scale rule, window bounds, window ids and the record shape. The Java side (spark/, jvm/) keeps its
// own copy; both are held to contracts/*.json by their tests.
import { DEFAULT_MOOD_TABLE, moodOf, type Mood, type MoodTable } from '../mood.ts';
import { MATCH_ID_RE } from './ids.ts';
import { parseJsonObject } from './json.ts';


/** A window record as written to `emoji-windows` and sent as SSE `data:`. */
export interface WindowRecord {
  match_id: string;
  window_start: string; // ISO-8601, UTC, milliseconds
  window_end: string;
  counts: Record<string, number>;
  swarm: Record<string, number>;
  total: number;
  mood: Mood;
  /**
   * Spark only, present when > 0: the match's events that arrived after their own window had closed (behind the
   * watermark), counted here, in the match's next window, instead of being dropped silently. Not in `counts`/`total`.
   */
  late?: number;
}

/** swarm size for `count` events of one emoji in one window: max(1, floor(count / factor)); 0 → 0 (absent). */
export function scale(count: number, factor: number): number {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer: ${count}`);
  if (!Number.isInteger(factor) || factor < 1) throw new RangeError(`factor must be a positive integer: ${factor}`);
  if (count === 0) return 0;
  return Math.max(1, Math.floor(count / factor));
}

/** The swarm for a window's counts; emojis with no events are absent. */
export function swarmOf(counts: Record<string, number>, factor: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [emoji, n] of Object.entries(counts)) {
    const s = scale(n, factor);
    if (s > 0) out[emoji] = s;
  }
  return out;
}

/** Start (epoch ms) of the tumbling window holding `tsMs`. */
export const windowStartOf = (tsMs: number, windowMs: number): number => Math.floor(tsMs / windowMs) * windowMs;

/** Window id used for de-duplication and as the SSE `id:`: `<match_id>:<window_start ms>`. */
export const windowId = (matchId: string, windowStartMs: number): string => `${matchId}:${windowStartMs}`;

/** Parse a window id back; the match id may itself contain ':' (the last one separates). */
export function parseWindowId(id: string): { matchId: string; windowStartMs: number } | null {
  const i = id.lastIndexOf(':');
  if (i <= 0) return null;
  const ms = Number(id.slice(i + 1));
  if (!Number.isSafeInteger(ms) || ms < 0) return null;
  return { matchId: id.slice(0, i), windowStartMs: ms };
}

export const idOfRecord = (w: WindowRecord): string => windowId(w.match_id, Date.parse(w.window_start));

/** Build the record for a window from its counts. */
export function makeWindow(
  matchId: string,
  windowStartMs: number,
  windowMs: number,
  counts: Record<string, number>,
  factor: number,
  moodTable: MoodTable = DEFAULT_MOOD_TABLE,
): WindowRecord {
  let total = 0;
  for (const n of Object.values(counts)) total += n;
  return {
    match_id: matchId,
    window_start: new Date(windowStartMs).toISOString(),
    window_end: new Date(windowStartMs + windowMs).toISOString(),
    counts,
    swarm: swarmOf(counts, factor),
    total,
    mood: moodOf(counts, moodTable),
  };
}

/** Validate a record read from Kafka; returns null for anything that is not a window. */
export function parseWindowRecord(text: string): WindowRecord | null {
  const w = parseJsonObject(text);
  if (!w) return null;
  if (typeof w.match_id !== 'string' || typeof w.window_start !== 'string' || typeof w.window_end !== 'string') return null;
  // the match id becomes the SSE `id:` line: only the API's id characters (no CR/LF), as ingest accepts
  if (!MATCH_ID_RE.test(w.match_id)) return null;
  if (Number.isNaN(Date.parse(w.window_start)) || Number.isNaN(Date.parse(w.window_end))) return null;
  if (typeof w.counts !== 'object' || w.counts === null || typeof w.swarm !== 'object' || w.swarm === null) return null;
  if (typeof w.total !== 'number') return null;
  if (w.late !== undefined && typeof w.late !== 'number') return null;
  if (w.mood === undefined) {
    // written before windows carried a mood (a replayed topic): computed from the counts with the default table
    w.mood = moodOf(w.counts as Record<string, number>);
  } else if (typeof w.mood !== 'object' || w.mood === null || typeof (w.mood as Mood).score !== 'number' || typeof (w.mood as Mood).feeling !== 'string') {
    return null;
  }
  return w as unknown as WindowRecord;
}

/**
 * A live record (value on `emoji-live`, SSE `data:` of `event: live`): the running counts of a window that is still
 * open, as its window record plus `seq` (1, 2, … per window; a larger seq is newer). The window's closed record on
 * `emoji-windows` follows, with the counts of its last live record.
 */
export type LiveRecord = WindowRecord & { seq: number };

/** Validate a live record read from Kafka; null for anything else. */
export function parseLiveRecord(text: string): LiveRecord | null {
  const w = parseWindowRecord(text) as (WindowRecord & { seq?: unknown }) | null;
  if (!w || typeof w.seq !== 'number' || !Number.isSafeInteger(w.seq) || w.seq < 1) return null;
  return w as LiveRecord;
}
