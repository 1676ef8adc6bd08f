import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../ports/ingest.ts';
import { Batcher, type BatcherOptions, type OutRecord } from './batcher.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const rec = (key: string): OutRecord => ({ key, value: `{"k":"${key}"}` });
const recs = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => rec(`${prefix}${i}`));

/** A fake producer: each send waits until the test acknowledges or fails it. */
function fakeSend() {
  const sends: { records: OutRecord[]; ack: () => void; fail: (e: unknown) => void; at: number }[] = [];
  const send = (records: OutRecord[]) =>
    new Promise<void>((ack, fail) => sends.push({ records, ack, fail, at: Date.now() }));
  return { sends, send };
}

const opts = (send: BatcherOptions['send'], o: Partial<BatcherOptions> = {}): BatcherOptions => ({
  send,
  flushIntervalMs: 100,
  batchMaxEvents: 1000,
  bufferMaxEvents: 10_000,
  produceTimeoutMs: 2000,
  probeIntervalMs: 50,
  ...o,
});

describe('Batcher', () => {
  it('sends at once when idle and resolves only after the ack', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send));
    let done = false;
    const p = b.submit([rec('a')]).then(() => (done = true));
    await sleep(5);
    expect(f.sends).toHaveLength(1);
    expect(done).toBe(false);
    f.sends[0]!.ack();
    await p;
    expect(done).toBe(true);
    expect(b.status()).toMatchObject({ state: 'up', sentBatches: 1, sentEvents: 1, inFlightEvents: 0 });
  });

  it('groups what arrives while a batch is in flight and sends it on the ack', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { flushIntervalMs: 10_000 }));
    const first = b.submit([rec('a')]);
    await sleep(5);
    const rest = [b.submit([rec('b'), rec('c')]), b.submit([rec('d')])];
    await sleep(20);
    expect(f.sends).toHaveLength(1); // waits for the ack (flush interval is far away)
    f.sends[0]!.ack();
    await first;
    await sleep(5);
    expect(f.sends).toHaveLength(2);
    expect(f.sends[1]!.records.map((r) => r.key)).toEqual(['b', 'c', 'd']);
    f.sends[1]!.ack();
    await Promise.all(rest);
  });

  it('never puts records stamped more than maxSpanMs apart into one batch (a stall does not make one long request)', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { flushIntervalMs: 10_000, maxSpanMs: 500 }));
    const first = b.submit([rec('a')], 1000);
    await sleep(5);
    // queued behind the batch in flight, stamped over 1.2 s (a slow broker)
    const rest = [b.submit([rec('b')], 1100), b.submit([rec('c')], 1600), b.submit([rec('d')], 1601), b.submit([rec('e')], 2300)];
    // ack each batch as it goes out (they go one after another: the flush interval is far away)
    for (let acked = 0; acked < 4 && acked < f.sends.length; acked++) {
      f.sends[acked]!.ack();
      await sleep(5);
    }
    await Promise.all([first, ...rest]);
    // b and c are exactly 500 apart: one batch; d is 501 after b; e is 699 after d
    expect(f.sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
  });

  it('with pipeline: what arrives in one turn goes out at its end, up to maxInFlightBatches, in order', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { flushIntervalMs: 10_000, pipeline: true, maxInFlightBatches: 2 }));
    const first = b.submit([rec('a')]);
    await sleep(5);
    const second = [b.submit([rec('b')]), b.submit([rec('c')])]; // same turn: one batch
    await sleep(5);
    expect(f.sends.map((s) => s.records.map((r) => r.key))).toEqual([['a'], ['b', 'c']]); // no ack awaited
    const third = b.submit([rec('d')]);
    await sleep(20);
    expect(f.sends).toHaveLength(2); // two in flight: the third waits for an ack
    f.sends[0]!.ack();
    await first;
    await sleep(5);
    expect(f.sends[2]!.records.map((r) => r.key)).toEqual(['d']);
    f.sends[1]!.ack();
    f.sends[2]!.ack();
    await Promise.all([...second, third]);
    expect(b.status()).toMatchObject({ state: 'up', sentBatches: 3, sentEvents: 4, inFlightBatches: 0 });
  });

  it('sends an overlapping batch when batchMaxEvents are queued', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { batchMaxEvents: 3, flushIntervalMs: 10_000 }));
    void b.submit([rec('a')]);
    await sleep(5);
    void b.submit(recs('x', 2));
    await sleep(5);
    expect(f.sends).toHaveLength(1);
    void b.submit([rec('y')]);
    await sleep(5);
    expect(f.sends).toHaveLength(2);
    expect(f.sends[1]!.records).toHaveLength(3);
  });

  it('lets no event wait longer than the flush interval behind a slow ack', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { flushIntervalMs: 60 }));
    void b.submit([rec('slow')]);
    await sleep(5);
    const t0 = Date.now();
    void b.submit([rec('b')]);
    await sleep(120);
    expect(f.sends).toHaveLength(2);
    const waited = f.sends[1]!.at - t0;
    expect(waited).toBeGreaterThanOrEqual(50);
    expect(waited).toBeLessThan(110);
  });

  it('never splits a group across sends', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { batchMaxEvents: 4, flushIntervalMs: 10_000 }));
    void b.submit([rec('first')]);
    await sleep(5);
    void b.submit(recs('a', 3));
    void b.submit(recs('b', 3));
    await sleep(5);
    // 6 queued ≥ 4: one batch goes, holding whole groups only
    expect(f.sends.slice(1).map((s) => s.records.length)).toEqual([3]);
    f.sends[0]!.ack();
    f.sends[1]!.ack();
    await sleep(5);
    expect(f.sends.slice(1).map((s) => s.records.map((r) => r.key[0]).join(''))).toEqual(['aaa', 'bbb']);
  });

  it('refuses with buffer_full when queued + in flight would pass bufferMaxEvents', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { bufferMaxEvents: 5 }));
    void b.submit(recs('a', 3));
    await sleep(5);
    void b.submit(recs('b', 2));
    const err = await b.submit([rec('c')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).reason).toBe('buffer_full');
    expect(b.status().refused).toBe(1);
  });

  it('fails the batch and everything queued on a send error, refuses fast while down, recovers through a trial', async () => {
    const f = fakeSend();
    const failures: unknown[] = [];
    const b = new Batcher(opts(f.send, { flushIntervalMs: 10_000, onSendFailure: (e) => failures.push(e) }));
    const a = b.submit([rec('a')]).catch((e: unknown) => e);
    await sleep(5);
    const q = b.submit([rec('q')]).catch((e: unknown) => e);
    f.sends[0]!.fail(new Error('Connection error: ECONNREFUSED'));
    expect(await a).toMatchObject({ reason: 'kafka_unavailable' });
    expect(await q).toMatchObject({ reason: 'kafka_unavailable' });
    expect(f.sends).toHaveLength(1); // the queued group was answered, not sent
    expect(failures).toHaveLength(1);
    expect(b.status()).toMatchObject({ state: 'down', lastError: 'Connection error: ECONNREFUSED' });
    expect(b.accepting).toBe(false);
    await expect(b.submit([rec('fast')])).rejects.toMatchObject({ reason: 'kafka_unavailable' });
    await sleep(60); // probe interval passed: the next submission is the trial
    expect(b.accepting).toBe(true);
    const trial = b.submit([rec('trial')]);
    expect(b.status().state).toBe('probing');
    await sleep(5);
    const during = b.submit([rec('during-trial')]); // waits behind the trial, goes out on its ack
    await sleep(5);
    expect(f.sends).toHaveLength(2);
    f.sends[1]!.ack();
    await trial;
    expect(b.status().state).toBe('up');
    await sleep(5);
    expect(f.sends[2]!.records.map((r) => r.key)).toEqual(['during-trial']);
    f.sends[2]!.ack();
    await during;
    const after = b.submit([rec('after')]);
    await sleep(5);
    f.sends.at(-1)!.ack();
    await after;
  });

  it('fails what waited behind a trial when the trial fails', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send));
    const a = b.submit([rec('a')]).catch((e: unknown) => e);
    await sleep(5);
    f.sends[0]!.fail(new Error('down'));
    await a;
    await sleep(60);
    const trial = b.submit([rec('trial')]).catch((e: unknown) => e);
    await sleep(5);
    const during = b.submit([rec('during')]).catch((e: unknown) => e);
    f.sends[1]!.fail(new Error('still down'));
    expect(await trial).toMatchObject({ reason: 'kafka_unavailable' });
    expect(await during).toMatchObject({ reason: 'kafka_unavailable' });
    expect(f.sends).toHaveLength(2);
    expect(b.status()).toMatchObject({ state: 'down', queuedEvents: 0, inFlightEvents: 0 });
  });

  it('fails a send that is not acknowledged within produceTimeoutMs', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send, { produceTimeoutMs: 80 }));
    const t0 = Date.now();
    const err = await b.submit([rec('a')]).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    expect(err).toMatchObject({ reason: 'kafka_unavailable', message: expect.stringContaining('80 ms') });
    expect(b.status().state).toBe('down');
    f.sends[0]!.ack(); // a late ack changes nothing
    expect(b.status().state).toBe('down');
  });

  it('treats a synchronous throw of send like a failed send', async () => {
    const b = new Batcher(opts(() => { throw new Error('boom'); }));
    await expect(b.submit([rec('a')])).rejects.toMatchObject({ reason: 'kafka_unavailable', message: expect.stringContaining('boom') });
  });

  it('stop() sends what is queued, waits for the acks, then refuses', async () => {
    const sent: string[] = [];
    const b = new Batcher(opts(async (r) => { await sleep(10); sent.push(...r.map((x) => x.key)); }, { batchMaxEvents: 2 }));
    const ps = [b.submit([rec('a')]), b.submit([rec('b')]), b.submit([rec('c')])];
    await b.stop();
    await Promise.all(ps);
    expect(sent).toEqual(['a', 'b', 'c']);
    await expect(b.submit([rec('d')])).rejects.toMatchObject({ reason: 'stopped' });
  });

  it('stop() keeps to maxInFlightBatches: a batch in flight, the queue goes out after its ack', async () => {
    let inFlight = 0;
    let most = 0;
    const sent: string[] = [];
    const send = async (r: OutRecord[]) => {
      most = Math.max(most, ++inFlight);
      await sleep(10);
      sent.push(...r.map((x) => x.key));
      inFlight--;
    };
    const b = new Batcher(opts(send, { batchMaxEvents: 1, maxInFlightBatches: 1 }));
    const ps = [b.submit([rec('a')])];
    await sleep(1); // 'a' in flight
    ps.push(b.submit([rec('b')]), b.submit([rec('c')]));
    await b.stop();
    await Promise.all(ps);
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
  });

  // Regression (issue 10, "ingest can wedge for good"): a request whose client event_ids were all acknowledged
  // before an outage submits no records. While `down` that empty submission used to switch the batcher to
  // `probing` with no trial batch to end it, so every later submission was refused for good.
  it('an empty submission while down neither wedges the batcher nor counts as the trial', async () => {
    const f = fakeSend();
    const b = new Batcher(opts(f.send));
    const a = b.submit([rec('a')]).catch((e: unknown) => e);
    await sleep(5);
    f.sends[0]!.fail(new Error('broker frozen'));
    expect(await a).toMatchObject({ reason: 'kafka_unavailable' });
    expect(b.status().state).toBe('down');
    await sleep(60); // past the probe interval
    await b.submit([]); // nothing to store: answered at once
    const trial = b.submit([rec('trial')]).catch((e: unknown) => e);
    await sleep(5);
    f.sends[1]?.ack(); // the next real submission is the trial
    expect(await trial).toBeUndefined();
    expect(f.sends).toHaveLength(2);
    expect(b.status()).toMatchObject({ state: 'up', sentEvents: 1, failedBatches: 1 });
  });
});
