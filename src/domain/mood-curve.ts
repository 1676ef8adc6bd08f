// The mood curve of each match for GET /v1/matches/:id/summary: one point per closed Spark window, from its
// `mood` {score, feeling} (src/mood.ts; the Spark aggregation computes it, this only collects and
// downsamples). Kept in memory per
// API instance, fed by the main publisher (every instance reads every window); bounded per match: past
// `maxPoints` windows, neighbouring points are merged pairwise (a long match keeps its whole shape at a
// coarser step). A window without a numeric `mood.score` is skipped, so the curve is empty, not wrong, when
// the windows carry no mood.

export interface MoodPoint {
  window_start: string;
  window_end: string;
  /** Mood score in [-1, 1]: the reaction-weighted mean of the windows in this point. */
  score: number;
  /** The feeling of the heaviest window in the point (its mood's dominant feeling). */
  feeling?: string;
  /** Reactions behind the point. */
  total: number;
  /** Closed windows merged into the point. */
  windows: number;
}

interface Point {
  start: number;
  end: number;
  weightedScore: number;
  /** Sum of the weights behind weightedScore: each window weighs its reactions (at least 1). */
  weight: number;
  total: number;
  windows: number;
  feeling?: string;
  heaviest: number;
}

/** What a window record must hold to join the curve. */
export interface MoodSource {
  match_id: string;
  window_start: string;
  window_end: string;
  total: number;
  mood?: unknown;
}

function moodOfWindow(w: MoodSource): { score: number; feeling?: string } | null {
  const m = w.mood;
  if (typeof m !== 'object' || m === null) return null;
  const { score, feeling } = m as { score?: unknown; feeling?: unknown };
  if (typeof score !== 'number' || !Number.isFinite(score)) return null;
  return typeof feeling === 'string' ? { score, feeling } : { score };
}

const merge = (a: Point, b: Point): Point => ({
  start: Math.min(a.start, b.start),
  end: Math.max(a.end, b.end),
  weightedScore: a.weightedScore + b.weightedScore,
  weight: a.weight + b.weight,
  total: a.total + b.total,
  windows: a.windows + b.windows,
  ...(b.heaviest > a.heaviest ? { feeling: b.feeling, heaviest: b.heaviest } : { feeling: a.feeling, heaviest: a.heaviest }),
});

/** Merge consecutive points so that at most `max` remain (each output point covers about the same number). */
function downsample(points: Point[], max: number): Point[] {
  if (points.length <= max) return points;
  const out: Point[] = [];
  const per = points.length / max;
  for (let i = 0; i < max; i++) {
    const from = Math.floor(i * per);
    const to = Math.floor((i + 1) * per);
    let p = points[from]!;
    for (let j = from + 1; j < to; j++) p = merge(p, points[j]!);
    out.push(p);
  }
  return out;
}

export class MoodCurves {
  private readonly byMatch = new Map<string, Point[]>();

  /** `maxPoints` per match kept in memory; `maxMatches` matches (the least recently updated is dropped). */
  constructor(private readonly maxPoints = 2048, private readonly maxMatches = 1000) {}

  /** Add a closed window; false when it carries no mood (or is a repeat of a window already added). */
  add(w: MoodSource): boolean {
    const mood = moodOfWindow(w);
    if (!mood) return false;
    const start = Date.parse(w.window_start);
    const end = Date.parse(w.window_end);
    if (Number.isNaN(start) || Number.isNaN(end)) return false;
    let points = this.byMatch.get(w.match_id);
    if (!points) {
      if (this.byMatch.size >= this.maxMatches) this.byMatch.delete(this.byMatch.keys().next().value!);
      points = [];
    } else {
      this.byMatch.delete(w.match_id); // re-insert: most recently updated last
    }
    this.byMatch.set(w.match_id, points);
    const total = Math.max(0, w.total);
    const p: Point = { start, end, weightedScore: mood.score * Math.max(total, 1), weight: Math.max(total, 1), total, windows: 1, feeling: mood.feeling, heaviest: total };
    // windows arrive in order; a late or repeated one is placed by its start (a repeat is dropped)
    let i = points.length;
    while (i > 0 && points[i - 1]!.start > start) i--;
    const prev = points[i - 1];
    if (prev && prev.start <= start && start < prev.end) return false;
    points.splice(i, 0, p);
    if (points.length > this.maxPoints) this.byMatch.set(w.match_id, downsample(points, Math.ceil(this.maxPoints / 2)));
    return true;
  }

  /** The match's curve, at most `maxPoints` points, oldest first. */
  curve(matchId: string, maxPoints: number): { points: MoodPoint[]; windows: number } {
    const points = this.byMatch.get(matchId) ?? [];
    let windows = 0;
    for (const p of points) windows += p.windows;
    return {
      windows,
      points: downsample(points, Math.max(1, maxPoints)).map((p) => ({
        window_start: new Date(p.start).toISOString(),
        window_end: new Date(p.end).toISOString(),
        score: Math.round((p.weightedScore / p.weight) * 1000) / 1000,
        ...(p.feeling !== undefined ? { feeling: p.feeling } : {}),
        total: p.total,
        windows: p.windows,
      })),
    };
  }
}
