/**
 * The backtest's Clock: simulated time that jumps from event to event. The replay moves
 * it to each bar and each signal; while the engine works on a signal, time advances only
 * to the next timer the engine itself set (a venue's latency, the router's fill timeout),
 * so a 500 ms timeout costs no wall time and fires in the same order as it would live.
 *
 * Timers due at the same instant fire in the order they were set (as setTimeout does).
 */
import { ManualClock } from '../core/clock.ts';
import { HedgehookError } from '../core/errors.ts';

const MICROTASK_TURNS = 500;

export class SimulatedClock extends ManualClock {
  /**
   * Waits for `work` while driving simulated time: every time the engine has nothing left
   * to do but wait for a timer, time jumps to that timer. Rejects when the work waits for
   * something that is neither a timer nor already under way (a bug: it would hang).
   */
  async drive<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const settled = work.then(
      (value) => {
        done = true;
        return value;
      },
      (error: unknown) => {
        done = true;
        throw error;
      },
    );
    // Keep an early rejection from being reported as unhandled while we drive.
    settled.catch(() => undefined);
    for (;;) {
      // Most work finishes within a few hundred promise steps: yielding to the microtask
      // queue that often is far cheaper than a trip through the event loop.
      for (let i = 0; i < MICROTASK_TURNS && !done; i++) await undefined;
      if (done) return settled;
      // Every pending promise callback runs before a macrotask: after this the engine is
      // either done or waiting for a timer (or for real I/O, which the backtest has none of).
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (done) return settled;
      const next = this.nextTimerAt();
      if (next === undefined) {
        throw new HedgehookError('HH_ERR_INTERNAL', 'backtest: the engine is waiting for something other than the simulated clock');
      }
      this.advanceTo(next);
    }
  }
}
