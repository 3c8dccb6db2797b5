/**
 * When to try a failed signal again: exponential backoff with jitter. Pure — the random
 * source is a parameter, so a test (or a backtest) gets the same delays every time.
 *
 * - full jitter (default): delay = random × min(maxMs, baseMs × 2^(attempt−1))
 * - decorrelated jitter:   delay = min(maxMs, baseMs + random × (3 × previous − baseMs)),
 *   where `previous` is the delay before this one (when not given: the cap of the
 *   previous step, min(maxMs, baseMs × 3^(attempt−1)))
 * - none: delay = min(maxMs, baseMs × 2^(attempt−1))
 *
 * `attempt` is the attempt that just failed, counting from 1. Delays are whole milliseconds.
 */
import { HedgehookError, type ErrorInfo } from '../core/errors.ts';

export type Jitter = 'full' | 'decorrelated' | 'none';

export interface RetryOptions {
  /** Attempts in all, the first included; after the last one the signal is dead-lettered. */
  maxAttempts?: number;
  baseMs?: number;
  maxMs?: number;
  jitter?: Jitter;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: Jitter;
  /** Milliseconds to wait after failed attempt `attempt` (1-based). */
  delayFor(attempt: number, random: () => number, previousMs?: number): number;
  /** True when a failure of attempt `attempt` with this error should be tried again. */
  shouldRetry(attempt: number, error: Pick<ErrorInfo, 'retryable'>): boolean;
}

export const DEFAULT_RETRY: Readonly<Required<RetryOptions>> = Object.freeze({ maxAttempts: 5, baseMs: 200, maxMs: 30_000, jitter: 'full' });

/** min(maxMs, baseMs × factor^(attempt−1)), without overflow for large attempts. */
export function backoffCap(attempt: number, baseMs: number, maxMs: number, factor = 2): number {
  const n = Math.max(0, Math.floor(attempt) - 1);
  const raw = baseMs * Math.pow(factor, Math.min(n, 1024));
  return Number.isFinite(raw) ? Math.min(maxMs, raw) : maxMs;
}

/** A random number forced into [0, 1): a broken source cannot produce a negative or huge delay. */
function unit(random: () => number): number {
  const r = random();
  if (!(r >= 0)) return 0; // NaN or negative
  return r >= 1 ? 1 - Number.EPSILON : r;
}

export function delayFor(attempt: number, random: () => number, options: RetryOptions = {}, previousMs?: number): number {
  const { baseMs, maxMs, jitter } = { ...DEFAULT_RETRY, ...definedOnly(options) };
  switch (jitter) {
    case 'none':
      return Math.floor(backoffCap(attempt, baseMs, maxMs));
    case 'decorrelated': {
      const previous = previousMs ?? backoffCap(attempt, baseMs, maxMs, 3);
      const upper = Math.max(baseMs, 3 * previous);
      return Math.floor(Math.min(maxMs, baseMs + unit(random) * (upper - baseMs)));
    }
    case 'full':
    default:
      return Math.floor(unit(random) * backoffCap(attempt, baseMs, maxMs));
  }
}

export function createRetryPolicy(options: RetryOptions = {}): RetryPolicy {
  const merged = { ...DEFAULT_RETRY, ...definedOnly(options) };
  const { maxAttempts, baseMs, maxMs, jitter } = merged;
  const problems: string[] = [];
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) problems.push(`maxAttempts must be a whole number ≥ 1 (got ${maxAttempts})`);
  if (!Number.isFinite(baseMs) || baseMs <= 0) problems.push(`baseMs must be > 0 (got ${baseMs})`);
  if (!Number.isFinite(maxMs) || maxMs < baseMs) problems.push(`maxMs must be ≥ baseMs (got ${maxMs})`);
  if (!['full', 'decorrelated', 'none'].includes(jitter)) problems.push(`jitter must be full, decorrelated or none (got ${String(jitter)})`);
  if (problems.length) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `retry policy: ${problems.join('; ')}`);
  return Object.freeze({
    maxAttempts,
    baseMs,
    maxMs,
    jitter,
    delayFor: (attempt: number, random: () => number, previousMs?: number) => delayFor(attempt, random, merged, previousMs),
    shouldRetry: (attempt: number, error: Pick<ErrorInfo, 'retryable'>) => error.retryable && attempt < maxAttempts,
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
