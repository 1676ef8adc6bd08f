// The API's limits for a public port, in one object the routes call (the rules themselves are pure, in
// src/limits/): token buckets per user_id and per client address on ingest (charged in events, after the
// body is validated; an address already out of tokens is refused before its body is read), per address on
// subscriptions and stream connects; each address's share of the ingest buffer; open SSE streams per address
// and for the whole instance. Refusals are ApiErrors: 429 with Retry-After and the IETF draft's
// RateLimit-Policy / RateLimit headers, and a body naming the limit (`error.limit`); the instance's stream cap
// is a 503 (the server is full, not the client over its share). Nothing refused reaches the ingest port.
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { Config } from '../config.ts';
import { addressKey, clientAddressOf, TRUST_NONE, type TrustProxy } from '../limits/address.ts';
import { BufferShares } from '../limits/buffer-share.ts';
import { PerKeyCount } from '../limits/concurrency.ts';
import { connectionBudget, openFilesLimit, type ConnectionBudget } from '../limits/descriptors.ts';
import { bucketHeaders, concurrencyHeaders, type LimitHeaders } from '../limits/headers.ts';
import { TokenBuckets } from '../limits/token-buckets.ts';
import { ApiError } from './errors.ts';

/** A 429 (or 503) naming the limit that refused the request. */
export class LimitError extends ApiError {
  constructor(
    status: 429 | 503,
    readonly limit: string,
    message: string,
    headers: LimitHeaders,
    field?: string,
  ) {
    super(status, status === 429 ? 'rate_limited' : 'at_capacity', message, field, undefined, headers);
  }

  override toJSON() {
    const base = super.toJSON();
    return { error: { ...base.error, limit: this.limit, retry_after_s: Number(this.headers!['Retry-After']) } };
  }
}

/**
 * The client address a request is limited under: its socket's peer, or behind trusted proxies the address
 * X-Forwarded-For gives as far as TRUST_PROXY vouches for it; IPv6 by /64.
 */
export function clientAddress(c: Context, trust: TrustProxy = TRUST_NONE): string {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return nodeClientAddress(incoming?.socket?.remoteAddress, trust, () => c.req.header('x-forwarded-for'));
}

/** clientAddress from the socket's peer and (behind trusted proxies only) X-Forwarded-For. */
export function nodeClientAddress(peer: string | undefined, trust: TrustProxy, forwardedFor: () => string | undefined): string {
  return addressKey('hops' in trust && trust.hops === 0 ? peer : clientAddressOf(peer, forwardedFor(), trust));
}

/** X-Forwarded-For as Hono's c.req.header gives it (several header lines joined with ', '). */
function forwardedFor(req: IncomingMessage): string | undefined {
  const v = req.headers['x-forwarded-for'];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The server's connection caps from the limits config and this process's open-files limit. */
export const connectionBudgetOf = (l: Config['limits'], fdLimit = openFilesLimit()): ConnectionBudget =>
  connectionBudget({ fdLimit, reserve: l.fdReserve, ingestHeadroom: l.sseIngestHeadroom, maxConnections: l.maxConnections, maxStreams: l.maxSseStreams });

export interface ApiLimits {
  /** RATE_LIMITS: false leaves ingest, subscriptions and stream connects uncharged (the stream caps hold). */
  readonly enabled: boolean;
  /** The address key a request is limited under (clientAddress with TRUST_PROXY). */
  addressOf(c: Context): string;
  /** The same from node:http (the POST /v1/emoji fast path, src/api/fast-emoji.ts). */
  addressOfNode(req: IncomingMessage): string;
  /** Before reading an ingest body: refuses an address that has no event left. */
  ingestEarly(c: Context): void;
  /** ingestEarly for an address key (call only when `enabled`). */
  ingestEarlyAt(key: string): void;
  /**
   * After validation: charge `events` to their users and the address and count them in the address's buffer
   * share, or throw the refusal (nothing charged). Call the returned function once the write settled.
   */
  ingest(c: Context, events: readonly { user_id: string }[]): () => void;
  /** ingest for an address key (call only when `enabled`). */
  ingestAt(key: string, events: readonly { user_id: string }[]): () => void;
  /** POST /v1/subscriptions. */
  subscribe(c: Context): void;
  /** A stream connect: charged, and counted against the address's and the instance's open streams until released. */
  openStream(c: Context): () => void;
  /** Open SSE streams now (for tests and /metrics). */
  readonly openStreams: number;
  readonly budget: ConnectionBudget;
}

export function createLimits(config: Pick<Config, 'limits' | 'ingest' | 'broadcast'>, opts: { now?: () => number; budget?: ConnectionBudget } = {}): ApiLimits {
  const l = config.limits;
  const now = opts.now ?? Date.now;
  const budget = opts.budget ?? connectionBudgetOf(l);
  const on = l.enabled;
  const addressOf = (c: Context) => clientAddress(c, l.trustProxy);
  const users = new TokenBuckets({ name: 'user', ...l.user }, l.maxKeys);
  const addresses = new TokenBuckets({ name: 'address', ...l.address }, l.maxKeys);
  const subscribes = new TokenBuckets({ name: 'subscribe', ...l.subscribe }, l.maxKeys);
  const connects = new TokenBuckets({ name: 'stream', ...l.stream }, l.maxKeys);
  const shares = new BufferShares({ bufferMaxEvents: config.ingest.bufferMaxEvents, guaranteedEvents: l.bufferAddressEvents, reserveEvents: l.bufferReserveEvents });
  const streamsPerAddress = new PerKeyCount(l.sseStreamsPerAddress);
  let openStreams = 0;
  const streamRetryS = Math.max(1, Math.ceil(config.broadcast.sseRetryMs / 1000));

  const refuse = (b: TokenBuckets, key: string, cost: number, wait: number, t: number, what: string, field?: string) => {
    const p = b.policy;
    const why = Number.isFinite(wait)
      ? `${what} is over its rate limit (${p.name}: ${p.burst} at once, ${p.ratePerS} per second); retry after the time in Retry-After`
      : `${what}: this request costs ${cost}, more than the ${p.name} limit's burst of ${p.burst}; send fewer at a time`;
    return new LimitError(429, p.name, why, bucketHeaders(p, b.state(key, t), wait), field);
  };

  /** Charge 1 request to `b` under `key`, or throw. */
  const chargeOne = (b: TokenBuckets, key: string, what: string) => {
    const t = now();
    const wait = b.waitMs(key, 1, t);
    if (wait > 0) throw refuse(b, key, 1, wait, t, what);
    b.take(key, 1, t);
  };

  return {
    get openStreams() {
      return openStreams;
    },
    budget,

    enabled: on,
    addressOf,
    addressOfNode: (req) => nodeClientAddress(req.socket?.remoteAddress, l.trustProxy, () => forwardedFor(req)),

    ingestEarly(c) {
      if (on) this.ingestEarlyAt(addressOf(c));
    },

    ingestEarlyAt(key) {
      const t = now();
      const wait = addresses.waitMs(key, 1, t);
      if (wait > 0) throw refuse(addresses, key, 1, wait, t, 'this client address');
    },

    ingest(c, events) {
      return on ? this.ingestAt(addressOf(c), events) : () => {};
    },

    ingestAt(key, events) {
      const t = now();
      const n = events.length;
      const wait = addresses.waitMs(key, n, t);
      if (wait > 0) throw refuse(addresses, key, n, wait, t, 'this client address');
      let perUser: Map<string, number> | null = null;
      if (n === 1) {
        const u = events[0]!.user_id;
        const w = users.waitMs(u, 1, t);
        if (w > 0) throw refuse(users, u, 1, w, t, 'this user_id', 'user_id');
      } else {
        perUser = new Map();
        for (const e of events) perUser.set(e.user_id, (perUser.get(e.user_id) ?? 0) + 1);
        for (const [u, cost] of perUser) {
          const w = users.waitMs(u, cost, t);
          if (w > 0) throw refuse(users, u, cost, w, t, 'a user_id of this batch', 'user_id');
        }
      }
      if (!shares.admit(key, n)) {
        const held = shares.heldBy(key);
        throw new LimitError(
          429,
          'buffer',
          `this client address already has ${held} events waiting for Kafka and the ingest buffer is nearly full; its reserve is kept for other clients`,
          concurrencyHeaders('buffer', l.bufferAddressEvents, config.ingest.retryAfterS, 'events'),
        );
      }
      addresses.take(key, n, t);
      if (perUser) for (const [u, cost] of perUser) users.take(u, cost, t);
      else users.take(events[0]!.user_id, 1, t);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        shares.release(key, n);
      };
    },

    subscribe(c) {
      if (on) chargeOne(subscribes, addressOf(c), 'this client address');
    },

    openStream(c) {
      const key = addressOf(c);
      if (on) chargeOne(connects, key, 'this client address');
      if (budget.maxStreams > 0 && openStreams >= budget.maxStreams) {
        throw new LimitError(
          503,
          'streams',
          `this server holds its maximum of ${budget.maxStreams} streams; retry after ${streamRetryS} s (or on another instance)`,
          concurrencyHeaders('streams', budget.maxStreams, streamRetryS),
        );
      }
      if (!streamsPerAddress.acquire(key)) {
        throw new LimitError(
          429,
          'streams_per_address',
          `this client address already holds ${l.sseStreamsPerAddress} open streams; close one first`,
          concurrencyHeaders('streams_per_address', l.sseStreamsPerAddress, streamRetryS),
        );
      }
      openStreams++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        openStreams--;
        streamsPerAddress.release(key);
      };
    },
  };
}
