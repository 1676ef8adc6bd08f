// Reconciliation: Spark's per-window `counts` (emoji-windows) against the exact per-window counts (Kafka
// Streams, emoji-exact) for the same match and windows. Both window on `received_at`, so for events that
// reached Kafka once and in time they must agree. Expected, explainable differences: a client retry that
// reached Kafka twice is counted twice by Spark and once here (exact ≤ spark); an event later than Spark's
// watermark is missing from Spark's window; Spark's sink is at-least-once (a repeated window is collapsed).
import type { Kafka } from 'kafkajs';
import { parseWindowRecord, type WindowRecord } from '../domain/window.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface WindowDiff {
  window_start: string;
  spark: Record<string, number> | null;
  exact: Record<string, number> | null;
}

export interface Reconciliation {
  match_id: string;
  /** Windows present on either side (within the range, if one was given). */
  windows: number;
  agreeing: number;
  /** Windows whose counts differ, or that only one side has. */
  differing: WindowDiff[];
  ok: boolean;
  spark_total: number;
  exact_total: number;
}

const sameCounts = (a: Record<string, number>, b: Record<string, number>) => {
  const ka = Object.keys(a).filter((k) => a[k]! > 0);
  const kb = Object.keys(b).filter((k) => b[k]! > 0);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
};

/** Compare two sets of window records of one match (window_start in [fromMs, toMs) when given). */
export function reconcileWindows(
  matchId: string,
  spark: Iterable<WindowRecord>,
  exact: Iterable<WindowRecord>,
  range: { fromMs?: number; toMs?: number } = {},
): Reconciliation {
  const inRange = (w: WindowRecord) => {
    if (w.match_id !== matchId) return false;
    const s = Date.parse(w.window_start);
    return (range.fromMs === undefined || s >= range.fromMs) && (range.toMs === undefined || s < range.toMs);
  };
  // keyed by window start ms; a window repeated by an at-least-once sink collapses to one
  const bySpark = new Map<number, WindowRecord>();
  const byExact = new Map<number, WindowRecord>();
  for (const w of spark) if (inRange(w)) bySpark.set(Date.parse(w.window_start), w);
  for (const w of exact) if (inRange(w)) byExact.set(Date.parse(w.window_start), w);
  const starts = [...new Set([...bySpark.keys(), ...byExact.keys()])].sort((a, b) => a - b);
  const differing: WindowDiff[] = [];
  let sparkTotal = 0;
  let exactTotal = 0;
  for (const s of starts) {
    const a = bySpark.get(s);
    const b = byExact.get(s);
    sparkTotal += a?.total ?? 0;
    exactTotal += b?.total ?? 0;
    if (a && b && sameCounts(a.counts, b.counts)) continue;
    differing.push({ window_start: new Date(s).toISOString(), spark: a?.counts ?? null, exact: b?.counts ?? null });
  }
  return {
    match_id: matchId,
    windows: starts.length,
    agreeing: starts.length - differing.length,
    differing,
    ok: differing.length === 0,
    spark_total: sparkTotal,
    exact_total: exactTotal,
  };
}

/**
 * Every window record of `matchId` on `topic`, from the beginning up to the end as it is now (read_committed:
 * emoji-exact is written in transactions). Uses a throw-away consumer group, deleted afterwards.
 */
export async function readAllWindows(kafka: Kafka, topic: string, matchId: string, o: { timeoutMs?: number; idleMs?: number } = {}): Promise<WindowRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `emostream-reconcile-${process.pid}-${Date.now().toString(36)}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  try {
    const ends = new Map<number, number>();
    for (const p of await admin.fetchTopicOffsets(topic)) {
      if (Number(p.high) > Number(p.low)) ends.set(p.partition, Number(p.high) - 1);
    }
    const out: WindowRecord[] = [];
    if (ends.size === 0) return out;
    let lastActivity = Date.now();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = new Map<number, number>();
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        lastActivity = Date.now();
        seen.set(partition, Number(message.offset));
        if (message.key?.toString('utf8') !== matchId || !message.value) return;
        const w = parseWindowRecord(message.value.toString('utf8'));
        if (w && w.match_id === matchId) out.push(w);
      },
    });
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    const idleMs = o.idleMs ?? 2000;
    // Done when every partition reached its end offset; a transaction marker can be the last offset, so
    // also done once nothing has arrived for idleMs.
    while (Date.now() < deadline) {
      if ([...ends].every(([p, end]) => (seen.get(p) ?? -1) >= end)) break;
      if (Date.now() - lastActivity > idleMs && seen.size > 0) break;
      if (Date.now() - lastActivity > idleMs * 3) break;
      await sleep(100);
    }
    return out;
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
