/**
 * One order leg on one venue, from "journaled" to a settled (or honestly unknown) state:
 *
 *   save(pending) → submit ─┬─ filled ────────────────────────────────┐
 *                           ├─ open → poll fetchOrder every pollMs ────┤ until filled or
 *                           │         the leg's deadline, then cancel ─┤ (a cancel that lost
 *                           │                                          │  the race returns
 *                           │                                          │  the fill: a late fill)
 *                           ├─ retryable / rejected error → failed or rejected
 *                           └─ ambiguous (timeout, dropped connection, deadline during
 *                              the submit) → cancel by client id → its final view, or
 *                              `unknown` when the venue cannot say yet
 *   → save(final)
 *
 * The leg is journaled BEFORE the request leaves (status `pending`), so a crash anywhere
 * after that leaves a record that start-up reconciles by client order id.
 * Time comes from the Clock port only; the deadline is a clock timer that aborts the
 * request in flight.
 */
import type { Clock } from '../core/clock.ts';
import { toErrorInfo } from '../core/errors.ts';
import type { OrderLeg } from '../core/orders.ts';
import { isVenueError, type OrderRequest, type Venue, type VenueOrder } from '../core/venue.ts';

export interface LegContext {
  clock: Clock;
  saveLeg(leg: OrderLeg): Promise<void>;
  /** How often an open order is looked up while waiting for its fill. */
  pollMs: number;
  /** Bound on a cancel or a lookup, so a hung venue cannot hold the signal forever. */
  cancelTimeoutMs: number;
}

/** Copies the venue's view into the leg (amounts, price, fee, status). */
export function applyView(leg: OrderLeg, view: VenueOrder, now: number): void {
  leg.status = view.status;
  leg.filled = view.filled;
  leg.fee = view.fee;
  if (view.averagePrice !== undefined) leg.averagePrice = view.averagePrice;
  if (view.exchangeOrderId !== undefined) leg.exchangeOrderId = view.exchangeOrderId;
  leg.updatedAt = now;
}

export function requestOf(leg: OrderLeg): OrderRequest {
  const req: OrderRequest = {
    clientOrderId: leg.clientOrderId,
    symbol: leg.symbol,
    side: leg.side,
    amount: leg.amount,
    type: leg.type,
    reduceOnly: leg.reduceOnly,
  };
  if (leg.price !== undefined) req.price = leg.price;
  return req;
}

/** A promise that resolves after `ms` of clock time, or at once when `signal` aborts. */
export function pause(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const cancel = clock.setTimer(ms, done);
    function done() {
      cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `fn` with an AbortSignal that fires after `ms` of clock time. */
export async function withDeadline<T>(clock: Clock, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const cancel = clock.setTimer(ms, () => ac.abort());
  try {
    return await fn(ac.signal);
  } finally {
    cancel();
  }
}

/**
 * Asks the venue for the final view of a leg whose fate is open: cancel by client id
 * (which also stops any rest from filling), then a lookup when the cancel says "unknown
 * order". Never throws: what cannot be learnt leaves the leg `unknown`.
 */
export async function settleByCancel(ctx: LegContext, venue: Venue, leg: OrderLeg): Promise<void> {
  try {
    const view = await withDeadline(ctx.clock, ctx.cancelTimeoutMs, (signal) => venue.cancel(leg.symbol, leg.clientOrderId, signal));
    applyView(leg, view, ctx.clock.now());
    return;
  } catch (err) {
    if (!(isVenueError(err) && err.code === 'HH_ERR_VENUE_ORDER_NOT_FOUND')) {
      leg.status = 'unknown';
      leg.error = toErrorInfo(err);
      leg.updatedAt = ctx.clock.now();
      return;
    }
  }
  await lookUp(ctx, venue, leg);
}

/**
 * Looks a leg up by client order id. Resolves with the venue's view; `null` when the
 * venue answered that it does not know the id (yet); `undefined` when it could not be
 * asked. Either way without a view the leg is `unknown`: the caller decides when "not
 * found" has become final (see reconcile.ts).
 */
export async function lookUp(ctx: LegContext, venue: Venue, leg: OrderLeg): Promise<VenueOrder | null | undefined> {
  try {
    const view = await withDeadline(ctx.clock, ctx.cancelTimeoutMs, (signal) => venue.fetchOrder(leg.symbol, leg.clientOrderId, signal));
    if (view) {
      applyView(leg, view, ctx.clock.now());
      return view;
    }
    leg.status = 'unknown';
    leg.updatedAt = ctx.clock.now();
    return null;
  } catch (err) {
    leg.status = 'unknown';
    leg.error = toErrorInfo(err);
    leg.updatedAt = ctx.clock.now();
    return undefined;
  }
}

/**
 * Sends a journaled leg and follows it until it fills, its deadline passes, or the venue
 * refuses. `deadline` is an AbortSignal the caller fires (fillTimeoutMs, or "another venue
 * won the race"). Returns when the leg is settled or unknown; it is saved before returning.
 */
export async function runLeg(ctx: LegContext, venue: Venue, leg: OrderLeg, deadline: AbortSignal): Promise<OrderLeg> {
  const { clock } = ctx;
  await ctx.saveLeg(leg);
  const sentAt = clock.now();
  const noteFill = () => {
    if (leg.latencyMs === undefined && leg.filled > 0) leg.latencyMs = clock.now() - sentAt;
  };
  try {
    let view: VenueOrder | undefined = await venue.submit(requestOf(leg), deadline);
    applyView(leg, view, clock.now());
    noteFill();
    while (leg.status === 'open' && !deadline.aborted) {
      await pause(clock, ctx.pollMs, deadline);
      if (deadline.aborted) break;
      view = await withDeadline(clock, ctx.cancelTimeoutMs, (signal) => venue.fetchOrder(leg.symbol, leg.clientOrderId, signal));
      if (view) applyView(leg, view, clock.now());
      noteFill();
    }
    if (leg.status === 'open') {
      // Not filled in time: stop the rest. What filled before the cancel landed counts.
      await settleByCancel(ctx, venue, leg);
      noteFill();
    }
  } catch (err) {
    leg.error = toErrorInfo(err);
    leg.updatedAt = clock.now();
    // The adapter classes its own errors: `retryable` means the request never left (even
    // when our deadline is what stopped it), so only the rest needs a lookup.
    const ambiguous = !isVenueError(err) || err.errorClass === 'ambiguous';
    if (ambiguous && leg.status === 'pending') {
      // The request may have been applied: find out before anything is sent again.
      await settleByCancel(ctx, venue, leg);
      noteFill();
    } else if (leg.status === 'pending') {
      leg.status = err instanceof Error && isVenueError(err) && err.errorClass === 'rejected' ? 'rejected' : 'failed';
    } else if (leg.status === 'open') {
      // Accepted, then a lookup failed: the order may still fill; stop it.
      await settleByCancel(ctx, venue, leg);
      noteFill();
    }
  }
  await ctx.saveLeg(leg);
  return leg;
}
