// The mood of a window (contracts/mood.json; Java twin: Mood in spark/ and jvm/). Part of the window record
// (src/domain/window.ts); here, below both the domain and the configuration, because EMOJI_MOOD configures it.
import { readFileSync } from 'node:fs';

/** A window's mood: a score in [-1, 1] (negative = unhappy) and its dominant feeling. */
export interface Mood {
  score: number;
  feeling: string;
}

/** One emoji's entry in the mood table: valence in [-1, 1], intensity in (0, 1], a feeling. */
export interface MoodEntry {
  valence: number;
  intensity: number;
  feeling: string;
}

export type MoodTable = Readonly<Record<string, MoodEntry>>;

/** The default mood table: contracts/mood.json (the Java sides ship the same file in their jars). */
export const DEFAULT_MOOD_TABLE: MoodTable = JSON.parse(readFileSync(new URL('../contracts/mood.json', import.meta.url), 'utf8')).emojis;

export const NEUTRAL = 'neutral';

/**
 * The mood of a window's counts (contracts/mood.json; Java twin: Mood.of in spark/ and jvm/). weight = count ×
 * intensity; score = Σ weight × valence / Σ weight, rounded to 3 decimals (half up), 0 without weight; feeling = the
 * feeling with the largest summed weight (ties: alphabetical), "neutral" without weight. Emojis without an entry
 * carry no weight. Summed in UTF-16 order, as Java's TreeMap does, so both sides round the same double.
 */
export function moodOf(counts: Record<string, number>, table: MoodTable = DEFAULT_MOOD_TABLE): Mood {
  let num = 0;
  let den = 0;
  const byFeeling = new Map<string, number>();
  for (const emoji of Object.keys(counts).sort()) {
    const e = table[emoji];
    const n = counts[emoji]!;
    if (!e || !(n > 0)) continue;
    const w = n * e.intensity;
    num += w * e.valence;
    den += w;
    byFeeling.set(e.feeling, (byFeeling.get(e.feeling) ?? 0) + w);
  }
  if (den <= 0) return { score: 0, feeling: NEUTRAL };
  let feeling = NEUTRAL;
  let best = -1;
  for (const f of [...byFeeling.keys()].sort()) {
    if (byFeeling.get(f)! > best) {
      feeling = f;
      best = byFeeling.get(f)!;
    }
  }
  return { score: Math.round((num / den) * 1000) / 1000 + 0, feeling }; // + 0: no -0
}
