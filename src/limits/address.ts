// The key a client address is limited under. IPv4 (and IPv4-mapped IPv6) addresses as they are; IPv6 by
// their /64 prefix, the block one subscriber usually gets (limiting single IPv6 addresses would let one
// client rotate through 2^64 of them).

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
