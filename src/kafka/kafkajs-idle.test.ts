import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { CHECK_PENDING_REQUESTS_INTERVAL, kafkajsIdleFixed, nextPendingCheckMs } from './kafkajs-idle.ts';

const require = createRequire(import.meta.url);

interface Queue {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  push(r: { entry: Record<string, unknown>; expectResponse: boolean; sendRequest: () => void }): void;
  fulfillRequest(r: { correlationId: number; payload: Buffer; size: number }): void;
  destroy(): void;
}
const noop = () => {};
const logger = { debug: noop, info: noop, warn: noop, error: noop, namespace: () => logger };
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (o: object) => Queue;
const queue = (maxInFlightRequests: number | null) =>
  new RequestQueue({ maxInFlightRequests, requestTimeout: 10_000, enforceRequestTimeout: false, clientId: 't', broker: 'b:1', logger });
const request = (correlationId: number, sent: number[]) => ({
  entry: { correlationId, apiName: 'Fetch', apiKey: 1, apiVersion: 11, resolve: noop, reject: noop },
  expectResponse: true,
  sendRequest: () => sent.push(correlationId),
});

describe('kafkajs pending-request checks', () => {
  it('is fixed in the kafkajs that client.ts loads', () => {
    expect(createKafka).toBeTypeOf('function');
    expect(kafkajsIdleFixed).toBe(true);
  });

  it('schedules a check only while a request waits or a throttle lasts', () => {
    const now = 1_000_000;
    expect(nextPendingCheckMs(0, -1, now)).toBeNull(); // the idle case kafkajs turned into a 1 ms loop
    expect(nextPendingCheckMs(0, now - 5, now)).toBeNull();
    expect(nextPendingCheckMs(0, now + 300, now)).toBe(300);
    expect(nextPendingCheckMs(2, -1, now)).toBe(CHECK_PENDING_REQUESTS_INTERVAL); // waiting for an in-flight slot
    expect(nextPendingCheckMs(2, now, now)).toBe(CHECK_PENDING_REQUESTS_INTERVAL); // a throttle ending now (PR #1532)
    expect(nextPendingCheckMs(1, now + 250, now)).toBe(250);
  });

  it('leaves an idle connection without a timer, and still sends a queued request when a slot frees', () => {
    const sent: number[] = [];
    const q = queue(1);
    try {
      q.push(request(1, sent));
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1]);
      expect(q.throttleCheckTimeoutId).toBeNull(); // kafkajs 2.2.4 as released: a 1 ms timer here, for ever

      q.push(request(2, sent));
      q.push(request(3, sent)); // over maxInFlightRequests: queued, checked every 10 ms
      expect(sent).toEqual([1, 2]);
      expect(q.pending).toHaveLength(1);
      expect(q.throttleCheckTimeoutId).not.toBeNull();
      q.fulfillRequest({ correlationId: 2, payload: Buffer.alloc(0), size: 0 });
      expect(sent).toEqual([1, 2, 3]);
    } finally {
      q.destroy();
    }
  });

  it('sends a request queued behind a throttle once it ends', async () => {
    const sent: number[] = [];
    const q = queue(null);
    try {
      q.throttledUntil = Date.now() + 50;
      q.push(request(1, sent));
      expect(sent).toEqual([]);
      await new Promise((r) => setTimeout(r, 120));
      expect(sent).toEqual([1]);
      q.fulfillRequest({ correlationId: 1, payload: Buffer.alloc(0), size: 0 });
      expect(q.throttleCheckTimeoutId).toBeNull();
    } finally {
      q.destroy();
    }
  });
});
