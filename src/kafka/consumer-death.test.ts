import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { consumerDeath } from './consumer-death.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** The part of a kafkajs consumer consumerDeath uses: events.CRASH / events.STOP and on(). */
function fakeConsumer() {
  const ee = new EventEmitter();
  const events = { CRASH: 'consumer.crash', STOP: 'consumer.stop' };
  const consumer = { events, on: (name: string, fn: (e: unknown) => void) => ee.on(name, fn) } as unknown as Consumer;
  return {
    consumer,
    stop: () => ee.emit(events.STOP, { type: events.STOP, payload: null }),
    crash: (error: Error, restart: boolean) => ee.emit(events.CRASH, { type: events.CRASH, payload: { error, groupId: 'g', restart } }),
  };
}

describe('consumerDeath', () => {
  it("kafkajs' order on a crash (STOP, then CRASH with restart: true): dies with the crash's error, then releases the consumer", async () => {
    const f = fakeConsumer();
    let stopped = false;
    const released: string[] = [];
    const died = consumerDeath(f.consumer, { stoppedByUs: () => stopped, release: async () => void released.push('released') });
    f.stop();
    const err = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    err.name = 'KafkaJSNumberOfRetriesExceeded';
    f.crash(err, true);
    expect(released).toEqual([]); // not before kafkajs has scheduled its own restart (right after the listeners)
    expect(await died).toBe('crashed: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    await new Promise((r) => setImmediate(r));
    expect(released).toEqual(['released']);
  });

  it('a stop with no crash behind it dies after the grace, as "stopped on its own"', async () => {
    const f = fakeConsumer();
    const died = consumerDeath(f.consumer, { stoppedByUs: () => false, release: async () => {}, graceMs: 20 });
    f.stop();
    expect(await died).toBe('stopped on its own');
  });

  it('a stop asked for is not a death', async () => {
    const f = fakeConsumer();
    let stopped = false;
    let released = 0;
    const died = consumerDeath(f.consumer, { stoppedByUs: () => stopped, release: async () => void released++, graceMs: 10 });
    stopped = true;
    f.stop();
    const r = await Promise.race([died, sleep(60).then(() => 'alive')]);
    expect(r).toBe('alive');
    expect(released).toBe(0);
  });
});
