import { describe, expect, it } from 'vitest';
import { addressKey } from './address.ts';
import { BufferShares } from './buffer-share.ts';
import { PerKeyCount } from './concurrency.ts';
import { connectionBudget, openFilesLimit } from './descriptors.ts';
import { bucketHeaders, concurrencyHeaders } from './headers.ts';

describe('addressKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.2', '127.0.0.2'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:DB8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (a, key) => expect(addressKey(a)).toBe(key));
});

describe('headers of the IETF draft', () => {
  it('name the policy, its quota and window, what is left and when to retry', () => {
    const h = bucketHeaders({ name: 'user', ratePerS: 10, burst: 100 }, { remaining: 3, fullInS: 10 }, 700);
    expect(h).toEqual({ 'RateLimit-Policy': '"user";q=100;w=10', RateLimit: '"user";r=3;t=10', 'Retry-After': '1' });
    // a cost above the burst can never fit: Retry-After is the refill window
    expect(bucketHeaders({ name: 'user', ratePerS: 10, burst: 100 }, { remaining: 100, fullInS: 0 }, Infinity)['Retry-After']).toBe('10');
    expect(concurrencyHeaders('streams', 5, 2)).toEqual({
      'RateLimit-Policy': '"streams";q=5;qu="concurrent-requests"',
      RateLimit: '"streams";r=0',
      'Retry-After': '2',
    });
  });
});

describe('BufferShares', () => {
  const o = { bufferMaxEvents: 100, guaranteedEvents: 10, reserveEvents: 25 };
  it('lets one flooding client fill the buffer only up to the reserve; the others keep their share', () => {
    const s = new BufferShares(o);
    let taken = 0;
    while (s.admit('flood', 5)) taken += 5;
    expect(taken).toBe(75);
    expect(s.admit('calm', 10)).toBe(true); // within its guaranteed share
    expect(s.admit('calm', 1)).toBe(false); // beyond it, and the buffer is past the reserve
    s.release('flood', 75);
    expect(s.heldBy('flood')).toBe(0);
    expect(s.admit('calm', 1)).toBe(true);
    expect(s.heldTotal).toBe(11);
  });
});

describe('PerKeyCount', () => {
  it('caps what one key holds at once', () => {
    const c = new PerKeyCount(2);
    expect([c.acquire('a'), c.acquire('a'), c.acquire('a'), c.acquire('b')]).toEqual([true, true, false, true]);
    c.release('a');
    expect(c.acquire('a')).toBe(true);
    c.release('b');
    expect(c.count('b')).toBe(0);
    expect(c.size).toBe(1);
  });
});

describe('connection budget', () => {
  it('reads the open-files soft limit', () => {
    expect(openFilesLimit(() => 'Limit  Soft Limit  Hard Limit  Units\nMax open files            20000                20000                files\n')).toBe(20000);
    expect(openFilesLimit(() => 'Max open files unlimited unlimited files\n')).toBeNull();
    expect(openFilesLimit(() => { throw new Error('no /proc'); })).toBeNull();
    expect(openFilesLimit()).toBeGreaterThan(0); // this machine's
  });

  it('keeps the reserve out of the clients reach and the ingest headroom out of the viewers reach', () => {
    const auto = { fdLimit: 20_000, reserve: 2048, ingestHeadroom: 1024, maxConnections: 'auto', maxStreams: 'auto' } as const;
    expect(connectionBudget(auto)).toEqual({ maxConnections: 17_952, maxStreams: 16_928 });
    expect(connectionBudget({ ...auto, maxConnections: 50_000 })).toEqual({ maxConnections: 17_952, maxStreams: 16_928 });
    expect(connectionBudget({ ...auto, maxConnections: 1000, maxStreams: 5000 })).toEqual({ maxConnections: 1000, maxStreams: 1000 });
    expect(connectionBudget({ ...auto, fdLimit: null })).toEqual({ maxConnections: 0, maxStreams: 0 });
  });
});
