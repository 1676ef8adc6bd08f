import { describe, expect, it } from 'vitest';
import { signStreamToken, verifyStreamToken, type StreamClaims } from './stream-token.ts';

const SECRET = 'a-deployment-secret-of-32-chars!';
const claims: StreamClaims = { c: 'c2', s: 'sub-1234', b: 'c2-s1', m: 'ind-aus', exp: 10_000 };

describe('stream tokens', () => {
  it('round-trip: what one instance signs another with the same secret accepts, until it expires', () => {
    const t = signStreamToken(SECRET, claims);
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/); // URL-safe as it is
    expect(verifyStreamToken(SECRET, t, 9_999)).toEqual({ ok: true, claims });
    expect(verifyStreamToken(SECRET, t, 10_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another secret, edited claims and garbage', () => {
    const t = signStreamToken(SECRET, claims);
    expect(verifyStreamToken('another-secret-of-some-length', t, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    const [, mac] = t.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...claims, c: 'c1' })).toString('base64url')}.${mac}`;
    expect(verifyStreamToken(SECRET, forged, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    const longer = `${Buffer.from(JSON.stringify({ ...claims, exp: 1e15 })).toString('base64url')}.${mac}`;
    expect(verifyStreamToken(SECRET, longer, 0)).toEqual({ ok: false, reason: 'bad_signature' });
    for (const bad of ['', '.', 'abc', 'a.b.c', `${t}x`, 'x'.repeat(2000)]) expect(verifyStreamToken(SECRET, bad, 0).ok).toBe(false);
    // well signed but not a claims object
    const odd = signStreamToken(SECRET, [1, 2] as unknown as StreamClaims);
    expect(verifyStreamToken(SECRET, odd, 0)).toEqual({ ok: false, reason: 'malformed' });
  });
});
