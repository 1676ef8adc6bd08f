import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './token-buckets.ts';

const policy = { name: 'user', ratePerS: 10, burst: 100 };

describe('TokenBuckets', () => {
  it('lets a fresh key spend its whole burst at once, then refuses until the refill', () => {
    const b = new TokenBuckets(policy);
    expect(b.waitMs('u', 100, 0)).toBe(0);
    b.take('u', 100, 0);
    expect(b.state('u', 0)).toEqual({ remaining: 0, fullInS: 10 });
    expect(b.waitMs('u', 1, 0)).toBeCloseTo(100); // one token every 100 ms
    expect(b.waitMs('u', 5, 0)).toBeCloseTo(500);
    expect(b.waitMs('u', 5, 500)).toBe(0);
  });

  it('charges the cost, not the request: a batch of 60 and one of 50 do not both fit in 100', () => {
    const b = new TokenBuckets(policy);
    b.take('u', 60, 0);
    expect(b.state('u', 0).remaining).toBe(40);
    expect(b.waitMs('u', 50, 0)).toBeCloseTo(1000);
    expect(b.waitMs('u', 40, 0)).toBe(0);
  });

  it('refills at the rate up to the burst, never beyond', () => {
    const b = new TokenBuckets(policy);
    b.take('u', 100, 0);
    expect(b.state('u', 2_000).remaining).toBe(20);
    expect(b.state('u', 60_000)).toEqual({ remaining: 100, fullInS: 0 });
    expect(b.waitMs('u', 100, 60_000)).toBe(0);
    expect(b.waitMs('u', 101, 60_000)).toBe(Infinity); // above the burst: never
  });

  it('keeps keys apart', () => {
    const b = new TokenBuckets(policy);
    b.take('a', 100, 0);
    expect(b.waitMs('a', 1, 0)).toBeGreaterThan(0);
    expect(b.waitMs('b', 100, 0)).toBe(0);
  });

  it('forgets keys whose bucket is full again, and the oldest key past maxKeys', () => {
    const b = new TokenBuckets(policy, 1000);
    for (let i = 0; i < 1000; i++) b.take(`k${i}`, 1, 0);
    expect(b.size).toBe(1000);
    b.take('new', 1, 0); // full: the oldest (k0) goes
    expect(b.size).toBe(1000);
    expect(b.state('k0', 0).remaining).toBe(100);
    expect(b.state('k1', 0).remaining).toBe(99);
    b.take('later', 1, 20_000); // past the sweep interval: every full bucket is dropped
    expect(b.size).toBe(1);
  });

  it('refuses a policy that could never admit anything', () => {
    expect(() => new TokenBuckets({ name: 'x', ratePerS: 0, burst: 1 })).toThrow(RangeError);
  });
});
