/**
 * The network between the router and the paper venue, on the Clock port: a request
 * reaches the venue after half the latency and is applied there; the answer comes back
 * after the whole latency. An abort while the answer is on its way loses the answer, not
 * the request: once sent, it is applied on arrival (`dropAborted` false, as on a real
 * exchange) — or, to rehearse the other outcome, dropped if it had not arrived yet.
 */
import type { Clock } from '../../core/clock.ts';

export interface RoundTrip {
  clock: Clock;
  latencyMs: number;
  /** An abort before arrival cancels the request instead of letting it land. */
  dropAborted: boolean;
  /** The error an abort rejects with, given how long the caller waited. */
  abortError: (waitedMs: number) => Error;
}

export function roundTrip<T>(trip: RoundTrip, apply: () => T, signal: AbortSignal | undefined): Promise<T> {
  const { clock, latencyMs } = trip;
  return new Promise<T>((resolve, reject) => {
    const sentAt = clock.now();
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    let answered = false;
    const arrive = () => {
      if (outcome !== undefined) return;
      try {
        outcome = { ok: true, value: apply() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    };
    const cancelArrival = clock.setTimer(Math.floor(latencyMs / 2), arrive);
    const onAbort = () => {
      if (answered) return;
      answered = true;
      cancelAnswer();
      if (outcome === undefined && trip.dropAborted) cancelArrival();
      reject(trip.abortError(clock.now() - sentAt));
    };
    const cancelAnswer = clock.setTimer(latencyMs, () => {
      if (answered) return;
      answered = true;
      signal?.removeEventListener('abort', onAbort);
      // The request lands before its answer. The arrival timer is due first, but Node does
      // not order timers of different durations (each duration is its own list, started
      // from a cached loop time): under load the answer's can fire first.
      if (outcome === undefined) {
        cancelArrival();
        arrive();
      }
      if (outcome!.ok) resolve(outcome!.value);
      else reject(outcome!.error);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
