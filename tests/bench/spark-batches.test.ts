// The live-latency trace (bench/lib/spark-batches.ts splitLive): per request, the first micro-batch that started
// after its 202, that batch's duration, its end → the frame that made the count visible, and which batch wrote
// that frame's record (the first after the 202, an earlier one, the next, later, or not a Spark record).
import { describe, expect, it } from 'vitest';
import { splitLive, type SparkBatch } from '../../bench/lib/spark-batches.ts';

const batch = (id: number, start: number, ms: number): SparkBatch => ({ id, start, ms, rows: 0, durations: {}, windows: 0, onTicks: 0, corrected: 0 });
// back to back, 1 s each, from t = 0
const batches = [batch(0, 0, 1000), batch(1, 1000, 1000), batch(2, 2000, 1000), batch(3, 3000, 1000)];

describe('splitLive', () => {
  it('splits each request into the wait for the next batch, that batch, and its end → visible', () => {
    const acks = [{ at: 400, upTo: 1 }, { at: 1700, upTo: 2 }];
    const curve = [{ at: 2030, visible: 1, key: 'a' }, { at: 3010, visible: 2, key: 'b' }];
    const recorded = new Map([['a', 1990], ['b', 2995]]);
    const s = splitLive(acks, curve, batches, recorded);
    expect(s.wait_ms.n).toBe(2);
    expect([s.wait_ms.p50, s.wait_ms.max]).toEqual([300, 600]);
    expect(s.batch_ms.max).toBe(1000);
    expect([s.after_ms.p50, s.after_ms.max]).toEqual([10, 30]);
    expect(s.written_by).toEqual({ earlier: 0, first: 2, second: 0, more: 0, unknown: 0 });
  });

  it('tells a record from an earlier, the next, a later batch, or none of Spark (the supervisor’s, a window)', () => {
    const acks = [{ at: 1500, upTo: 1 }, { at: 1600, upTo: 2 }, { at: 1700, upTo: 3 }, { at: 1800, upTo: 4 }, { at: 1900, upTo: 5 }];
    const curve = [
      { at: 1995, visible: 1, key: 'early' }, // written by batch 1, which started before the 202
      { at: 3000, visible: 2, key: 'first' }, // batch 2: the first after the 202
      { at: 4000, visible: 3, key: 'next' }, // batch 3
      { at: 5000, visible: 4, key: 'later' }, // batch 4 does not exist: the last started (3) → next
      { at: 5100, visible: 5, key: 'window' }, // not on emoji-live
    ];
    const recorded = new Map([['early', 1990], ['first', 2990], ['next', 3990], ['later', 3999]]);
    expect(splitLive(acks, curve, batches, recorded).written_by).toEqual({ earlier: 1, first: 1, second: 2, more: 0, unknown: 1 });
    const two = splitLive([{ at: 500, upTo: 1 }], [{ at: 4000, visible: 1, key: 'x' }], batches, new Map([['x', 3500]]));
    expect(two.written_by).toEqual({ earlier: 0, first: 0, second: 0, more: 1, unknown: 0 });
  });

  it('leaves out requests never made visible, and requests after the last batch', () => {
    const s = splitLive([{ at: 400, upTo: 1 }, { at: 500, upTo: 5 }], [{ at: 1990, visible: 1, key: 'a' }], batches, new Map([['a', 1980]]));
    expect(s.wait_ms.n).toBe(1);
    expect(splitLive([{ at: 3500, upTo: 1 }], [{ at: 4100, visible: 1, key: 'a' }], batches, new Map()).wait_ms.n).toBe(0);
  });

  it('says where the slowest 1% sit: their 202s from the first, and the batches that came next after them', () => {
    // 200 requests, one every 10 ms from t = 0; all visible 100 ms after their 202 but the last two (1,500 ms)
    const acks = Array.from({ length: 200 }, (_, k) => ({ at: k * 10, upTo: k + 1 }));
    const curve = acks.map((a, k) => ({ at: a.at + (k >= 198 ? 1500 : 100), visible: k + 1, key: `k${k}` }));
    const many = [batch(0, 0, 500), batch(1, 500, 500), batch(2, 1000, 500), batch(3, 1500, 500), batch(4, 2000, 1400)];
    const s = splitLive(acks, curve, many, new Map()).slowest;
    expect(s.n).toBe(2);
    expect([s.earliest_ms, s.from_first_202_ms.max, s.load_ms]).toEqual([1980, 1990, 1990]);
    expect(s.next_batches).toEqual([[4, 2000, 1400, 0]]);
  });
});
