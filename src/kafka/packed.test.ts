import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OutRecord } from './batcher.ts';
import { MAX_EVENTS_PER_RECORD, MAX_PACKED_CHARS, PACKED_TYPE, isPacked, packRecords, partitionOfKey, recordValues } from './packed.ts';
import { tickRecords } from './ticks.ts';

interface ContractRecord {
  name: string;
  value: string;
  events: { event_id: string; user_id: string; position: number }[];
  invalid: number;
}
const contract = JSON.parse(readFileSync(new URL('../../contracts/event-records.json', import.meta.url), 'utf8')) as {
  type: string;
  maxEventsPerRecord: number;
  partitions: { user_id: string; partitions: number; partition: number }[];
  records: ContractRecord[];
};

const event = (user: string, id: string, at = '2026-11-28T15:00:00.250Z') =>
  JSON.stringify({ event_id: id, user_id: user, emoji_type: '🔥', timestamp: '2026-11-28T15:00:00.100Z', match_id: 'm', received_at: at });
const rec = (user: string, id: string): OutRecord => ({ key: user, value: event(user, id) });

/** What a reader of the topic sees: per partition, the events in order (unpacked), ticks as 'tick'. */
const read = (records: OutRecord[], partitions: number) => {
  const byPartition = new Map<number, string[]>();
  for (const r of records) {
    const p = r.partition ?? partitionOfKey(r.key, partitions);
    if (r.key !== '__tick__') expect(partitionOfKey(r.key, partitions)).toBe(p); // the key gives the record's partition
    const list = byPartition.get(p) ?? [];
    byPartition.set(p, list);
    for (const { value } of recordValues(JSON.parse(r.value))) {
      const v = value as { type?: string; event_id?: string; user_id?: string };
      if (v.type === 'tick') list.push('tick');
      else {
        expect(partitionOfKey(v.user_id!, partitions)).toBe(p); // every event on its own user's partition
        list.push(v.event_id!);
      }
    }
  }
  return byPartition;
};

describe('packed records (contracts/event-records.json)', () => {
  it('the constants and the partitioner are the contract', () => {
    expect(PACKED_TYPE).toBe(contract.type);
    expect(MAX_EVENTS_PER_RECORD).toBe(contract.maxEventsPerRecord);
    expect(contract.partitions.length).toBeGreaterThan(5);
    for (const p of contract.partitions) expect(partitionOfKey(p.user_id, p.partitions), p.user_id).toBe(p.partition);
  });

  it('a reader sees the events of every contract record, in order, with their positions', () => {
    for (const r of contract.records) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(r.value);
      } catch {
        expect(r.events, r.name).toEqual([]);
        continue;
      }
      const seen = recordValues(parsed)
        .map(({ value, position }) => ({ v: value as { event_id?: unknown; user_id?: unknown }, position }))
        .filter(({ v }) => typeof v?.event_id === 'string' && typeof v.user_id === 'string');
      expect(seen.map(({ v, position }) => ({ event_id: v.event_id, user_id: v.user_id, position })), r.name).toEqual(
        r.events.map((e) => ({ event_id: e.event_id, user_id: e.user_id, position: e.position })),
      );
    }
  });

  it('packs per partition in queue order, keyed by the first event, ticks after the events queued before them', () => {
    const users = Array.from({ length: 40 }, (_, i) => `u-${i}`);
    const records: OutRecord[] = [];
    users.forEach((u, i) => records.push(rec(u, `a${i}`)));
    records.push(...tickRecords(6, Date.parse('2026-11-28T15:00:01Z')));
    users.forEach((u, i) => records.push(rec(u, `b${i}`)));
    const packed = packRecords(records, 6, 100);
    // 6 partitions: one pack before the ticks and one after, per partition, and the 6 ticks
    expect(packed.length).toBe(18);
    expect(packed.filter((r) => isPacked(JSON.parse(r.value))).length).toBe(12);
    for (const r of packed.filter((x) => x.key !== '__tick__')) {
      const first = recordValues(JSON.parse(r.value))[0]!.value as { user_id: string };
      expect(r.key).toBe(first.user_id);
    }
    // the same sequence per partition as one record per event
    expect(read(packed, 6)).toEqual(read(records, 6));
  });

  it('caps a record at maxEvents and at MAX_PACKED_CHARS; 1 (or a single event) writes records as they are', () => {
    const same = Array.from({ length: 25 }, (_, i) => rec('u-1', `e${i}`));
    const packed = packRecords(same, 6, 10);
    expect(packed.map((r) => recordValues(JSON.parse(r.value)).length)).toEqual([10, 10, 5]);
    expect(read(packed, 6)).toEqual(read(same, 6));
    expect(packRecords(same, 6, 1)).toBe(same);
    expect(packRecords([same[0]!], 6, 100)).toEqual([same[0]]);
    // a lone event of a partition stays a one-event record, the same bytes
    const two = [rec('u-1', 'x'), rec('u-2', 'y')];
    expect(packRecords(two, 6, 100).map((r) => r.value)).toEqual(two.map((r) => r.value));

    const big = Array.from({ length: 3000 }, (_, i) => rec('u-1', `${'e'.repeat(120)}${i}`));
    const capped = packRecords(big, 6, 5000);
    expect(capped.length).toBeGreaterThan(3);
    for (const r of capped) {
      expect(r.value.length).toBeLessThanOrEqual(MAX_PACKED_CHARS);
      expect(recordValues(JSON.parse(r.value)).length).toBeLessThanOrEqual(MAX_EVENTS_PER_RECORD);
    }
    expect(read(capped, 6)).toEqual(read(big, 6));
  });
});
