// Token buckets per key (a user_id, a client address), in memory, for one API instance. Each bucket holds at
// most `burst` tokens and refills at `ratePerS`; a request costs what it carries (an ingest batch of 1000
// events costs 1000). Stored in the GCRA form: one number per key, the time at which the bucket would be
// full again ("theoretical arrival time"); a key whose bucket is full holds nothing and is swept away, so
// memory follows the keys active within the last burst / rate seconds, capped at `maxKeys`.
// Pure: the clock is an argument; no timers.

export interface BucketPolicy {
  /** Named in the RateLimit-Policy header and in the 429 body. */
  name: string;
  /** Tokens (events or requests) added per second. */
  ratePerS: number;
  /** Bucket size: the most one key can spend at once after a quiet period. */
  burst: number;
}

export interface BucketState {
  /** Whole tokens left now. */
  remaining: number;
  /** Seconds until the bucket is full again (0 when full). */
  fullInS: number;
}

const SWEEP_EVERY_MS = 10_000;

export class TokenBuckets {
  /** key → epoch ms at which its bucket is full again (> now while anything is spent). */
  private readonly full = new Map<string, number>();
  private readonly msPerToken: number;
  private readonly capacityMs: number;
  private nextSweep = 0;

  constructor(
    readonly policy: BucketPolicy,
    private readonly maxKeys = 1_000_000,
  ) {
    if (!(policy.ratePerS > 0) || !(policy.burst >= 1)) throw new RangeError(`bucket ${policy.name}: rate and burst must be positive`);
    this.msPerToken = 1000 / policy.ratePerS;
    this.capacityMs = policy.burst * this.msPerToken;
  }

  /** Milliseconds until `key` can spend `cost` (0: now; Infinity: never, the cost is above the burst). */
  waitMs(key: string, cost: number, now: number): number {
    if (cost > this.policy.burst) return Infinity;
    const full = this.full.get(key);
    if (full === undefined || full <= now) return 0;
    return Math.max(0, full - now + cost * this.msPerToken - this.capacityMs);
  }

  /** Spend `cost` from `key` (callers check waitMs first; spending into debt is allowed and delays refill). */
  take(key: string, cost: number, now: number): void {
    const prev = this.full.get(key);
    if (prev === undefined) {
      if (now >= this.nextSweep || this.full.size >= this.maxKeys) this.sweep(now);
      if (this.full.size >= this.maxKeys) this.evictOldest();
    }
    this.full.set(key, Math.max(prev ?? now, now) + cost * this.msPerToken);
  }

  state(key: string, now: number): BucketState {
    const full = this.full.get(key);
    const spentMs = full === undefined ? 0 : Math.max(0, full - now);
    return {
      remaining: Math.max(0, Math.floor((this.capacityMs - spentMs) / this.msPerToken + 1e-9)),
      fullInS: Math.ceil(spentMs / 1000),
    };
  }

  /** Keys currently holding a partly spent bucket (for tests and metrics). */
  get size(): number {
    return this.full.size;
  }

  /** Drop every key whose bucket is full again: it behaves exactly like a key never seen. */
  sweep(now: number): void {
    this.nextSweep = now + SWEEP_EVERY_MS;
    for (const [k, full] of this.full) if (full <= now) this.full.delete(k);
  }

  private evictOldest(): void {
    // The oldest inserted key goes first (Map order); it forgets its debt: fail open rather than grow.
    const first = this.full.keys().next();
    if (!first.done) this.full.delete(first.value);
  }
}
