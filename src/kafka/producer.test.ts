import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { EmojiEvent } from '../domain/event.ts';
import type { OutRecord } from './batcher.ts';
import { IdempotencyCache } from './producer.dedup.ts';
import { eventRecord, startIngest } from './producer.ts';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', TICK_INTERVAL_MS: '0' });
const ev = (id: string, user = 'u'): EmojiEvent => ({
  event_id: id, user_id: user, emoji_type: '🔥', timestamp: '2026-11-28T15:00:01.250Z', match_id: 'm', received_at: '2026-11-28T15:00:01.262Z',
});

function fakeSend() {
  const sends: { records: OutRecord[]; ack: () => void; fail: (e: Error) => void }[] = [];
  return { sends, send: (records: OutRecord[]) => new Promise<void>((ack, fail) => sends.push({ records, ack, fail })) };
}
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('eventRecord', () => {
  it('keys by user_id and carries every field', () => {
    const r = eventRecord(ev('e1', 'u-17'));
    expect(r.key).toBe('u-17');
    expect(JSON.parse(r.value)).toEqual(ev('e1', 'u-17'));
  });
});

describe('startIngest idempotency (fake producer)', () => {
  it('does not write an acknowledged client event_id again, and waits for one in flight', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const first = ingest.submit([ev('k1')], [true]);
    await tick();
    let retryDone = false;
    const retry = ingest.submit([ev('k1')], [true]).then(() => (retryDone = true));
    await tick();
    expect(retryDone).toBe(false); // waits for the first write's ack
    f.sends[0]!.ack();
    await Promise.all([first, retry]);
    await tick();
    expect(f.sends.flatMap((s) => s.records)).toHaveLength(1);
    await ingest.submit([ev('k1')], [true]); // already acknowledged: no write
    expect(f.sends.flatMap((s) => s.records)).toHaveLength(1);
    // server-generated ids are never deduplicated
    const p = ingest.submit([ev('k1')], [false]);
    await tick();
    f.sends.at(-1)!.ack();
    await p;
    expect(f.sends).toHaveLength(2);
    await ingest.stop();
  });

  it('forgets an id whose write failed, so the retry writes', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const first = ingest.submit([ev('k2')], [true]);
    await tick();
    f.sends[0]!.fail(new Error('broker down'));
    await expect(first).rejects.toMatchObject({ name: 'UnavailableError' });
    await new Promise((r) => setTimeout(r, 1100)); // past the probe interval
    const retry = ingest.submit([ev('k2')], [true]);
    await tick();
    expect(f.sends).toHaveLength(2);
    f.sends[1]!.ack();
    await retry;
    expect(ingest.status()).toMatchObject({ state: 'up', failedBatches: 1, sentEvents: 1 });
    await ingest.stop();
  });
  // Regression (issue 10): while the batcher was down, a retry whose ids were all acknowledged before the
  // outage submitted no records and wedged ingest (every later POST refused for good).
  it('an all-duplicate retry while Kafka is down answers at once and does not wedge ingest', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const first = ingest.submit([ev('w1')], [true]);
    await tick();
    f.sends[0]!.ack();
    await first;
    const lost = ingest.submit([ev('w2')], [true]);
    await tick();
    f.sends[1]!.fail(new Error('broker frozen'));
    await expect(lost).rejects.toMatchObject({ name: 'UnavailableError' });
    await new Promise((r) => setTimeout(r, 1100)); // past the probe interval
    await ingest.submit([ev('w1')], [true]); // acknowledged before the outage: 202 again, nothing written
    const fresh = ingest.submit([ev('w3')], [true]).catch((e: unknown) => e);
    await tick();
    f.sends[2]?.ack();
    expect(await fresh).toBeUndefined();
    expect(ingest.status()).toMatchObject({ state: 'up', sentEvents: 2 });
    await ingest.stop();
  });
});

describe('IdempotencyCache', () => {
  it('expires by age and evicts the oldest past maxKeys', async () => {
    let now = 0;
    const c = new IdempotencyCache({ ttlMs: 100, maxKeys: 2, now: () => now });
    c.track('a', Promise.resolve());
    c.track('b', Promise.resolve());
    await tick();
    expect(c.lookup('a')).toBe('done');
    c.track('c', Promise.resolve());
    expect(c.lookup('a')).toBeUndefined();
    expect(c.size).toBe(2);
    now = 101;
    expect(c.lookup('b')).toBeUndefined();
  });
});
