// Packed records on emoji-events (contracts/event-records.json): one Kafka record carrying many events,
// `{"type":"events","events":[event, ...]}`, each element byte for byte the value a one-event record would have.
// Why: the broker's cost is mostly per request and per record (about 0.33 ms a produce request + 0.8 µs a
// record), kafkajs' per record (encode, partition, checksum), and the consumers' per record too; a flush of the
// batcher carries hundreds of events per partition. An object with a `type` (as ticks have) rather than a bare
// JSON array: a consumer that does not know packed records reads one as an invalid record (it has a type and no
// event fields), never as a half-read event.
//
// Ordering and keys: the events of one packed record all belong to the partition their own user_id gives (Kafka's
// default partitioner: toPositive(murmur2(user_id)) % partitions), so a retry of (user_id, event_id) still lands
// in its original's partition, packed or not. The record goes to that partition explicitly, keyed by its first
// event's user_id (which the default partitioner maps to the same partition). Packing keeps each partition's
// order: records are packed in the order the batcher queued them, and a record that is not an event (a tick,
// explicit partition) closes its partition's open pack first.
import type { OutRecord } from './batcher.ts';
import { murmur2 } from './kafkajs-record.ts';
import { TICK_KEY } from './ticks.ts';

export const PACKED_TYPE = 'events';
/** The most events one packed record may carry (contracts/event-records.json). */
export const MAX_EVENTS_PER_RECORD = 1000;
/**
 * The most characters (UTF-16 units; at most 3 UTF-8 bytes each, so under 768 KiB) one packed record's value may
 * have: under the broker's max.message.bytes (1 MiB default). That limit bounds a whole record batch (all of one
 * produce request's records for a partition), which packing does not make larger: the same events, fewer bytes.
 */
export const MAX_PACKED_CHARS = 256 * 1024;

const HEAD = `{"type":"${PACKED_TYPE}","events":[`;
const TAIL = ']}';

/** The partition Kafka's default partitioner (Java and kafkajs) gives a key. */
export const partitionOfKey = (key: string, partitions: number): number => (murmur2(key) & 0x7fffffff) % partitions;

/** The value of a packed record from one-event values (JSON objects as strings), in order. */
export const packedValue = (values: readonly string[]): string => HEAD + values.join(',') + TAIL;

interface OpenPack {
  partition: number;
  key: string;
  values: string[];
  chars: number;
}

/**
 * Pack the event records of one flush: events of one partition, in queue order, into records of at most
 * `maxEvents` events (and MAX_PACKED_CHARS). Records with an explicit partition or the tick key pass through
 * in place, after their partition's events queued before them. `maxEvents` <= 1 returns the records as they are.
 * A single event stays a one-event record (the same bytes as without packing).
 */
export function packRecords(records: readonly OutRecord[], partitions: number, maxEvents: number): OutRecord[] {
  if (maxEvents <= 1 || partitions < 1 || records.length < 2) return records as OutRecord[];
  const cap = Math.min(maxEvents, MAX_EVENTS_PER_RECORD);
  const open = new Map<number, OpenPack>();
  const out: OutRecord[] = [];
  const close = (p: OpenPack) => {
    open.delete(p.partition);
    out.push(
      p.values.length === 1
        ? { key: p.key, value: p.values[0]!, partition: p.partition }
        : { key: p.key, value: packedValue(p.values), partition: p.partition },
    );
  };
  for (const r of records) {
    if (r.partition !== undefined || r.key === TICK_KEY) {
      const p = r.partition === undefined ? undefined : open.get(r.partition);
      if (p) close(p);
      out.push(r);
      continue;
    }
    const partition = partitionOfKey(r.key, partitions);
    let p = open.get(partition);
    if (p && (p.values.length >= cap || p.chars + r.value.length > MAX_PACKED_CHARS)) {
      close(p);
      p = undefined;
    }
    if (!p) {
      p = { partition, key: r.key, values: [], chars: HEAD.length + TAIL.length };
      open.set(partition, p);
    }
    p.values.push(r.value);
    p.chars += r.value.length + 1;
  }
  for (const p of [...open.values()]) close(p);
  return out;
}

/** One event of a record on emoji-events, as a reader sees it: the parsed value and its position in the record. */
export interface RecordEvent {
  value: unknown;
  /** Index in the packed record; 0 for a one-event record. */
  position: number;
}

/**
 * The values a record of emoji-events carries, for readers (tests, tools): a packed record's elements in order
 * (whatever they are: the reader validates), otherwise the value itself (an event, a tick, anything else).
 * `value` is the parsed JSON of the record.
 */
export function recordValues(value: unknown): RecordEvent[] {
  if (isPacked(value)) return value.events.map((v, position) => ({ value: v, position }));
  return [{ value, position: 0 }];
}

export const isPacked = (value: unknown): value is { type: 'events'; events: unknown[] } =>
  typeof value === 'object' && value !== null && (value as { type?: unknown }).type === PACKED_TYPE && Array.isArray((value as { events?: unknown }).events);
