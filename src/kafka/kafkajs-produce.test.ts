import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKafka } from './client.ts';
import {
  encodeProduce,
  KAFKAJS_PRODUCE_MODULE,
  KAFKAJS_REQUEST_MODULE,
  kafkajsProduceFast,
  kafkajsProduceRequest,
  kafkajsRequestFrame,
  produceRequest,
  requestFrame,
  type ProduceArgs,
} from './kafkajs-produce.ts';

const require = createRequire(import.meta.url);
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): unknown; fromInt(n: number): unknown };

/** a small deterministic generator (no flaky seeds) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const TEXT = ['', 'u-1', 'lg-49999', '🔥', 'é', '{"event_id":"x","emoji_type":"😂"}', 'x'.repeat(300), 'ä'.repeat(70)];

function randomArgs(r: () => number): ProduceArgs {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const bytes = (): string | Buffer | null => pick<string | Buffer | null>([null, pick(TEXT), Buffer.from(pick(TEXT)), pick(TEXT) + pick(TEXT)]);
  const topics = 1 + Math.floor(r() * 3);
  return {
    acks: pick([-1, 1]),
    timeout: pick([30000, 4000, 1]),
    transactionalId: pick([undefined, null, 'tx-1', 'ä-tx']),
    producerId: pick([undefined, Long.fromValue(0), Long.fromValue(4711), Long.fromValue('9007199254740993'), Long.fromInt(-1)]),
    producerEpoch: pick([undefined, 0, 7]),
    topicData: Array.from({ length: topics }, (_, t) => ({
      topic: pick(['emoji-events', 'ab-events', `t-${t}-ä`]),
      partitions: Array.from({ length: 1 + Math.floor(r() * 6) }, (_, p) => ({
        partition: p * 3 + t,
        firstSequence: pick([undefined, 0, 17, 2 ** 31 - 5]),
        messages: Array.from({ length: Math.floor(r() * 40) + (r() < 0.1 ? 2000 : 0) }, () => ({
          key: bytes(),
          value: bytes(),
          partition: p,
          ...(r() < 0.1 ? { headers: { a: pick(TEXT), b: [Buffer.from(pick(TEXT)), pick(TEXT)] } } : {}),
        })),
      })),
    })),
  };
}

const framed = async (frame: typeof requestFrame, request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> }, clientId: string | null) =>
  Buffer.from((await frame({ correlationId: 123456, clientId, request: request as never })).buffer);

describe('kafkajs produce request in one pass', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is what kafkajs loads through client.ts', () => {
    expect(createKafka).toBeTypeOf('function');
    expect(kafkajsProduceFast()).toBe(true);
    expect(require.cache[KAFKAJS_PRODUCE_MODULE]?.exports).toBe(produceRequest);
    expect(require.cache[KAFKAJS_REQUEST_MODULE]?.exports).toBe(requestFrame);
  });

  it('frames every produce request to the same bytes as kafkajs: topics, partitions, keys, values, nulls, buffers, headers, ids', async () => {
    const r = rng(11);
    vi.spyOn(Date, 'now').mockReturnValue(1_764_000_000_123);
    for (let i = 0; i < 150; i++) {
      const a = randomArgs(r);
      const clientId = [null, 'emostream-api', 'x'.repeat(300)][i % 3]!;
      const ours = produceRequest(a);
      const theirs = kafkajsProduceRequest(a);
      expect({ ...ours, expectResponse: ours.expectResponse(), encode: 0 }).toEqual({ ...theirs, expectResponse: theirs.expectResponse(), encode: 0 });
      const got = await framed(requestFrame, ours, clientId);
      const want = await framed(kafkajsRequestFrame, theirs, clientId);
      expect(got.equals(want), `request ${i}`).toBe(true);
    }
  });

  it('writes each batch its own Date.now(), as kafkajs does per partition', async () => {
    let t = 1_764_000_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => (t += 7));
    const a: ProduceArgs = { acks: -1, timeout: 1000, topicData: [{ topic: 'e', partitions: [0, 1, 2].map((p) => ({ partition: p, messages: [{ key: 'k', value: 'v' }] })) }] };
    const ours = (await requestFrame({ correlationId: 1, clientId: 'c', request: produceRequest(a) })).buffer;
    t = 1_764_000_000_000;
    const theirs = (await kafkajsRequestFrame({ correlationId: 1, clientId: 'c', request: kafkajsProduceRequest(a) })).buffer;
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('leaves compressed batches and records with their own timestamp to kafkajs', () => {
    const m = { key: 'k', value: 'v' };
    const compressed: ProduceArgs = { acks: -1, timeout: 1, compression: 1, topicData: [{ topic: 'e', partitions: [{ partition: 0, messages: [m] }] }] };
    const stamped: ProduceArgs = { acks: -1, timeout: 1, topicData: [{ topic: 'e', partitions: [{ partition: 0, messages: [m, { ...m, timestamp: 5 }] }] }] };
    for (const a of [compressed, stamped]) expect(produceRequest(a).encode.toString()).toBe(kafkajsProduceRequest(a).encode.toString());
    expect(produceRequest({ ...stamped, topicData: [{ topic: 'e', partitions: [{ partition: 0, messages: [m] }] }] }).encode.toString()).not.toBe(kafkajsProduceRequest(stamped).encode.toString());
  });

  it('frames any other request as kafkajs does (one copy of its payload)', async () => {
    const metadata = require('kafkajs/src/protocol/requests/metadata/v6/request.js') as (a: object) => { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    for (const clientId of [null, '', 'emostream-api', 'ü'.repeat(200)]) {
      const req = metadata({ topics: ['emoji-events', 'x'], allowAutoTopicCreation: false });
      expect((await framed(requestFrame, req, clientId)).equals(await framed(kafkajsRequestFrame, req, clientId))).toBe(true);
    }
  });

  it('keeps the payload alone in its buffer view, the frame in front of it', () => {
    const a: ProduceArgs = { acks: -1, timeout: 1, topicData: [{ topic: 'e', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }] };
    const p = encodeProduce(a);
    expect(p.headroom).toBeGreaterThan(0);
    expect(p.buffer.length).toBe(p.offset - p.headroom!);
  });
});
