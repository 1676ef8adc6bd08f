// The key a client address is limited under. IPv4 (and IPv4-mapped IPv6) addresses as they are; IPv6 by
// their /64 prefix, the block one subscriber usually gets (limiting single IPv6 addresses would let one
// client rotate through 2^64 of them). Behind proxies, the client address comes from X-Forwarded-For only as
// far as TRUST_PROXY vouches for it (`clientAddressOf`).
import { isIP } from 'node:net';

export function addressKey(remote: string | undefined | null): string {
  if (!remote) return 'unknown';
  if (!remote.includes(':')) return remote;
  const lower = remote.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  const zone = lower.indexOf('%');
  const addr = zone >= 0 ? lower.slice(0, zone) : lower;
  const [head = '', tail] = addr.split('::', 2) as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => (g.replace(/^0+(?=.)/, '') || '0')).join(':')}::/64`;
}

/**
 * Which proxies in front of the server are trusted to say who the client is (TRUST_PROXY):
 *   { hops: 0 }        off: the TCP peer is the client, X-Forwarded-For is ignored (the default)
 *   { hops: n }        n proxies in front (a load balancer = 1): the client is the address the n-th one saw
 *   { addresses: [] }  the peer and X-Forwarded-For entries read from the right are skipped while they are
 *                      one of these proxy addresses; the first other one is the client
 */
export type TrustProxy = { hops: number } | { addresses: ReadonlySet<string> };

export const TRUST_NONE: TrustProxy = { hops: 0 };

/** One spelling per address for comparing proxies (lower case; IPv4-mapped IPv6 as IPv4). */
const plain = (a: string) => {
  const l = a.toLowerCase();
  return l.startsWith('::ffff:') && l.includes('.') ? l.slice(7) : l;
};

/** An address as written in X-Forwarded-For (optionally `[v6]`, `[v6]:port` or `v4:port`), or null. */
function forwardedAddress(entry: string): string | null {
  let a = entry.trim();
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracket) a = bracket[1]!;
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  return isIP(a) ? a : null;
}

/**
 * The client address behind the trusted proxies: the socket peer with TRUST_PROXY off; otherwise the
 * X-Forwarded-For chain read from the right (each proxy appends the address it saw), stopping at the first
 * address not vouched for by a trusted proxy. An entry that is not an address ends the walk at the proxy
 * that wrote it, so a spoofed or garbled header never names a key the client chose freely.
 */
export function clientAddressOf(remote: string | undefined | null, forwardedFor: string | undefined | null, trust: TrustProxy): string | undefined {
  const peer = remote ?? undefined;
  if (peer === undefined || !forwardedFor || ('hops' in trust && trust.hops === 0)) return peer;
  const entries = forwardedFor.split(',').reverse();
  const trusted = (addr: string, hop: number) => ('hops' in trust ? hop < trust.hops : trust.addresses.has(plain(addr)));
  let client = peer;
  for (let hop = 0; hop < entries.length && trusted(client, hop); hop++) {
    const next = forwardedAddress(entries[hop]!);
    if (next === null) break;
    client = next;
  }
  return client;
}

/** TRUST_PROXY: off (or 0), a number of proxy hops, or a comma-separated list of proxy addresses. */
export function parseTrustProxy(spec: string): TrustProxy | { error: string } {
  const s = spec.trim().toLowerCase();
  if (s === '' || s === 'off' || s === 'false' || s === '0') return TRUST_NONE;
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    return hops <= 32 ? { hops } : { error: 'at most 32 proxy hops' };
  }
  const list = s.split(',').map((x) => x.trim()).filter(Boolean);
  const bad = list.find((x) => !isIP(x));
  if (bad !== undefined) return { error: `"${bad.slice(0, 60)}" is not an IP address (give off, a number of hops, or proxy addresses, comma-separated)` };
  return { addresses: new Set(list.map(plain)) };
}
