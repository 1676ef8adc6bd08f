// The write path's idempotency (startIngest: cache + batcher), checked over random histories (fast-check) on
// fake timers. Requests draw client event_ids from a small pool of (user, id) keys, so retries, concurrent
// retries and all-duplicate requests are common; some events carry no event_id; a few reuse a key for another
// payload. The broker acknowledges, refuses or hangs (and stores what it held when it comes back: a hung
// write may land after its 503). Checked after every history:
// - every request settles; a request whose keys were all acknowledged before is answered without a send;
// - a 202 means every event of it is stored (its own write or an earlier one of the same key);
// - a key is stored more than once only after a 503 with outcome `unknown` for it (never after a 202);
// - a 503 `not_written` request stored nothing of its own; a 409 only for a reused key, with nothing stored.
import fc from 'fast-check';
import type { Kafka } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config.ts';
import type { ValidEvent } from '../domain/event.ts';
import { IdempotencyConflictError, UnavailableError } from '../ports/ingest.ts';
import type { OutRecord } from './batcher.ts';
import { recordValues } from './packed.ts';
import { startIngest } from './producer.ts';

const config = loadConfig({
  KAFKA_BROKERS: '127.0.0.1:1',
  TICK_INTERVAL_MS: '0',
  FLUSH_INTERVAL_MS: '100',
  PRODUCE_TIMEOUT_MS: '300',
  RETRY_AFTER_S: '1',
});

type Mode = 'up' | 'refuse' | 'hang';
interface Item {
  user: number;
  id: number;
  /** false: no event_id (the server makes one) */
  client: boolean;
  /** another payload under the same key */
  tampered: boolean;
}
type Op = { t: 'request'; items: Item[] } | { t: 'broker'; mode: Mode } | { t: 'wait'; ms: number };

const itemArb: fc.Arbitrary<Item> = fc.record({
  user: fc.integer({ min: 0, max: 1 }),
  id: fc.integer({ min: 0, max: 3 }),
  client: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
  tampered: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('request' as const), items: fc.array(itemArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('broker' as const), mode: fc.constantFrom<Mode>('up', 'up', 'refuse', 'hang') }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 700 }) }) },
);

interface Req {
  events: ValidEvent[];
  client: boolean[];
  sendsBefore: number;
  outcome: 'ok' | UnavailableError | IdempotencyConflictError | null;
  sendsWhenSettled: number;
}

async function runHistory(ops: Op[]): Promise<void> {
  let mode: Mode = 'up';
  const held: (() => void)[] = [];
  /** every send, and whether the broker stored it */
  const sends: { events: ValidEvent[]; stored: boolean }[] = [];
  const ingest = await startIngest(config, {} as Kafka, {
    partitions: 1,
    clock: () => Date.now(),
    send: (records: OutRecord[]) => {
      // packed or not (INGEST_PACK_EVENTS): the events the send carries
      const s = { events: records.flatMap((r) => recordValues(JSON.parse(r.value)).map(({ value }) => value as ValidEvent)), stored: false };
      sends.push(s);
      const m = mode;
      return new Promise<void>((resolve, reject) => {
        const store = () => {
          s.stored = true;
          resolve();
        };
        if (m === 'up') setTimeout(store, 10);
        else if (m === 'refuse') setTimeout(() => reject(new Error('ECONNREFUSED')), 10);
        else held.push(store);
      });
    },
  });

  const reqs: Req[] = [];
  let seq = 0;
  for (const op of ops) {
    if (op.t === 'broker') {
      mode = op.mode;
      if (mode === 'up') for (const store of held.splice(0)) setTimeout(store, 10);
    } else if (op.t === 'wait') {
      await vi.advanceTimersByTimeAsync(op.ms);
    } else {
      // a request repeats no client key (validateBatch refuses that before the write path)
      const items = op.items.filter((it, i) => !it.client || op.items.findIndex((o) => o.client && o.user === it.user && o.id === it.id) === i);
      const events = items.map((it): ValidEvent => ({
        event_id: it.client ? `e${it.id}` : `gen-${seq++}`,
        user_id: `u${it.user}`,
        emoji_type: it.tampered ? '😡' : '🔥',
        timestamp: '2026-11-28T15:00:01.250Z',
        match_id: 'm',
      }));
      const req: Req = { events, client: items.map((it) => it.client), sendsBefore: sends.length, outcome: null, sendsWhenSettled: -1 };
      reqs.push(req);
      ingest.submit(events, req.client).then(
        () => ((req.outcome = 'ok'), (req.sendsWhenSettled = sends.length)),
        (e: unknown) => ((req.outcome = e as UnavailableError), (req.sendsWhenSettled = sends.length)),
      );
    }
  }
  mode = 'up';
  for (const store of held.splice(0)) setTimeout(store, 10);
  const stopped = ingest.stop();
  await vi.advanceTimersByTimeAsync(5000);
  await stopped;

  const key = (e: ValidEvent) => `${e.user_id}/${e.event_id}/${e.emoji_type}`;
  const storedCopies = new Map<string, number>();
  for (const s of sends) if (s.stored) for (const e of s.events) storedCopies.set(key(e), (storedCopies.get(key(e)) ?? 0) + 1);
  const sentIn = (e: ValidEvent, from: number) => sends.slice(from).filter((s) => s.events.some((x) => key(x) === key(e)));

  const unknownKeys = new Set<string>(); // keys some request got an `unknown` 503 for
  for (const r of reqs) {
    expect(r.outcome, 'a request left pending').not.toBeNull();
    if (r.outcome instanceof UnavailableError && r.outcome.outcome === 'unknown') for (const e of r.events) unknownKeys.add(key(e));
  }
  for (const r of reqs) {
    if (r.outcome === 'ok') {
      for (const e of r.events) expect(storedCopies.get(key(e)) ?? 0, `202 for ${key(e)} but not stored`).toBeGreaterThanOrEqual(1);
    } else if (r.outcome instanceof IdempotencyConflictError) {
      // the key was used before, with the other payload
      const at = r.events[r.outcome.index]!;
      const earlier = reqs.slice(0, reqs.indexOf(r));
      expect(earlier.some((o) => o.events.some((x) => x.user_id === at.user_id && x.event_id === at.event_id && x.emoji_type !== at.emoji_type))).toBe(true);
      for (const [i, e] of r.events.entries()) if (!r.client[i]) expect(sentIn(e, 0)).toEqual([]); // nothing of it written
    } else if (r.outcome instanceof UnavailableError && r.outcome.outcome === 'not_written') {
      // its own server-made ids never reached a send
      for (const [i, e] of r.events.entries()) if (!r.client[i]) expect(sentIn(e, 0)).toEqual([]);
    }
    // all keys acknowledged before → answered without a send of its own
    if (r.outcome === 'ok' && r.client.every(Boolean)) {
      const ackedBefore = r.events.every((e) =>
        reqs.some((o) => reqs.indexOf(o) < reqs.indexOf(r) && o.outcome === 'ok' && o.sendsWhenSettled <= r.sendsBefore && o.events.some((x) => key(x) === key(e))),
      );
      if (ackedBefore) expect(r.sendsWhenSettled).toBe(r.sendsBefore);
    }
  }
  for (const [k, n] of storedCopies) {
    if (n > 1) expect(unknownKeys.has(k), `${k} stored ${n} times without an unknown outcome`).toBe(true);
  }
}

describe('startIngest idempotency (property, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds over random histories of retries, all-duplicate requests, reused keys and broker faults', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        vi.clearAllTimers();
        await runHistory(ops);
      }),
      { numRuns: 150 },
    );
  });
});
