/**
 * What happened recently, in memory, for the dashboard and the alert rules: arrivals per
 * minute by source and outcome, latency histograms per minute, per-venue order outcomes,
 * equity points, margins and the alerts that are firing.
 *
 * Why in memory and not the journal: duplicates and latencies are never journaled, and a
 * per-minute roll-up answers "the last hour" without scanning. It starts empty at each
 * start-up (the page says "since HH:MM"); the journal stays the record of every signal.
 * Recording is O(1): a ring of minute buckets indexed by time, no scan, no I/O.
 */
import type { Clock } from '../core/clock.ts';
import type { EquityObservation, MarginObservation, OrderObservation, VenueHealthObservation } from '../core/telemetry.ts';
import { LatencyHistogram, quantilesOf, type Quantiles } from './latency-histogram.ts';

export type WebhookOutcome = 'accepted' | 'duplicate' | 'rejected';
export type LatencyKind = 'ack' | 'decision' | 'hedge';

interface Bucket {
  start: number;
  /** `source\0outcome` → count. */
  arrivals: Map<string, number>;
  ack?: LatencyHistogram;
  decision?: LatencyHistogram;
  hedge?: LatencyHistogram;
}

interface VenueState {
  venue: string;
  up: boolean | null;
  reason: string | null;
  healthAt: number | null;
  counts: Record<OrderObservation['outcome'], number>;
  latency: LatencyHistogram;
  /** The latest outcomes, oldest first, at most RECENT_ORDERS: the alert's window. */
  recent: { at: number; failed: boolean }[];
}

export interface EquityPoint {
  at: number;
  hedged: number;
  unhedged: number;
}

export interface ActiveAlert {
  key: string;
  rule: string;
  severity: string;
  summary: string;
  since: number;
}

export interface ActivityOptions {
  /** Width of one bucket (default one minute). */
  bucketMs?: number;
  /** How many buckets are kept (default 24 h of minutes). */
  buckets?: number;
  /** Equity points kept per account (default 1440). */
  equityPoints?: number;
}

const SEP = '\u0000';
const RECENT_ORDERS = 50;
const FAILED: ReadonlySet<string> = new Set(['failed', 'timeout']);

export class Activity {
  readonly startedAt: number;
  readonly bucketMs: number;
  private readonly ring: (Bucket | undefined)[];
  private readonly totals = new Map<string, number>();
  private readonly reasons = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  private readonly venueStates = new Map<string, VenueState>();
  private readonly equityPoints = new Map<string, EquityPoint[]>();
  private readonly maxEquityPoints: number;
  private readonly marginStates = new Map<string, MarginObservation & { at: number }>();
  private readonly activeAlerts = new Map<string, ActiveAlert>();

  constructor(
    private readonly clock: Clock,
    options: ActivityOptions = {},
  ) {
    this.startedAt = clock.now();
    this.bucketMs = options.bucketMs ?? 60_000;
    this.ring = new Array<Bucket | undefined>(options.buckets ?? 1440);
    this.maxEquityPoints = options.equityPoints ?? 1440;
  }

  now(): number {
    return this.clock.now();
  }

  private bucket(at: number): Bucket {
    const start = at - (at % this.bucketMs);
    const i = Math.floor(start / this.bucketMs) % this.ring.length;
    let b = this.ring[i];
    if (!b || b.start !== start) {
      b = { start, arrivals: new Map() };
      this.ring[i] = b;
    }
    return b;
  }

  private histogram(at: number, kind: LatencyKind): LatencyHistogram {
    const b = this.bucket(at);
    return (b[kind] ??= new LatencyHistogram());
  }

  // -- recording (O(1)) ---------------------------------------------------------------------

  recordWebhook(source: string, outcome: WebhookOutcome, reason: string | undefined, latencyMs: number): void {
    const at = this.clock.now();
    const key = source + SEP + outcome;
    const b = this.bucket(at);
    b.arrivals.set(key, (b.arrivals.get(key) ?? 0) + 1);
    this.totals.set(key, (this.totals.get(key) ?? 0) + 1);
    if (outcome === 'rejected') {
      const r = source + SEP + (reason ?? 'unknown');
      this.reasons.set(r, (this.reasons.get(r) ?? 0) + 1);
    } else {
      this.lastSeen.set(source, at);
    }
    (b.ack ??= new LatencyHistogram()).record(latencyMs);
  }

  /** A signal reached its final state; `decidedAt` when the decision stage recorded one. */
  recordSettled(state: string, receivedAt: number, decidedAt: number | undefined): void {
    const at = this.clock.now();
    if (decidedAt !== undefined) this.histogram(at, 'decision').record(Math.max(0, decidedAt - receivedAt));
    // Webhook to hedge in place: the hedge-execution latency the trader feels.
    if (state === 'hedged') this.histogram(at, 'hedge').record(Math.max(0, at - receivedAt));
  }

  private venue(venue: string): VenueState {
    let v = this.venueStates.get(venue);
    if (!v) {
      v = {
        venue,
        up: null,
        reason: null,
        healthAt: null,
        counts: { filled: 0, partial: 0, canceled: 0, rejected: 0, failed: 0, timeout: 0 },
        latency: new LatencyHistogram(),
        recent: [],
      };
      this.venueStates.set(venue, v);
    }
    return v;
  }

  recordOrder(order: OrderObservation): void {
    const v = this.venue(order.venue);
    v.counts[order.outcome] = (v.counts[order.outcome] ?? 0) + 1;
    v.latency.record(order.latencyMs);
    v.recent.push({ at: this.clock.now(), failed: FAILED.has(order.outcome) });
    if (v.recent.length > RECENT_ORDERS) v.recent.shift();
  }

  setVenueHealth(health: VenueHealthObservation): void {
    const v = this.venue(health.venue);
    v.up = health.up;
    v.reason = health.reason ?? null;
    v.healthAt = this.clock.now();
  }

  setEquity(e: EquityObservation): void {
    const at = this.clock.now();
    let points = this.equityPoints.get(e.account);
    if (!points) this.equityPoints.set(e.account, (points = []));
    const last = points[points.length - 1];
    const point = { at, hedged: e.hedged, unhedged: e.unhedged };
    // One point per bucket: a fill-by-fill stream would otherwise crowd out the history.
    if (last && Math.floor(last.at / this.bucketMs) === Math.floor(at / this.bucketMs)) points[points.length - 1] = point;
    else points.push(point);
    if (points.length > this.maxEquityPoints) points.shift();
  }

  setMargin(m: MarginObservation): void {
    this.marginStates.set(`${m.account}${SEP}${m.venue}${SEP}${m.symbol}`, { ...m, at: this.clock.now() });
  }

  setAlert(alert: ActiveAlert, firing: boolean): void {
    if (firing) this.activeAlerts.set(alert.key, alert);
    else this.activeAlerts.delete(alert.key);
  }

  // -- reading ----------------------------------------------------------------------------

  /** Buckets whose start lies in (now − windowMs, now], oldest first. */
  private buckets(windowMs: number): Bucket[] {
    const now = this.clock.now();
    const from = now - windowMs;
    const out: Bucket[] = [];
    for (const b of this.ring) if (b && b.start > from - this.bucketMs && b.start <= now) out.push(b);
    return out.sort((a, b) => a.start - b.start);
  }

  /** Webhooks since start-up, by source. */
  sources(): { source: string; accepted: number; duplicate: number; rejected: number; lastSeenAt: number | null }[] {
    const by = new Map<string, { source: string; accepted: number; duplicate: number; rejected: number; lastSeenAt: number | null }>();
    for (const [key, n] of this.totals) {
      const [source, outcome] = key.split(SEP) as [string, WebhookOutcome];
      let row = by.get(source);
      if (!row) by.set(source, (row = { source, accepted: 0, duplicate: 0, rejected: 0, lastSeenAt: this.lastSeen.get(source) ?? null }));
      row[outcome] += n;
    }
    return [...by.values()].sort((a, b) => a.source.localeCompare(b.source));
  }

  /** When a source last sent a webhook that got through (accepted or duplicate). */
  lastSeenAt(source: string): number | undefined {
    return this.lastSeen.get(source);
  }

  rejectionReasons(): { source: string; reason: string; count: number }[] {
    return [...this.reasons].map(([key, count]) => {
      const [source, reason] = key.split(SEP) as [string, string];
      return { source, reason, count };
    }).sort((a, b) => b.count - a.count);
  }

  /** The per-bucket histograms of the window, added up. */
  latencyHistogram(kind: LatencyKind, windowMs: number): LatencyHistogram {
    const sum = new LatencyHistogram();
    for (const b of this.buckets(windowMs)) {
      const h = b[kind];
      if (h) sum.add(h);
    }
    return sum;
  }

  latency(kind: LatencyKind, windowMs: number): Quantiles {
    return quantilesOf(this.latencyHistogram(kind, windowMs));
  }

  /** Per-bucket arrivals and latency quantiles over the window, for the charts. */
  series(windowMs: number) {
    const now = this.clock.now();
    const first = now - (now % this.bucketMs) - (Math.ceil(windowMs / this.bucketMs) - 1) * this.bucketMs;
    const byStart = new Map(this.buckets(windowMs).map((b) => [b.start, b]));
    const times: number[] = [];
    const arrivals = new Map<string, number[]>();
    const lat = { ack: emptyQ(), decision: emptyQ(), hedge: emptyQ() };
    const keys = new Set<string>();
    for (const b of byStart.values()) for (const k of b.arrivals.keys()) keys.add(k);
    for (const k of keys) arrivals.set(k, []);
    for (let start = first; start <= now; start += this.bucketMs) {
      times.push(start);
      const b = byStart.get(start);
      for (const k of keys) arrivals.get(k)!.push(b?.arrivals.get(k) ?? 0);
      for (const kind of ['ack', 'decision', 'hedge'] as const) {
        const h = b?.[kind];
        lat[kind].p50.push(h ? h.quantile(0.5) : null);
        lat[kind].p90.push(h ? h.quantile(0.9) : null);
        lat[kind].p99.push(h ? h.quantile(0.99) : null);
      }
    }
    return {
      bucketMs: this.bucketMs,
      times,
      arrivals: [...arrivals].map(([k, counts]) => {
        const [source, outcome] = k.split(SEP) as [string, WebhookOutcome];
        return { source, outcome, counts };
      }).sort((a, b) => a.source.localeCompare(b.source) || a.outcome.localeCompare(b.outcome)),
      latency: lat,
    };
  }

  venues() {
    return [...this.venueStates.values()].map((v) => {
      const c = v.counts;
      // A canceled leg lost a race or timed out by design: neither success nor failure.
      const judged = c.filled + c.partial + c.rejected + c.failed + c.timeout;
      return {
        venue: v.venue,
        up: v.up,
        reason: v.reason,
        healthAt: v.healthAt,
        orders: judged + c.canceled,
        counts: { ...c },
        successRate: judged === 0 ? null : c.filled / judged,
        latency: quantilesOf(v.latency),
      };
    }).sort((a, b) => a.venue.localeCompare(b.venue));
  }

  /** The latest `n` order outcomes of a venue within `windowMs`: the venue rule's input. */
  recentOrders(venue: string, n: number, windowMs: number): { total: number; failed: number } {
    const v = this.venueStates.get(venue);
    if (!v) return { total: 0, failed: 0 };
    const from = this.clock.now() - windowMs;
    let total = 0;
    let failed = 0;
    for (let i = v.recent.length - 1; i >= 0 && total < n; i--) {
      const o = v.recent[i]!;
      if (o.at < from) break;
      total++;
      if (o.failed) failed++;
    }
    return { total, failed };
  }

  venueNames(): string[] {
    return [...this.venueStates.keys()];
  }

  venueHealth(venue: string): { up: boolean | null; reason: string | null } {
    const v = this.venueStates.get(venue);
    return { up: v?.up ?? null, reason: v?.reason ?? null };
  }

  equity(): { account: string; points: EquityPoint[] }[] {
    return [...this.equityPoints].map(([account, points]) => ({ account, points: points.slice() }));
  }

  margins(): (MarginObservation & { at: number })[] {
    return [...this.marginStates.values()];
  }

  alerts(): ActiveAlert[] {
    return [...this.activeAlerts.values()].sort((a, b) => a.since - b.since);
  }
}

function emptyQ() {
  return { p50: [] as (number | null)[], p90: [] as (number | null)[], p99: [] as (number | null)[] };
}
