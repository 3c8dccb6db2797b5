/**
 * Per-source token buckets. Only authenticated requests take a token: if unauthenticated
 * requests counted, anyone who knows a source's URL could flood it with junk and starve
 * the real strategy of its budget — a denial of service that needs no secret. Junk is
 * turned away by the (cheap, constant-time) authentication step instead.
 */
import type { Clock } from '../core/clock.ts';

export interface RateLimit {
  /** Tokens available at once (the largest burst). */
  burst: number;
  /** Tokens added per second. */
  perSecond: number;
}

interface Bucket {
  /** In thousandths of a token, so refills of whole-millisecond clocks stay exact. */
  milliTokens: number;
  capacity: number;
  perMs: number;
  last: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly clock: Clock) {}

  /** Sets (or changes) a source's limit; a change keeps the tokens it has, up to the new burst. */
  configure(source: string, limit: RateLimit): void {
    const capacity = Math.max(0, limit.burst) * 1000;
    const perMs = Math.max(0, limit.perSecond); // perSecond tokens/s = perSecond milli-tokens/ms
    const bucket = this.buckets.get(source);
    if (bucket) {
      this.refill(bucket, this.clock.now());
      bucket.capacity = capacity;
      bucket.perMs = perMs;
      bucket.milliTokens = Math.min(bucket.milliTokens, capacity);
    } else {
      this.buckets.set(source, { milliTokens: capacity, capacity, perMs, last: this.clock.now() });
    }
  }

  /**
   * Takes one token for `source`; false when the bucket is empty. A source never configured
   * gets `limit` (when given) on first use, otherwise it is not limited.
   */
  take(source: string, limit?: RateLimit): boolean {
    let bucket = this.buckets.get(source);
    if (!bucket) {
      if (!limit) return true;
      this.configure(source, limit);
      bucket = this.buckets.get(source)!;
    } else {
      this.refill(bucket, this.clock.now());
    }
    if (bucket.milliTokens < 1000) return false;
    bucket.milliTokens -= 1000;
    return true;
  }

  /** Whole tokens left (for metrics and tests). */
  available(source: string): number | undefined {
    const bucket = this.buckets.get(source);
    if (!bucket) return undefined;
    this.refill(bucket, this.clock.now());
    return Math.floor(bucket.milliTokens / 1000);
  }

  private refill(bucket: Bucket, now: number): void {
    // A clock that steps backwards (NTP) must neither refill nor drain the bucket.
    const elapsed = now - bucket.last;
    bucket.last = now;
    if (elapsed > 0) bucket.milliTokens = Math.min(bucket.capacity, bucket.milliTokens + elapsed * bucket.perMs);
  }
}
