// The fault suite's verdict for one scenario: the ledger (every id sent and every answer it got) against
// what the platform counted for the scenario's match, per emoji, in Kafka Streams' exact totals and in the
// sum of Spark's windows. Counts are aggregates, so the check is per emoji:
//   accepted ≤ counted ≤ accepted + unknown     (a 202 counted once; a 503/reset/timeout at most once)
// lost = what is missing below the accepted; doubled = what is counted beyond accepted + unknown (which
// also covers "counted but never sent": nothing else can be counted).
import { accepted, unknown, type LedgerEntry } from './ledger.ts';

export type Counts = Record<string, number>;

export interface Verdict {
  sent: number;
  accepted: number;
  refused: number;
  unknown: number;
  exact: number | null;
  spark: number | null;
  lost: { exact: number; spark: number };
  doubled: { exact: number; spark: number };
  ok: boolean;
}

const sum = (c: Counts) => Object.values(c).reduce((a, b) => a + b, 0);

function compare(acc: Counts, unk: Counts, counted: Counts | null): { lost: number; doubled: number } {
  if (!counted) return { lost: sum(acc), doubled: 0 };
  let lost = 0;
  let doubled = 0;
  for (const emoji of new Set([...Object.keys(acc), ...Object.keys(unk), ...Object.keys(counted)])) {
    const a = acc[emoji] ?? 0;
    const c = counted[emoji] ?? 0;
    lost += Math.max(0, a - c);
    doubled += Math.max(0, c - a - (unk[emoji] ?? 0));
  }
  return { lost, doubled };
}

export function verdict(ledger: Iterable<LedgerEntry>, exact: Counts | null, spark: Counts | null): Verdict {
  const acc: Counts = {};
  const unk: Counts = {};
  let sent = 0;
  let refused = 0;
  for (const e of ledger) {
    if (e.answers.length === 0) continue; // never left the client
    sent++;
    if (accepted(e)) acc[e.emoji] = (acc[e.emoji] ?? 0) + 1;
    else if (unknown(e)) unk[e.emoji] = (unk[e.emoji] ?? 0) + 1;
    else refused++;
  }
  const ex = compare(acc, unk, exact);
  const sp = compare(acc, unk, spark);
  return {
    sent,
    accepted: sum(acc),
    refused,
    unknown: sum(unk),
    exact: exact ? sum(exact) : null,
    spark: spark ? sum(spark) : null,
    lost: { exact: ex.lost, spark: sp.lost },
    doubled: { exact: ex.doubled, spark: sp.doubled },
    ok: exact !== null && spark !== null && ex.lost + sp.lost + ex.doubled + sp.doubled === 0,
  };
}
