// kafkajs 2.2.4 encodes each record of a produce request the slow way: a zero-filled 512-byte Buffer per record
// (`new Encoder()`), a `Buffer.from([...])` per varint, 64-bit Long arithmetic for the timestamp delta, then
// copies every record into the batch; and it checksums the batch (CRC-32C) one byte at a time. In a CPU profile
// of the kafkajs producer alone (bench/components/producers.ts --only kafkajs) those frames were the largest
// share of the producer's own time. This module puts three replacements with the same results in the require
// cache before kafkajs loads (as src/kafka/kafkajs-grouping.ts does):
// - the Record encoder (src/protocol/recordBatch/record/v0): each record written once into a Buffer of its
//   exact size, varints with plain integer arithmetic; the same bytes (kafkajs-record.test.ts compares them
//   with kafkajs' own encoder on generated records, headers and negative deltas included);
// - the batch checksum (src/protocol/recordBatch/crc32C): CRC-32C eight bytes at a time ("slicing-by-8",
//   tables derived from kafkajs' own), the same value for every input (same test);
// - the default partitioner's murmur2 (src/producer/partitioners/default/murmur2.js), which kafkajs computes with
//   BigInt-backed 64-bit Longs for every record without a partition (every event: key = user_id): 32-bit
//   `Math.imul` arithmetic, as Kafka's Java `Utils.murmur2`, the same hash for every key (same test), so every
//   user stays on the partition it had.
// Import before anything imports 'kafkajs' (src/kafka/client.ts does). `kafkajsRecordFast` says whether it took
// effect in this process.
import { holds, isLoaded, kafkajsFile, preload } from './kafkajs-preload.ts';

export const KAFKAJS_RECORD_MODULE = kafkajsFile('src/protocol/recordBatch/record/v0/index.js');
export const KAFKAJS_CRC32C_MODULE = kafkajsFile('src/protocol/recordBatch/crc32C/index.js');
export const KAFKAJS_MURMUR2_MODULE = kafkajsFile('src/producer/partitioners/default/murmur2.js');
// the modules that read them: once loaded, they hold whichever function was in the cache then
const readersLoadedFirst = [
  'src/protocol/requests/produce/v3/request.js',
  'src/protocol/recordBatch/v0/index.js',
  'src/producer/partitioners/default/index.js',
].some((rel) => isLoaded(kafkajsFile(rel)));

export type Bytes = string | Buffer | null | undefined;
export interface RecordArgs {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}
/** What kafkajs' batch encoder reads from a record: `buf` (checked to be a Buffer) and `buffer` (the bytes). */
export interface EncodedRecord {
  buf: Buffer;
  buffer: Buffer;
  offset: number;
}

const zigZag32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;
/** zig-zag of a 64-bit integer held in a JS number (exact for |n| < 2^52, as kafkajs' deltas are). */
const zigZag64 = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);
const sizeOfUVarInt = (u: number): number => {
  let bytes = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    bytes++;
  }
  return bytes;
};
const writeUVarInt = (buf: Buffer, at: number, u: number): number => {
  while (u >= 0x80) {
    buf[at++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[at++] = u;
  return at;
};
const byteLength = (v: string | Buffer): number => (typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : Buffer.byteLength(v));
/** bytes of a nullable varint-prefixed field: -1 for null, else its length */
const lengthOf = (v: Bytes): number => (v == null ? -1 : byteLength(v));
const sizeOfField = (len: number): number => sizeOfUVarInt(zigZag32(len)) + Math.max(len, 0);
const writeField = (buf: Buffer, at: number, v: Bytes, len: number): number => {
  at = writeUVarInt(buf, at, zigZag32(len));
  if (v == null) return at;
  if (typeof v === 'string') return at + buf.write(v, at, len, 'utf8');
  v.copy(buf, at);
  return at + len;
};

/** kafkajs' Record v0 (Length, Attributes, TimestampDelta, OffsetDelta, Key, Value, Headers), the same bytes. */
const NO_PAIRS: readonly [string, Bytes][] = [];
const NO_LENS: readonly number[] = [];
/** A record's headers as kafkajs writes them: one (key, value) per value, an array's values in order. */
function headerPairs(headers: NonNullable<RecordArgs['headers']>): readonly [string, Bytes][] {
  let pairs: [string, Bytes][] | null = null;
  for (const k in headers) {
    if (!Object.hasOwn(headers, k)) continue; // kafkajs reads Object.keys: own keys only
    const v = headers[k];
    pairs ??= [];
    if (Array.isArray(v)) for (const x of v) pairs.push([k, x]);
    else pairs.push([k, v]);
  }
  return pairs ?? NO_PAIRS; // the ingest path's records have none: no arrays per record
}

/** A record's sizes, computed once: what writeRecord writes and how long it is (`total`, its length prefix included). */
export interface RecordLayout {
  total: number;
  body: number;
  ts: number;
  od: number;
  key: Bytes;
  keyLen: number;
  value: Bytes;
  valueLen: number;
  pairs: readonly [string, Bytes][];
  pairLens: readonly number[];
}

export function recordLayout(key: Bytes, value: Bytes, headers: RecordArgs['headers'] = {}, offsetDelta = 0, timestampDelta = 0): RecordLayout {
  const pairs = headers ? headerPairs(headers) : NO_PAIRS;
  const ts = zigZag64(Number(timestampDelta));
  const od = zigZag32(offsetDelta);
  const keyLen = lengthOf(key);
  const valueLen = lengthOf(value);
  let body = 1 + sizeOfUVarInt(ts) + sizeOfUVarInt(od) + sizeOfField(keyLen) + sizeOfField(valueLen) + sizeOfUVarInt(zigZag32(pairs.length));
  // each header's key and value lengths, in order
  const pairLens = pairs.length === 0 ? NO_LENS : pairs.flatMap(([k, v]) => [byteLength(k), lengthOf(v)]);
  for (const len of pairLens) body += sizeOfField(len);
  return { total: sizeOfUVarInt(zigZag32(body)) + body, body, ts, od, key, keyLen, value, valueLen, pairs, pairLens };
}

/** Writes a record at `at` (l.total bytes); returns the offset after it. */
export function writeRecord(buf: Buffer, at: number, l: RecordLayout): number {
  const end = at + l.total;
  at = writeUVarInt(buf, at, zigZag32(l.body));
  buf[at++] = 0; // attributes: none used
  at = writeUVarInt(buf, at, l.ts);
  at = writeUVarInt(buf, at, l.od);
  at = writeField(buf, at, l.key, l.keyLen);
  at = writeField(buf, at, l.value, l.valueLen);
  at = writeUVarInt(buf, at, zigZag32(l.pairs.length));
  for (let i = 0; i < l.pairs.length; i++) {
    at = writeField(buf, at, l.pairs[i]![0], l.pairLens[2 * i]!);
    at = writeField(buf, at, l.pairs[i]![1], l.pairLens[2 * i + 1]!);
  }
  if (at !== end) throw new Error(`kafkajs-record: encoded ${at} bytes of ${end}`);
  return at;
}

export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordArgs): EncodedRecord {
  const l = recordLayout(key, value, headers, offsetDelta, timestampDelta);
  const buf = Buffer.allocUnsafe(l.total);
  writeRecord(buf, 0, l);
  return { buf, buffer: buf, offset: l.total };
}

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78), eight bytes a step.
const TABLES = (() => {
  const t = Array.from({ length: 8 }, () => new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[0]![n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[0]![n]!;
    for (let s = 1; s < 8; s++) {
      c = t[0]![c & 0xff]! ^ (c >>> 8);
      t[s]![n] = c;
    }
  }
  return t;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];

/** CRC-32C of `buf` as an unsigned 32-bit number (kafkajs' crc32C/index.js contract). */
export function crc32c(buf: Uint8Array): number {
  let crc = -1;
  let i = 0;
  const end8 = buf.length - (buf.length % 8);
  for (; i < end8; i += 8) {
    const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
    crc =
      T7[a & 0xff]! ^ T6[(a >>> 8) & 0xff]! ^ T5[(a >>> 16) & 0xff]! ^ T4[a >>> 24]! ^
      T3[buf[i + 4]!]! ^ T2[buf[i + 5]!]! ^ T1[buf[i + 6]!]! ^ T0[buf[i + 7]!]!;
  }
  for (; i < buf.length; i++) crc = T0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Kafka's murmur2 of a record key (kafkajs' default partitioner contract: a signed 32-bit int). */
export function murmur2(key: string | Buffer): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  switch (length % 4) {
    case 3:
      h ^= data[(length & ~3) + 2]! << 16;
    // falls through
    case 2:
      h ^= data[(length & ~3) + 1]! << 8;
    // falls through
    case 1:
      h ^= data[length & ~3]!;
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

preload(KAFKAJS_RECORD_MODULE, encodeRecord);
preload(KAFKAJS_CRC32C_MODULE, crc32c);
preload(KAFKAJS_MURMUR2_MODULE, murmur2);

/** True when kafkajs' producer in this process encodes, checksums and partitions records with the functions above. */
export const kafkajsRecordFast = (): boolean =>
  !readersLoadedFirst &&
  holds(KAFKAJS_RECORD_MODULE, encodeRecord) &&
  holds(KAFKAJS_CRC32C_MODULE, crc32c) &&
  holds(KAFKAJS_MURMUR2_MODULE, murmur2);
