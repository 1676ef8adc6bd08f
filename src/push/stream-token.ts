// The token in a subscription's stream_url: the claims a worker needs to serve that subscription without
// having made it (cluster, subscription, subscriber, match, expiry), signed with HMAC-SHA256 under the
// deployment's shared secret (STREAM_TOKEN_SECRET, or the one generated per data folder). Any instance that
// holds the secret can check it, so a viewer may attach or reconnect on any worker or machine. Pure: the
// clock is an argument.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface StreamClaims {
  /** cluster id */
  c: string;
  /** subscription id */
  s: string;
  /** subscriber it was placed on where it was made (informational: each instance places least-loaded) */
  b: string;
  /** match filter, null for every match */
  m: string | null;
  /** expiry, epoch ms */
  exp: number;
}

export type TokenCheck = { ok: true; claims: StreamClaims } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

const mac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('base64url');

export function signStreamToken(secret: string, claims: StreamClaims): string {
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

export function verifyStreamToken(secret: string, token: string, now: number): TokenCheck {
  if (token.length > 1024) return { ok: false, reason: 'malformed' };
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, reason: 'malformed' };
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = Buffer.from(mac(secret, body), 'base64url');
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { ok: false, reason: 'bad_signature' };
  let claims: StreamClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StreamClaims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (
    typeof claims !== 'object' || claims === null || typeof claims.c !== 'string' || typeof claims.s !== 'string' ||
    typeof claims.b !== 'string' || (claims.m !== null && typeof claims.m !== 'string') || typeof claims.exp !== 'number'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  if (claims.exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims };
}
