/**
 * The router: places one hedge order intent over the Venue port, in one of three modes
 * (DESIGN.md, "Execution defaults"):
 *
 * - failover: venues in the configured order. A leg not filled within `fillTimeoutMs` is
 *   cancelled and what is left goes to the next venue. A partial fill counts; the rest
 *   moves on.
 * - race: a leg for the whole amount on every venue at once. The first complete fill wins
 *   and the others are cancelled at once; whatever they filled before the cancel landed is
 *   an over-fill, unwound with a reduce-only order on the venue that over-filled. If no
 *   venue fills in full before the deadline, the rest continues as failover.
 * - best-price: the venues ranked by the expected average price of the whole amount
 *   (walking each order book, plus the taker fee); then failover in that ranking. Venues
 *   whose book cannot be read go last, in configured order.
 *
 * Every leg is journaled before its request leaves (leg.ts). A leg whose outcome stays
 * unknown (a timeout nobody could resolve) is returned as `unresolved`: the caller must
 * not treat the hedge as complete, and a later attempt reconciles it first (reconcile.ts).
 *
 * Sizes are on the instrument's step grid and added in exact decimals. Reduce-only
 * intents only go to venues that hold a hedge to reduce (`reduceCapacity`), never more
 * than that hedge.
 *
 * Pure decision logic over ports: no I/O of its own, time from the Clock port.
 */
import type { Clock } from '../core/clock.ts';
import type { OrderIntent, OrderSide } from '../core/decision.ts';
import { Decimal } from '../core/decimal.ts';
import type { OrderLeg } from '../core/orders.ts';
import type { OrderBook } from '../core/market.ts';
import type { Venue } from '../core/venue.ts';
import { clientOrderId } from './client-order-id.ts';
import { runLeg, withDeadline, type LegContext } from './leg.ts';
import { rankByExpectedPrice } from './best-price.ts';

export type RoutingMode = 'failover' | 'race' | 'best-price';

export interface RoutingSettings {
  mode: RoutingMode;
  /** Venue ids, primary first. */
  order: readonly string[];
  /** A leg not filled within this long is cancelled (default 500). */
  fillTimeoutMs: number;
  /** How often an open leg is looked up while it waits for a fill. */
  pollMs: number;
  /** Bound on a cancel, a lookup or an order-book read. */
  cancelTimeoutMs: number;
}

export const DEFAULT_ROUTING: Readonly<RoutingSettings> = Object.freeze({
  mode: 'failover',
  order: ['primary', 'backup'],
  fillTimeoutMs: 500,
  pollMs: 50,
  cancelTimeoutMs: 2_000,
});

export interface RouteRequest {
  signalId: string;
  account: string;
  intent: OrderIntent;
  /** The next free leg number of the signal (earlier attempts used the ones below). */
  firstLeg: number;
  /**
   * For a reduce-only intent: how much each venue may reduce (the size of its hedge on
   * the side the order reduces). Venues not in the map are skipped.
   */
  reduceCapacity?: ReadonlyMap<string, number>;
}

export interface RouterPorts {
  clock: Clock;
  venues: ReadonlyMap<string, Venue>;
  /** Journals a leg; awaited before its request leaves and after every change. */
  saveLeg(leg: OrderLeg): Promise<void>;
}

export interface RouteResult {
  /** Legs created by this call, in creation order (hedges and unwinds). */
  legs: OrderLeg[];
  requested: number;
  /** Net amount filled toward the intent: hedge fills minus unwinds. */
  filled: number;
  /** Filled beyond the request and not unwound (an unwind failed or is unknown). */
  overfill: number;
  /** True when `filled` equals `requested` and nothing is unresolved. */
  complete: boolean;
  /** Legs whose outcome the venues could not tell yet. */
  unresolved: OrderLeg[];
  /** The venues in the order they were tried (best-price: the ranking). */
  venueOrder: string[];
}

const opposite = (side: OrderSide): OrderSide => (side === 'buy' ? 'sell' : 'buy');

class Route {
  private nextLeg: number;
  readonly legs: OrderLeg[] = [];
  /** The venue whose leg filled in full first (race); it keeps its fill when unwinding. */
  private winner: string | undefined;
  private readonly ctx: LegContext;

  constructor(
    private readonly ports: RouterPorts,
    private readonly settings: RoutingSettings,
    private readonly request: RouteRequest,
  ) {
    this.nextLeg = request.firstLeg;
    this.ctx = { clock: ports.clock, saveLeg: ports.saveLeg, pollMs: settings.pollMs, cancelTimeoutMs: settings.cancelTimeoutMs };
  }

  newLeg(venue: string, amount: Decimal, purpose: OrderLeg['purpose'], side: OrderSide, reduceOnly: boolean): OrderLeg {
    const now = this.ports.clock.now();
    const leg: OrderLeg = {
      clientOrderId: clientOrderId(this.request.signalId, this.nextLeg),
      signalId: this.request.signalId,
      account: this.request.account,
      leg: this.nextLeg++,
      venue,
      purpose,
      symbol: this.request.intent.symbol,
      side,
      amount: amount.toNumber(),
      type: 'market',
      reduceOnly,
      status: 'pending',
      filled: 0,
      fee: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.legs.push(leg);
    return leg;
  }

  /** The most a venue may take of `wanted` (reduce-only: its hedge). */
  private capFor(venue: string, wanted: Decimal): Decimal {
    const cap = this.request.reduceCapacity;
    if (!this.request.intent.reduceOnly || !cap) return wanted;
    const room = Decimal.from(cap.get(venue) ?? 0).sub(this.usedOn(venue));
    return Decimal.min(wanted, Decimal.max(room, Decimal.ZERO));
  }

  private usedOn(venue: string): Decimal {
    let used = Decimal.ZERO;
    for (const l of this.legs) if (l.venue === venue && l.purpose === 'hedge') used = used.add(l.filled);
    return used;
  }

  /** One leg on one venue for `amount`, with the fill deadline. */
  async leg(venueId: string, amount: Decimal, signal?: AbortSignal): Promise<OrderLeg> {
    const venue = this.ports.venues.get(venueId)!;
    const leg = this.newLeg(venueId, amount, 'hedge', this.request.intent.side, this.request.intent.reduceOnly);
    const ac = new AbortController();
    const stop = () => ac.abort();
    signal?.addEventListener('abort', stop, { once: true });
    const cancelTimer = this.ports.clock.setTimer(this.settings.fillTimeoutMs, stop);
    try {
      return await runLeg(this.ctx, venue, leg, ac.signal);
    } finally {
      cancelTimer();
      signal?.removeEventListener('abort', stop);
    }
  }

  filled(): Decimal {
    let total = Decimal.ZERO;
    for (const l of this.legs) total = l.purpose === 'hedge' ? total.add(l.filled) : total.sub(l.filled);
    return total;
  }

  async failover(venues: readonly string[]): Promise<void> {
    const target = Decimal.from(this.request.intent.amount);
    for (const id of venues) {
      const remaining = target.sub(this.filled());
      if (remaining.sign() <= 0) return;
      const amount = this.capFor(id, remaining);
      if (amount.sign() <= 0) continue;
      await this.leg(id, amount);
    }
  }

  async race(venues: readonly string[]): Promise<void> {
    const target = Decimal.from(this.request.intent.amount);
    const won = new AbortController();
    const runs = venues.map(async (id) => {
      const amount = this.capFor(id, target);
      if (amount.sign() <= 0) return;
      const leg = await this.leg(id, amount, won.signal);
      // The first complete fill stops the others; their late fills become over-fill.
      if (leg.status === 'filled' && Decimal.from(leg.filled).gte(amount) && amount.gte(target) && !won.signal.aborted) {
        this.winner = id;
        won.abort();
      }
    });
    await Promise.all(runs);
  }

  /** Unwinds what was filled beyond the request, reduce-only, on the venues that over-filled. */
  async unwindOverfill(): Promise<void> {
    let excess = this.filled().sub(this.request.intent.amount);
    if (excess.sign() <= 0) return;
    // The winner of a race keeps its fill; the others give back theirs first.
    const byVenue = new Map<string, Decimal>();
    for (const l of this.legs) {
      if (l.purpose !== 'hedge' || l.filled <= 0) continue;
      byVenue.set(l.venue, (byVenue.get(l.venue) ?? Decimal.ZERO).add(l.filled));
    }
    const winner = this.winner;
    const order = [...byVenue.keys()].sort((a, b) => (a === winner ? 1 : 0) - (b === winner ? 1 : 0));
    for (const venueId of order) {
      if (excess.sign() <= 0) break;
      const amount = Decimal.min(excess, byVenue.get(venueId)!);
      const venue = this.ports.venues.get(venueId)!;
      const leg = this.newLeg(venueId, amount, 'unwind', opposite(this.request.intent.side), true);
      const deadline = new AbortController();
      const timer = this.ports.clock.setTimer(this.settings.fillTimeoutMs, () => deadline.abort());
      try {
        await runLeg(this.ctx, venue, leg, deadline.signal);
      } finally {
        timer();
      }
      excess = excess.sub(leg.filled);
    }
  }

  async readBooks(venues: readonly string[]): Promise<Map<string, OrderBook>> {
    const books = new Map<string, OrderBook>();
    await Promise.all(
      venues.map(async (id) => {
        try {
          const book = await withDeadline(this.ports.clock, this.settings.fillTimeoutMs, (signal) =>
            this.ports.venues.get(id)!.orderBook(this.request.intent.symbol, 50, signal),
          );
          books.set(id, book);
        } catch {
          // A venue whose book cannot be read is ranked last, not dropped: it may still fill.
        }
      }),
    );
    return books;
  }

  result(venueOrder: string[]): RouteResult {
    const requested = Decimal.from(this.request.intent.amount);
    const filled = this.filled();
    const unresolved = this.legs.filter((l) => l.status === 'unknown' || l.status === 'pending' || l.status === 'open');
    const overfill = Decimal.max(filled.sub(requested), Decimal.ZERO);
    return {
      legs: this.legs,
      requested: requested.toNumber(),
      filled: filled.toNumber(),
      overfill: overfill.toNumber(),
      complete: unresolved.length === 0 && filled.eq(requested),
      unresolved,
      venueOrder,
    };
  }
}

/** Places `request.intent` according to `settings`; never throws for a venue's failure. */
export async function route(ports: RouterPorts, settings: RoutingSettings, request: RouteRequest): Promise<RouteResult> {
  const r = new Route(ports, settings, request);
  const known = settings.order.filter((id) => ports.venues.has(id));
  let order = known;
  if (settings.mode === 'race') {
    await r.race(known);
    await r.failover(known);
  } else if (settings.mode === 'best-price') {
    const books = await r.readBooks(known);
    order = rankByExpectedPrice(known, books, request.intent, (id) => ports.venues.get(id)!.fees(request.intent.symbol).taker);
    await r.failover(order);
  } else {
    await r.failover(known);
  }
  await r.unwindOverfill();
  return r.result([...order]);
}
