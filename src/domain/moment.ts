// A moment (README "Moments"): a closed window in which a match's total or one emoji's count jumped well above
// its own recent baseline. The rule has ONE implementation, in Java (jvm/ MomentRule, run by the Kafka
// Streams topology on exact counts); TypeScript only reads and delivers the records it writes to emoji-moments.
import { MATCH_ID_RE } from './ids.ts';
import { parseJsonObject } from './json.ts';

export interface MomentRecord {
  match_id: string;
  window_start: string;
  window_end: string;
  /** The emoji of the window with the highest score. */
  peak_emoji: string;
  peak_count: number;
  /** Median count of the peak emoji over the baseline windows. */
  peak_baseline: number;
  total: number;
  total_baseline: number;
  /** The series that fired with the highest score: an emoji, or "total". */
  trigger: string;
  /** Robust z-score of the trigger. */
  score: number;
  /** Windows in the baseline (at most MOMENTS_BASELINE_WINDOWS). */
  baseline_windows: number;
  counts: Record<string, number>;
}

/** SSE `id:` of a moment: `moment:<match_id>:<window_start ms>` (a window's id is `<match_id>:<window_start ms>`). */
export const momentId = (m: Pick<MomentRecord, 'match_id' | 'window_start'>): string =>
  `moment:${m.match_id}:${Date.parse(m.window_start)}`;

/** Validate a record read from emoji-moments; null for anything that is not a moment. */
export function parseMomentRecord(text: string): MomentRecord | null {
  const m = parseJsonObject(text);
  if (!m) return null;
  if (typeof m.match_id !== 'string' || typeof m.window_start !== 'string' || typeof m.window_end !== 'string') return null;
  // the match id becomes the SSE `id:` line: only the API's id characters (no CR/LF), as ingest accepts
  if (!MATCH_ID_RE.test(m.match_id)) return null;
  if (Number.isNaN(Date.parse(m.window_start)) || typeof m.peak_emoji !== 'string') return null;
  if (typeof m.score !== 'number' || typeof m.total !== 'number' || typeof m.counts !== 'object' || m.counts === null) return null;
  return m as unknown as MomentRecord;
}
