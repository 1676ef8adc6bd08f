import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import { IdempotencyConflictError, UnavailableError } from '../ports/ingest.ts';
import type { OutRecord } from './batcher.ts';
import { partitionOfKey, recordValues } from './packed.ts';
import { IdempotencyCache, idempotencyKey, payloadHash } from './producer.dedup.ts';
import { admittedRecords, eventRecord, startIngest } from './producer.ts';
import { createEventValidator } from '../domain/event.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', TICK_INTERVAL_MS: '0' });
const ev = (id: string, user = 'u', emoji_type = '🔥'): ValidEvent => ({
  event_id: id, user_id: user, emoji_type, timestamp: '2026-11-28T15:00:01.250Z', match_id: 'm',
});
const keysOf = (sends: { records: OutRecord[] }[]) => sends.flatMap((s) => s.records.map((r) => (JSON.parse(r.value) as ValidEvent).event_id));

function fakeSend() {
  const sends: { records: OutRecord[]; ack: () => void; fail: (e: Error) => void }[] = [];
  return { sends, send: (records: OutRecord[]) => new Promise<void>((ack, fail) => sends.push({ records, ack, fail })) };
}
const tick = () => sleep(5);

describe('eventRecord', () => {
  it('keys by user_id and carries every field', () => {
    const e = { ...ev('e1', 'u-17'), received_at: '2026-11-28T15:00:01.262Z' };
    const r = eventRecord(e);
    expect(r.key).toBe('u-17');
    expect(JSON.parse(r.value)).toEqual(e);
  });
});

describe('admittedRecords', () => {
  it('writes the bytes of eventRecord({ ...event, received_at }) for any valid event', () => {
    const config = loadConfig({});
    const validate = createEventValidator(config.ingest);
    const now = Date.parse('2026-11-30T17:00:00.000Z');
    const bodies = [
      { user_id: 'u-1', emoji_type: '🔥', timestamp: now },
      { user_id: 'quote " and \\ backslash', emoji_type: '👍🏽', timestamp: '2026-11-30T18:00:00.5+01:00', match_id: 'ind-aus', event_id: 'e:1' },
      { user_id: 'ユーザー 🔥 Ω', emoji_type: '❤', timestamp: now - 1, match_id: 'm.x_y-z' },
    ];
    const events = bodies.map((b) => {
      const r = validate(b, { now });
      if (!r.ok) throw new Error(JSON.stringify(r.errors));
      return r.event;
    });
    const at = now + 1234;
    const received_at = new Date(at).toISOString();
    expect(admittedRecords(events, at)).toEqual(events.map((e) => eventRecord({ ...e, received_at })));
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

  it('keeps an id whose write was sent but not confirmed: its retry is written again and answered after its own ack', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const first = ingest.submit([ev('k2')], [true]);
    await tick();
    f.sends[0]!.fail(new Error('broker down'));
    const err = await first.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).outcome).toBe('unknown'); // it may be in Kafka
    await sleep(1100); // past the probe interval
    // the same key with another payload is not a retry of it: 409, even while the outcome is unknown
    await expect(ingest.submit([ev('k2', 'u', '😀')], [true])).rejects.toBeInstanceOf(IdempotencyConflictError);
    let answered = false;
    const retry = ingest.submit([ev('k2')], [true]).then(() => (answered = true));
    await tick();
    expect(keysOf(f.sends)).toEqual(['k2', 'k2']); // written again: downstream counts (user_id, event_id) once
    expect(answered).toBe(false); // not before its own ack
    f.sends[1]!.ack();
    await retry;
    await ingest.submit([ev('k2')], [true]); // now acknowledged: no third write
    expect(keysOf(f.sends)).toEqual(['k2', 'k2']);
    expect(ingest.status()).toMatchObject({ state: 'up', failedBatches: 1, sentEvents: 1 });
    await ingest.stop();
  });

  it('forgets an id refused before it was sent (nothing reached Kafka)', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const a = ingest.submit([ev('a1')], [true]);
    await tick();
    const queued = ingest.submit([ev('q1')], [true]).catch((e: unknown) => e); // waits behind a1
    f.sends[0]!.fail(new Error('broker down'));
    await a.catch(() => {});
    expect(await queued).toMatchObject({ outcome: 'not_written' });
    // refused at once while down: not written either
    expect(await ingest.submit([ev('f1')], [true]).catch((e: unknown) => e)).toMatchObject({ outcome: 'not_written' });
    await sleep(1100);
    // a different payload under q1 is fine now: the first one never reached Kafka
    const p = ingest.submit([ev('q1', 'u', '😀')], [true]);
    await tick();
    f.sends[1]!.ack();
    await p;
    expect(keysOf(f.sends)).toEqual(['a1', 'q1']);
    await ingest.stop();
  });

  it('keys by (user_id, event_id): another user may use the same event_id; a conflict refuses the whole request', async () => {
    const f = fakeSend();
    const ingest = await startIngest(config, {} as Kafka, { send: f.send });
    const a = ingest.submit([ev('same', 'u-1')], [true]);
    await tick();
    f.sends[0]!.ack();
    await a;
    const b = ingest.submit([ev('same', 'u-2')], [true]);
    await tick();
    f.sends[1]!.ack();
    await b;
    expect(f.sends.map((s) => s.records[0]!.key)).toEqual(['u-1', 'u-2']);
    const err = await ingest.submit([ev('fresh', 'u-1'), ev('same', 'u-1', '😡')], [true, true]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'IdempotencyConflictError', index: 1, eventId: 'same' });
    await tick();
    expect(f.sends).toHaveLength(2); // nothing of that request was written
    await ingest.stop();
  });

  it('stamps received_at at admission from the monotonic clock: admission order is time order, ticks included', async () => {
    const f = fakeSend();
    let t = Date.parse('2026-11-28T15:00:01.000Z');
    const ticking = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', TICK_INTERVAL_MS: '20' });
    const ingest = await startIngest(ticking, {} as Kafka, { send: async (r) => void f.sends.push({ records: r, ack: () => {}, fail: () => {} }), partitions: 1, clock: () => (t += 7) });
    await Promise.all([ingest.submit([ev('x1'), ev('x2')]), ingest.submit([ev('x3')])]);
    await sleep(60);
    await ingest.stop();
    // each event (a packed record's in order) and tick, with its record's key
    const records = f.sends.flatMap((s) => s.records.flatMap((r) => recordValues(JSON.parse(r.value)).map(({ value }) => ({ key: r.key, value: value as { received_at: string } }))));
    const stamps = records.map((r) => r.value.received_at);
    expect(records[0]!.key).toBe('__tick__'); // the first tick, written at start before any event
    const events = records.filter((r) => r.key !== '__tick__').map((r) => r.value.received_at);
    expect(events).toHaveLength(3);
    expect(events[0]).toBe(events[1]); // one request, one stamp
    expect(Date.parse(events[2]!) - Date.parse(events[0]!)).toBe(7); // the next admission
    expect(stamps.length).toBeGreaterThan(4); // ticks, from the same clock
    expect([...stamps].sort()).toEqual(stamps); // queue order = time order
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
    await sleep(1100); // past the probe interval
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
  const k = (id: string) => idempotencyKey({ user_id: 'u', event_id: id });
  const h = payloadHash(ev('x'));
  it('expires by age and evicts the oldest past maxKeys', async () => {
    let now = 0;
    const c = new IdempotencyCache({ ttlMs: 100, maxKeys: 2, now: () => now });
    c.track(k('a'), h, Promise.resolve());
    c.track(k('b'), h, Promise.resolve());
    await tick();
    expect(c.lookup(k('a'), h)).toEqual({ kind: 'done' });
    expect(c.lookup(k('a'), payloadHash(ev('x', 'u', '😀')))).toEqual({ kind: 'conflict' });
    c.track(k('c'), h, Promise.resolve());
    expect(c.lookup(k('a'), h)).toEqual({ kind: 'new' });
    expect(c.size).toBe(2);
    now = 101;
    expect(c.lookup(k('b'), h)).toEqual({ kind: 'new' });
  });

  it('hashes the normalized payload, not the user or the id', () => {
    expect(payloadHash(ev('a', 'u-1'))).toBe(payloadHash(ev('b', 'u-2')));
    expect(payloadHash(ev('a'))).not.toBe(payloadHash({ ...ev('a'), match_id: 'other' }));
    expect(idempotencyKey({ user_id: 'u-1', event_id: 'x' })).not.toBe(idempotencyKey({ user_id: 'u-2', event_id: 'x' }));
  });
});

describe('startIngest with INGEST_PACK_EVENTS (fake producer)', () => {
  it("packs a flush's events per partition, acknowledges every request once its records are, and needs the partition count", async () => {
    const packedConfig = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1', TICK_INTERVAL_MS: '0', INGEST_PACK_EVENTS: '4' });
    const f = fakeSend();
    const ingest = await startIngest(packedConfig, {} as Kafka, { send: f.send, partitions: 3 });
    // one turn of the event loop: a batch of 10 and three single events join one flush
    const batch = ingest.submit(Array.from({ length: 10 }, (_, i) => ev(`b${i}`, `u-${i % 5}`)));
    const singles = [0, 1, 2].map((i) => ingest.submit([ev(`s${i}`, `u-${i}`)]));
    await tick();
    expect(f.sends).toHaveLength(1);
    const records = f.sends[0]!.records;
    const events = records.flatMap((r) => recordValues(JSON.parse(r.value)).map(({ value }) => ({ r, e: value as ValidEvent })));
    expect(events.map(({ e }) => e.event_id).sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `b${i}`), 's0', 's1', 's2'].sort());
    expect(records.length).toBeLessThan(events.length); // packed
    for (const { r, e } of events) {
      expect(r.partition).toBe(partitionOfKey(e.user_id, 3));
      expect(recordValues(JSON.parse(r.value)).length).toBeLessThanOrEqual(4);
    }
    let settled = 0;
    for (const p of [batch, ...singles]) void p.then(() => settled++);
    await tick();
    expect(settled).toBe(0); // no 202 before the broker's ack
    f.sends[0]!.ack();
    await Promise.all([batch, ...singles]);
    await ingest.stop();

    // without the partition count from the broker (or the caller): one record per event
    const g = fakeSend();
    const unknown = await startIngest(packedConfig, {} as Kafka, { send: g.send });
    const p = unknown.submit([ev('x1', 'u-1'), ev('x2', 'u-1')]);
    await tick();
    expect(g.sends[0]!.records.map((r) => JSON.parse(r.value).event_id)).toEqual(['x1', 'x2']);
    g.sends[0]!.ack();
    await p;
    await unknown.stop();
  });
});
