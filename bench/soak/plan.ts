/**
 * The soak's schedule, drawn up front from one seed so that a failing run can be repeated:
 * windows of time, each with its own venue faults and routing mode, separated by a
 * restart of the service — a SIGKILL at the chosen boundaries, a graceful SIGTERM at
 * the others.
 *
 * Why windows of faults are restarts: the paper venues read their faults from the
 * configuration at start-up, and `serve` has no endpoint to change them while running.
 * A restart with a new configuration is also what an operator does, so the graceful
 * boundaries test the drain path as the SIGKILL ones test recovery.
 */
import type { Random } from '../../src/core/random.ts';

export type RoutingMode = 'failover' | 'race' | 'best-price';

export interface VenueFaults {
  id: 'primary' | 'backup';
  latencyMs: number;
  rejectRate: number;
  down: boolean;
  /** > fillTimeoutMs: the leg times out, is cancelled and the rest moves on. */
  fillDelayMs: number;
  partialFillRatio: number;
}

export interface Window {
  index: number;
  /** Seconds from the start of the run. */
  startS: number;
  endS: number;
  routing: RoutingMode;
  venues: [VenueFaults, VenueFaults];
  /** How this window ends: killed, stopped gracefully, or the end of the run. */
  end: 'kill' | 'stop' | 'last';
}

export interface PlanOptions {
  seconds: number;
  kills: number;
  random: Random;
}

/** A fill timeout shorter than the slow venues' fill delay, so timeouts really happen. */
export const FILL_TIMEOUT_MS = 300;

const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

function venueFaults(id: VenueFaults['id'], random: Random): VenueFaults {
  const slow = random() < 0.15;
  const partial = random() < 0.2;
  return {
    id,
    latencyMs: 2 + Math.floor(random() * 40),
    rejectRate: pick(random, [0, 0, 0.1, 0.25, 0.5]),
    down: random() < 0.15,
    fillDelayMs: slow ? FILL_TIMEOUT_MS + 100 + Math.floor(random() * 400) : 0,
    partialFillRatio: partial ? pick(random, [0.3, 0.5, 0.7]) : 1,
  };
}

/**
 * Windows of 1/(kills + 1) of the run at most 25 s long, jittered ±40%; `kills` of the
 * boundaries, chosen at random, are SIGKILLs. Needs at least `kills` boundaries, so short
 * runs get shorter windows.
 */
export function makePlan({ seconds, kills, random }: PlanOptions): Window[] {
  const mean = Math.min(25, seconds / (kills + 1));
  const lengths: number[] = [];
  let total = 0;
  while (total < seconds) {
    const len = mean * (0.6 + 0.8 * random());
    lengths.push(len);
    total += len;
  }
  // The last window takes whatever is left (at least 40% of a mean window, else it merges).
  while (lengths.length > 1 && seconds - (total - lengths[lengths.length - 1]!) < 0.4 * mean) {
    total -= lengths.pop()!;
  }
  while (lengths.length < kills + 1) lengths.push(mean);
  const count = lengths.length;
  const scale = seconds / lengths.reduce((a, b) => a + b, 0);
  const boundaries = Array.from({ length: count - 1 }, (_, i) => i);
  // Fisher–Yates on the boundaries; the first `kills` are SIGKILLs.
  for (let i = boundaries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [boundaries[i], boundaries[j]] = [boundaries[j]!, boundaries[i]!];
  }
  const killed = new Set(boundaries.slice(0, kills));

  const windows: Window[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const len = lengths[i]! * scale;
    const primary = venueFaults('primary', random);
    const backup = venueFaults('backup', random);
    // Both venues down for a whole window only now and then: it sends everything to the DLQ.
    if (primary.down && backup.down && random() < 0.7) backup.down = false;
    const routing = pick(random, ['failover', 'failover', 'failover', 'race', 'best-price'] as const);
    // A race needs two venues that fill: then both legs fill and the loser's over-fill is
    // unwound, the case where "placed twice" is easiest to get wrong.
    if (routing === 'race') for (const v of [primary, backup]) Object.assign(v, { down: false, rejectRate: Math.min(v.rejectRate, 0.1), fillDelayMs: 0 });
    windows.push({
      index: i,
      startS: at,
      endS: i === count - 1 ? seconds : at + len,
      routing,
      venues: [primary, backup],
      end: i === count - 1 ? 'last' : killed.has(i) ? 'kill' : 'stop',
    });
    at += len;
  }
  return windows;
}

/** The service configuration of one window. */
export function windowConfig(window: Window): Record<string, unknown> {
  return {
    sources: { default: { scheme: 'standard', rateLimit: { burst: 100_000, perSecond: 100_000 } } },
    logLevel: 'warn',
    // Short backoff so that a signal whose venues are down reaches the DLQ (or succeeds)
    // within a window, not minutes later; 6 attempts outlast a 2 s "not found" wait.
    worker: { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 2_000 },
    // The soak sends faster than the default 30 orders a minute per account.
    risk: { maxOrdersPerMinute: 6_000 },
    venues: window.venues.map((v) => ({
      id: v.id,
      kind: 'paper',
      latencyMs: v.latencyMs,
      rejectRate: v.rejectRate,
      down: v.down,
      fillDelayMs: v.fillDelayMs,
      partialFillRatio: v.partialFillRatio,
      partialFillIntervalMs: 100,
    })),
    routing: {
      mode: window.routing,
      order: ['primary', 'backup'],
      fillTimeoutMs: FILL_TIMEOUT_MS,
      // A paper venue lives in the service's memory: an order sent by a killed process
      // can never reach the venue of the next one, so "not found" is final once the
      // request's own round trip (≤ 42 ms here) is long past. 2 s keeps a wide margin.
      notFoundFinalAfterMs: 2_000,
    },
  };
}

export function describeWindow(w: Window): string {
  const v = w.venues
    .map((f) => {
      const parts = [f.down ? 'DOWN' : `${f.latencyMs}ms`];
      if (!f.down && f.rejectRate > 0) parts.push(`reject ${f.rejectRate}`);
      if (!f.down && f.fillDelayMs > 0) parts.push(`fill after ${f.fillDelayMs}ms`);
      if (!f.down && f.partialFillRatio < 1) parts.push(`partial ${f.partialFillRatio}`);
      return `${f.id} ${parts.join(', ')}`;
    })
    .join('; ');
  return `${w.startS.toFixed(1)}–${w.endS.toFixed(1)} s ${w.routing}: ${v} → ${w.end}`;
}
