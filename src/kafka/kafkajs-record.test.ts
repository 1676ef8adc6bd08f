import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { originalModule } from './kafkajs-preload.ts';
import { crc32c, encodeRecord, kafkajsRecordFast, KAFKAJS_CRC32C_MODULE, KAFKAJS_MURMUR2_MODULE, KAFKAJS_RECORD_MODULE, murmur2, type RecordArgs } from './kafkajs-record.ts';

const require = createRequire(import.meta.url);

const original = originalModule;
const kafkajsRecord = original<(a: RecordArgs) => { buffer: Buffer }>(KAFKAJS_RECORD_MODULE);
const kafkajsCrc = original<(b: Buffer) => number>(KAFKAJS_CRC32C_MODULE);
const kafkajsMurmur2 = original<(k: string | Buffer) => number>(KAFKAJS_MURMUR2_MODULE);

/** a small deterministic generator (no flaky seeds) */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}
const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
const TEXT = ['', 'u-1', 'lg-49999', '🔥', 'é', '{"event_id":"x","emoji_type":"😂"}', 'x'.repeat(200), 'ä'.repeat(70)];

describe('kafkajs record encoding and batch checksum', () => {
  it('are ours in the producer kafkajs loads through client.ts', () => {
    expect(createKafka).toBeTypeOf('function'); // client.ts (and with it kafkajs) is loaded
    expect(kafkajsRecordFast()).toBe(true);
    expect(require.cache[KAFKAJS_RECORD_MODULE]?.exports).toBe(encodeRecord);
  });

  it('encode every record to the same bytes as kafkajs: keys, values, nulls, buffers, headers, deltas', () => {
    const r = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const bytes = (): string | Buffer | null => {
      const x = r();
      if (x < 0.1) return null;
      if (x < 0.3) return Buffer.from(pick(TEXT) + String(Math.floor(r() * 1e6)));
      return pick(TEXT) + (r() < 0.5 ? String(Math.floor(r() * 1e9)) : '');
    };
    const deltas = [0, 1, 63, 64, 127, 128, 8191, 8192, 1e6, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 3, -1, -64, -65, -(2 ** 31), -(2 ** 35)];
    for (let i = 0; i < 3000; i++) {
      const args: RecordArgs = {
        offsetDelta: i % 5 === 0 ? pick([0, 1, 63, 64, 8191, 8192, 2 ** 20, 2 ** 31 - 1]) : i,
        timestampDelta: pick(deltas),
        key: bytes(),
        value: i % 97 === 0 ? 'y'.repeat(70_000) : bytes(),
      };
      if (i % 7 === 0) args.headers = { h: String(i), 'ä-h': [Buffer.from('b'), '🔥', ''], empty: '' };
      if (i % 11 === 0) delete args.timestampDelta;
      const ours = encodeRecord(args);
      expect(ours.buffer.equals(kafkajsRecord(args).buffer), `record ${i}: ${JSON.stringify(args).slice(0, 200)}`).toBe(true);
      expect(Buffer.isBuffer(ours.buf)).toBe(true); // what kafkajs' Encoder checks before it copies `buffer`
    }
  });

  it('checksum every length and content like kafkajs (CRC-32C)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
    const r = rng(11);
    for (let len = 0; len < 300; len++) {
      const b = Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256)));
      expect(crc32c(b)).toBe(kafkajsCrc(b));
    }
    const big = Buffer.from(Array.from({ length: 200_003 }, () => Math.floor(r() * 256)));
    expect(crc32c(big)).toBe(kafkajsCrc(big));
    expect(crc32c(big.subarray(5, 100_001))).toBe(kafkajsCrc(big.subarray(5, 100_001)));
  });

  it('hash every key like kafkajs and Kafka (murmur2), so every user keeps its partition', () => {
    const r = rng(13);
    for (let i = 0; i < 5000; i++) {
      const key = i % 3 === 0 ? `u-${i}` : i % 3 === 1 ? pick(r, TEXT) + String(Math.floor(r() * 1e9)) : Buffer.from(Array.from({ length: i % 37 }, () => Math.floor(r() * 256)));
      expect(murmur2(key), String(key)).toBe(kafkajsMurmur2(key));
    }
    expect(murmur2('')).toBe(kafkajsMurmur2(''));
  });
});
