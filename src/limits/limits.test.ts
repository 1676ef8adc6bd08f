import { describe, expect, it } from 'vitest';
import { addressKey, clientAddressOf, parseTrustProxy, TRUST_NONE, type TrustProxy } from './address.ts';
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

describe('clientAddressOf (TRUST_PROXY)', () => {
  const trust = (spec: string) => parseTrustProxy(spec) as TrustProxy;
  it.each([
    // off: the peer, whatever X-Forwarded-For says (spoofed)
    ['off', '10.0.0.9', '203.0.113.7', '10.0.0.9'],
    ['0', '10.0.0.9', '203.0.113.7, 198.51.100.1', '10.0.0.9'],
    // one load balancer: the address it saw (the rightmost entry); entries the client wrote before it are ignored
    ['1', '10.0.0.9', '203.0.113.7', '203.0.113.7'],
    ['1', '10.0.0.9', '6.6.6.6, 203.0.113.7', '203.0.113.7'],
    ['2', '10.0.0.9', '6.6.6.6, 203.0.113.7, 10.0.0.8', '203.0.113.7'],
    // fewer entries than hops: the leftmost
    ['3', '10.0.0.9', '203.0.113.7', '203.0.113.7'],
    // no header: the peer
    ['1', '10.0.0.9', undefined, '10.0.0.9'],
    // garbage ends the walk at the proxy that wrote it
    ['1', '10.0.0.9', 'not-an-ip', '10.0.0.9'],
    ['2', '10.0.0.9', 'evil, 10.0.0.8', '10.0.0.8'],
    // ports and brackets as some proxies write them
    ['1', '10.0.0.9', '203.0.113.7:4711', '203.0.113.7'],
    ['1', '10.0.0.9', '[2001:db8::7]:4711', '2001:db8::7'],
    // a list of proxies: skipped from the right while trusted
    ['10.0.0.9,10.0.0.8', '10.0.0.9', '6.6.6.6, 203.0.113.7, 10.0.0.8', '203.0.113.7'],
    ['10.0.0.9', '::ffff:10.0.0.9', '203.0.113.7', '203.0.113.7'],
    // the peer is not one of the proxies: the header is not read at all
    ['10.0.0.8', '10.0.0.9', '203.0.113.7', '10.0.0.9'],
  ])('TRUST_PROXY=%s, peer %s, X-Forwarded-For %s → %s', (spec, peer, xff, client) => expect(clientAddressOf(peer, xff, trust(spec))).toBe(client));

  it('parses off, hops and address lists; anything else is an error', () => {
    expect(parseTrustProxy('off')).toEqual(TRUST_NONE);
    expect(parseTrustProxy('')).toEqual(TRUST_NONE);
    expect(parseTrustProxy('2')).toEqual({ hops: 2 });
    expect(parseTrustProxy(' 10.0.0.1 , ::1 ')).toEqual({ addresses: new Set(['10.0.0.1', '::1']) });
    expect(parseTrustProxy('true')).toHaveProperty('error');
    expect(parseTrustProxy('33')).toHaveProperty('error');
  });
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
