/**
 * Reconciliation of legs whose outcome is not settled — left `pending` by a crash,
 * `unknown` after a timeout, or `open` — before anything new is sent for their signal.
 *
 * Each is looked up by client order id on its venue:
 * - found: the venue's view is the truth (an open one is cancelled: the hedge it was part
 *   of has been decided again since, so a resting order would be a stray);
 * - not found, and the leg is older than `notFoundFinalAfterMs`: it never reached the
 *   venue, so it is `failed`. Why a wait: a request still in flight can land after a
 *   lookup; exchanges refuse requests older than their receive window (Binance
 *   recvWindow, 5 s by default), so past that window "not found" is final;
 * - otherwise it stays `unknown` and the caller retries later.
 */
import type { Clock } from '../core/clock.ts';
import { SETTLED_LEG_STATUSES, type OrderLeg } from '../core/orders.ts';
import type { Venue } from '../core/venue.ts';
import { lookUp, settleByCancel, type LegContext } from './leg.ts';

export interface ReconcilePorts {
  clock: Clock;
  venues: ReadonlyMap<string, Venue>;
  saveLeg(leg: OrderLeg): Promise<void>;
}

export interface ReconcileSettings {
  cancelTimeoutMs: number;
  /** After this long since a leg was created, "the venue does not know it" is final. */
  notFoundFinalAfterMs: number;
}

export const DEFAULT_NOT_FOUND_FINAL_AFTER_MS = 10_000;

export function isSettled(leg: Pick<OrderLeg, 'status'>): boolean {
  return SETTLED_LEG_STATUSES.has(leg.status);
}

/**
 * Brings each unsettled leg as far as the venues allow; saves every leg it changed and
 * returns the legs that became settled. Legs of a venue no longer configured stay as they
 * are (unknown): nobody can ask, and pretending would be worse.
 */
export async function reconcileLegs(ports: ReconcilePorts, settings: ReconcileSettings, legs: readonly OrderLeg[]): Promise<OrderLeg[]> {
  const ctx: LegContext = { clock: ports.clock, saveLeg: ports.saveLeg, pollMs: 0, cancelTimeoutMs: settings.cancelTimeoutMs };
  const settled: OrderLeg[] = [];
  for (const leg of legs) {
    if (isSettled(leg)) continue;
    const venue = ports.venues.get(leg.venue);
    if (!venue) continue;
    const before = leg.status;
    const view = await lookUp(ctx, venue, leg);
    if (view && view.status === 'open') await settleByCancel(ctx, venue, leg);
    if (view === null && ports.clock.now() - leg.createdAt >= settings.notFoundFinalAfterMs) {
      leg.status = 'failed';
      leg.error = { code: 'HH_ERR_VENUE_ORDER_NOT_FOUND', message: `${leg.venue} never received ${leg.clientOrderId}`, retryable: false };
    }
    if (leg.status !== before || isSettled(leg)) await ports.saveLeg(leg);
    if (isSettled(leg)) settled.push(leg);
  }
  return settled;
}
