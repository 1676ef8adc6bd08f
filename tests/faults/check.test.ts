import { describe, expect, it } from 'vitest';
import { verdict } from './check.ts';
import type { Answer, LedgerEntry } from './ledger.ts';

const e = (id: string, emoji: string, ...answers: Answer[]): LedgerEntry => ({ id, emoji, answers });

describe('fault ledger verdict', () => {
  const ledger = [
    e('a', '🔥', 202),
    e('b', '🔥', 503, 202), // retried: accepted
    e('c', '😀', 202),
    e('d', '😀', 'reset'), // unknown: may or may not be counted
    e('f', '😀', 400), // refused: must not be counted
    e('g', '🔥'), // never sent
  ];

  it('exact: every 202 once, unknowns at most once', () => {
    const v = verdict(ledger, { '🔥': 2, '😀': 2 }, { '🔥': 2, '😀': 1 });
    expect(v).toMatchObject({ sent: 5, accepted: 3, refused: 1, unknown: 1, exact: 4, spark: 3, ok: true });
    expect(v.lost).toEqual({ exact: 0, spark: 0 });
    expect(v.doubled).toEqual({ exact: 0, spark: 0 });
  });

  it('a missing 202 is lost, per emoji (an unknown of another emoji does not hide it)', () => {
    const v = verdict(ledger, { '🔥': 1, '😀': 2 }, { '🔥': 2, '😀': 2 });
    expect(v.lost).toEqual({ exact: 1, spark: 0 });
    expect(v.ok).toBe(false);
  });

  it('counted beyond accepted + unknown is doubled (a retry counted twice, or something never sent)', () => {
    const v = verdict(ledger, { '🔥': 3, '😀': 2 }, { '🔥': 2, '😀': 3 });
    expect(v.doubled).toEqual({ exact: 1, spark: 1 });
    expect(v.ok).toBe(false);
  });

  it('no counts at all: everything accepted is lost, and the verdict fails', () => {
    const v = verdict(ledger, null, { '🔥': 2, '😀': 1 });
    expect(v).toMatchObject({ exact: null, ok: false, lost: { exact: 3, spark: 0 } });
  });
});
