// kafkajs 2.2.4 builds a produce request in layers, each an Encoder of its own that starts at 512 bytes, doubles
// into a fresh zero-filled Buffer whenever it is full and is then copied whole into the layer around it: the
// records into the batch body, the body into the batch, the batch into its offset/length frame, that into the
// partition, the partitions into the topic, the topics into the request, the request into its header
// (src/protocol/request.js) and that into the size frame: each byte of an event copied about eight times and
// zero-filled about as often before the socket write. In a CPU profile of the ingest path under batch load
// (bench/components/ingest-ab.ts --mode batch --prof) those layers were ~12% of the API's samples, and they
// sit on the path of every send: with one kafkajs send in flight (src/kafka/producer.ts) the next batch waits
// for them. This module puts two replacements with the same bytes in the require cache before kafkajs loads
// (as src/kafka/kafkajs-record.ts does):
// - the produce request (src/protocol/requests/produce/v3/request.js; v4–v7 are it with another apiVersion):
//   every size computed first, one Buffer allocated, each record written straight into its place, each batch's
//   CRC-32C computed in place. Uncompressed batches of records without their own timestamp only (what the
//   platform sends); anything else goes to kafkajs' own encoder, compiled from its file;
// - the request frame (src/protocol/request.js, every request): size, api key, version, correlation id and
//   client id written into room the produce payload keeps in front of itself (no copy), or, for other requests,
//   one exact Buffer with one copy of the payload.
// kafkajs-produce.test.ts compares both with kafkajs' own on generated requests. Import before anything imports
// 'kafkajs' (src/kafka/client.ts does). `kafkajsProduceFast` says whether it took effect in this process.
import { createRequire } from 'node:module';
import { crc32c, recordLayout, writeRecord, type RecordArgs, type RecordLayout } from './kafkajs-record.ts';
import { holds, isLoaded, kafkajsFile, originalModule, preload } from './kafkajs-preload.ts';

export const KAFKAJS_PRODUCE_MODULE = kafkajsFile('src/protocol/requests/produce/v3/request.js');
export const KAFKAJS_REQUEST_MODULE = kafkajsFile('src/protocol/request.js');
// the modules that read them when they load: once loaded, they hold whichever function was in the cache then
const readersLoadedFirst = ['src/network/connection.js', 'src/protocol/requests/produce/v4/request.js'].some((rel) => isLoaded(kafkajsFile(rel)));

const require = createRequire(import.meta.url);
interface LongLike {
  getHighBits(): number;
  getLowBits(): number;
}
const Long = require('kafkajs/src/utils/long.js') as { fromInt(n: number): LongLike; fromValue(v: unknown): LongLike };
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as { Produce: number };
const COMPRESSION_NONE = 0;

/** What connection.js reads of an encoded request: `buffer`; what Encoder#writeEncoder checks: `buf`. */
export interface EncodedPayload {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
  /** Bytes free in front of the payload (buf[0, headroom)), for the request frame. */
  headroom?: number;
}

interface Message extends RecordArgs {
  timestamp?: number | string | null;
  partition?: number;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: Message[];
}
interface TopicData {
  topic: string;
  partitions: PartitionData[];
}
export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: TopicData[];
}
interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<EncodedPayload>;
}

type ProduceRequestFn = (a: ProduceArgs) => ProduceRequest;
/** kafkajs' own produce request v3 (for what the one-pass encoder does not handle, and for the tests). */
export const kafkajsProduceRequest = originalModule<ProduceRequestFn>(KAFKAJS_PRODUCE_MODULE);
type RequestFrameFn = (a: { correlationId: number; clientId: string | null; request: { apiKey: number; apiVersion: number; encode(): Promise<EncodedPayload> } }) => Promise<EncodedPayload>;
export const kafkajsRequestFrame = originalModule<RequestFrameFn>(KAFKAJS_REQUEST_MODULE);

/** Room kept in front of a produce payload for its frame: size, api key, version, correlation id, a client id up to 240 bytes. */
const HEADROOM = 4 + 2 + 2 + 4 + 2 + 240;
/** A record batch's bytes before its records: offset, length, leader epoch, magic, crc, attributes … record count. */
const BATCH_HEAD = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
/** Where the CRC-32C's range starts in a batch (attributes), and where the CRC is written. */
const CRC_AT = 8 + 4 + 4 + 1;
const BODY_AT = CRC_AT + 4;

const stringSize = (s: string | null | undefined): number => 2 + (s == null ? 0 : Buffer.byteLength(s, 'utf8'));
const writeString = (buf: Buffer, at: number, s: string | null | undefined): number => {
  if (s == null) return buf.writeInt16BE(-1, at);
  const n = buf.write(s, at + 2, 'utf8');
  buf.writeInt16BE(n, at);
  return at + 2 + n;
};
const writeInt64 = (buf: Buffer, at: number, v: LongLike): number => {
  buf.writeInt32BE(v.getHighBits(), at);
  return buf.writeInt32BE(v.getLowBits(), at + 4);
};

/** Whether the one-pass encoder writes these bytes exactly as kafkajs would. */
const handled = (a: ProduceArgs): boolean =>
  (a.compression ?? COMPRESSION_NONE) === COMPRESSION_NONE && a.topicData.every((t) => t.partitions.every((p) => p.messages.every((m) => m.timestamp == null)));

/** The produce request v3 payload in one Buffer (after HEADROOM free bytes), the same bytes as kafkajs' encoder. */
export function encodeProduce(a: ProduceArgs): EncodedPayload {
  const transactionalId = a.transactionalId ?? null;
  const producerId = Long.fromValue(a.producerId ?? Long.fromInt(-1));
  const producerEpoch = a.producerEpoch ?? 0;
  const attributes = transactionalId ? 16 : 0; // no compression, create-time timestamps, transactional bit
  // sizes first
  let size = HEADROOM + stringSize(transactionalId) + 2 + 4 + 4;
  const layouts: RecordLayout[][][] = [];
  for (const t of a.topicData) {
    size += stringSize(t.topic) + 4;
    const perPartition: RecordLayout[][] = [];
    for (const p of t.partitions) {
      size += 4 + 4 + BATCH_HEAD;
      const ls: RecordLayout[] = new Array(p.messages.length);
      for (let i = 0; i < p.messages.length; i++) {
        const m = p.messages[i]!;
        const l = recordLayout(m.key, m.value, m.headers, i, 0);
        ls[i] = l;
        size += l.total;
      }
      perPartition.push(ls);
    }
    layouts.push(perPartition);
  }
  const buf = Buffer.allocUnsafe(size);
  let at = writeString(buf, HEADROOM, transactionalId);
  at = buf.writeInt16BE(a.acks, at);
  at = buf.writeInt32BE(a.timeout, at);
  at = buf.writeInt32BE(a.topicData.length, at);
  for (let ti = 0; ti < a.topicData.length; ti++) {
    const t = a.topicData[ti]!;
    at = writeString(buf, at, t.topic);
    at = buf.writeInt32BE(t.partitions.length, at);
    for (let pi = 0; pi < t.partitions.length; pi++) {
      const p = t.partitions[pi]!;
      const ls = layouts[ti]![pi]!;
      // kafkajs stamps each partition's batch with its own Date.now() (no record carries a timestamp)
      const now = Long.fromValue(Date.now());
      at = buf.writeInt32BE(p.partition, at);
      const sizeAt = at;
      at += 4;
      const batch = at;
      at = writeInt64(buf, at, Long.fromInt(0)); // first offset
      at += 4; // length, below
      at = buf.writeInt32BE(0, at); // partition leader epoch
      at = buf.writeInt8(2, at); // magic
      at += 4; // crc, below
      at = buf.writeInt16BE(attributes, at);
      at = buf.writeInt32BE(p.messages.length - 1, at); // last offset delta
      at = writeInt64(buf, at, now); // first timestamp
      at = writeInt64(buf, at, now); // max timestamp
      at = writeInt64(buf, at, producerId);
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(p.firstSequence ?? 0, at);
      at = buf.writeInt32BE(p.messages.length, at);
      for (let i = 0; i < ls.length; i++) at = writeRecord(buf, at, ls[i]!);
      buf.writeInt32BE(at - batch, sizeAt);
      buf.writeInt32BE(at - batch - 12, batch + 8);
      buf.writeUInt32BE(crc32c(buf.subarray(batch + BODY_AT, at)), batch + CRC_AT);
    }
  }
  if (at !== size) throw new Error(`kafkajs-produce: encoded ${at} bytes of ${size}`);
  return payload(buf, HEADROOM, at);
}

const payload = (buf: Buffer, start: number, end: number): EncodedPayload => ({
  buf,
  offset: end,
  headroom: start,
  get buffer() {
    return buf.subarray(start, end);
  },
});

/** kafkajs' produce request v3 (src/protocol/requests/produce/v3/request.js), encoding in one pass when it can. */
export function produceRequest(a: ProduceArgs): ProduceRequest {
  if (!handled(a)) return kafkajsProduceRequest(a);
  return {
    apiKey: apiKeys.Produce,
    apiVersion: 3,
    apiName: 'Produce',
    expectResponse: () => a.acks !== 0,
    encode: async () => encodeProduce(a),
  };
}

/** kafkajs' request frame (src/protocol/request.js): written into the payload's headroom when it has enough. */
export async function requestFrame({ correlationId, clientId, request: { apiKey, apiVersion, encode } }: Parameters<RequestFrameFn>[0]): Promise<EncodedPayload> {
  const p = await encode();
  const body = p.buffer;
  const head = 4 + 2 + 2 + 4 + stringSize(clientId);
  let buf: Buffer;
  let start: number;
  if (p.headroom !== undefined && p.headroom >= head && body.buffer === p.buf.buffer) {
    buf = p.buf;
    start = p.headroom - head;
  } else {
    buf = Buffer.allocUnsafe(head + body.length);
    start = 0;
    body.copy(buf, head);
  }
  let at = buf.writeInt32BE(head - 4 + body.length, start);
  at = buf.writeInt16BE(apiKey, at);
  at = buf.writeInt16BE(apiVersion, at);
  at = buf.writeInt32BE(correlationId, at);
  writeString(buf, at, clientId);
  return payload(buf, start, start + head + body.length);
}

preload(KAFKAJS_PRODUCE_MODULE, produceRequest);
preload(KAFKAJS_REQUEST_MODULE, requestFrame);

/** True when kafkajs in this process frames requests and encodes produce requests with the functions above. */
export const kafkajsProduceFast = (): boolean => !readersLoadedFirst && holds(KAFKAJS_PRODUCE_MODULE, produceRequest) && holds(KAFKAJS_REQUEST_MODULE, requestFrame);
