/**
 * Trying again what start-up could not open (market data and the venues, or one venue):
 * after each failure a wait of 1 s, doubling, at most 30 s, until it opens or the service
 * stops. Giving up would end the process, and the webhooks with it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffCap } from '../engine/retry-policy.ts';

export interface KeepTryingOptions {
  /** Aborted when the service stops: the last failure is thrown, no wait is left pending. */
  signal: AbortSignal;
  /** Told of each failure before the wait that follows it. */
  failed(err: unknown, attempt: number, retryInMs: number): void;
  /** True for a failure that trying again cannot mend: it is thrown at once, untold. */
  final?(err: unknown): boolean;
  /** A failure the caller already had: told and waited for before the first try here. */
  after?: unknown;
}

export async function keepTrying<T>(open: () => Promise<T>, options: KeepTryingOptions): Promise<T> {
  let attempt = 0;
  let failure: { err: unknown } | undefined;
  if ('after' in options) {
    attempt = 1;
    failure = { err: options.after };
  }
  for (;;) {
    if (failure) {
      if (options.signal.aborted || options.final?.(failure.err)) throw failure.err;
      const retryInMs = backoffCap(attempt, 1000, 30_000);
      options.failed(failure.err, attempt, retryInMs);
      try {
        await sleep(retryInMs, undefined, { signal: options.signal });
      } catch {
        throw failure.err;
      }
    }
    attempt++;
    try {
      return await open();
    } catch (err) {
      failure = { err };
    }
  }
}
