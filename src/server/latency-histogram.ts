/**
 * A latency histogram on a fixed logarithmic grid, for the dashboard's quantiles.
 *
 * Why not keep samples: recording must be O(1) and allocation-free on the webhook path,
 * and histograms of different minutes add up, so a quantile over any window is a sum of
 * per-minute histograms. The grid has four buckets per doubling (each 19% wider than the
 * last) from 10 µs to ~170 s; a quantile is interpolated inside its bucket, so it is
 * within one bucket width (±19%) of the exact sample quantile.
 */

const MIN_MS = 0.01;
const PER_DOUBLING = 4;
/** 10 µs × 2^(96/4) ≈ 168 s: anything slower lands in the last bucket. */
export const BUCKETS = 96;

/** Upper bound (ms) of bucket `i`; bucket 0 also holds everything below MIN_MS. */
function upperBound(i: number): number {
  return MIN_MS * 2 ** ((i + 1) / PER_DOUBLING);
}

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(Math.log2(ms / MIN_MS) * PER_DOUBLING) - 1;
  return i >= BUCKETS ? BUCKETS - 1 : i < 0 ? 0 : i;
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketOf(ms)]!++;
    this.total++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sumMs += other.sumMs;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** The q-quantile (0 < q ≤ 1) in ms, or null when empty; never above the largest sample. */
  quantile(q: number): number | null {
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const c = this.counts[i]!;
      if (c === 0) continue;
      if (seen + c >= rank) {
        const lo = i === 0 ? 0 : upperBound(i - 1);
        const hi = upperBound(i);
        // Geometric interpolation: latencies spread evenly in log space inside a bucket.
        const f = (rank - seen) / c;
        const v = lo === 0 ? hi * f : lo * (hi / lo) ** f;
        return Math.min(v, this.maxMs);
      }
      seen += c;
    }
    return this.maxMs;
  }
}

export interface Quantiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  meanMs: number | null;
  maxMs: number | null;
}

export function quantilesOf(h: LatencyHistogram): Quantiles {
  return {
    count: h.total,
    p50: round(h.quantile(0.5)),
    p90: round(h.quantile(0.9)),
    p99: round(h.quantile(0.99)),
    meanMs: h.total === 0 ? null : round(h.sumMs / h.total),
    maxMs: h.total === 0 ? null : round(h.maxMs),
  };
}

/** Three significant digits are all a ±19% grid can honestly claim. */
function round(v: number | null): number | null {
  return v === null ? null : Number(v.toPrecision(3));
}
