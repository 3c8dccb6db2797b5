/**
 * The paper venue: the Venue port over a synthetic order book (book.ts) built around the
 * MarketData price, with an account (account.ts), and the faults a router must survive.
 *
 * Timing, all on the Clock port (deterministic under a ManualClock):
 * - latency 0: every call is applied at once and answered in a microtask — no timer, so
 *   the hot path (journal commit → order on the wire) costs only the bookkeeping;
 * - latency L > 0: the request reaches the venue at ⌊L/2⌋ and is applied then; the
 *   answer arrives at L. An AbortSignal that fires before the answer rejects with an
 *   `ambiguous` HH_ERR_VENUE_TIMEOUT for submit and cancel (a retryable one for reads).
 *   The aborted request is still applied when it arrives (`abortedRequests: 'applied'`,
 *   the default: the bytes had left, as with a real exchange, so the caller must look the
 *   order up — and may not find it before it arrives), or never arrives ('dropped').
 * - `down`: every exchange call rejects at once (connection refused), retryable.
 * - `rejectRate`: a submit is refused on arrival, retryable, nothing placed.
 * - `fillDelayMs`: a market order rests open that long before it fills (a slow venue).
 * - `partialFillRatio` r < 1: each fill takes r × amount (rounded down to the step, at
 *   least one step); a market order's rest fills every `partialFillIntervalMs` or expires
 *   (`partialFillRest`), a limit order's rest waits for the next crossing ticker.
 *
 * Fills:
 * - market orders take liquidity level by level (taker fee); what the book cannot absorb
 *   expires, like an IOC;
 * - limit orders take what they can at or better than their price at once (taker fee),
 *   then rest; a resting order fills at its price (maker fee) on a new ticker whose last
 *   price reaches it (buy: last ≤ limit, sell: last ≥ limit);
 * - reduce-only (one-way) and closing orders (hedge mode) never open or flip a position:
 *   refused when there is nothing to reduce, capped at the position when they fill, the
 *   rest expires.
 * The exchange's filters are applied as Binance does (with its error codes in
 * `exchangeCode`): symbol, client order id, step, tick, minimum notional, duplicate id,
 * position side, margin. Margin is checked against the available balance on the order's
 * increase of the position only; resting orders reserve none (a simplification).
 */
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { ErrorCode } from '../../core/errors.ts';
import { meetsMinNotional, precisionOf, type InstrumentSpec, type Precision } from '../../core/instrument.ts';
import type { MarketData, OrderBook, Ticker } from '../../core/market.ts';
import { seededRandom, type Random } from '../../core/random.ts';
import {
  FINAL_ORDER_STATUSES, VenueError, type OrderRequest, type OrderType, type PositionSideParam, type Venue,
  type VenueBalance, type VenueErrorClass, type VenueOrder, type VenuePosition,
} from '../../core/venue.ts';
import { PaperAccount, type PaperAccountTotals } from './account.ts';
import { SyntheticBook, type BookLevel } from './book.ts';
import { roundTrip } from './round-trip.ts';
import { DEFAULT_PAPER_INSTRUMENTS, paperVenueSettingsSchema, type PaperVenueSettings, type PaperVenueSettingsInput } from './settings.ts';

/** The prices the venue needs from the MarketData port. */
export type PaperMarket = Pick<MarketData, 'ticker' | 'lastPrice' | 'onTicker'>;

export interface PaperVenueDeps {
  clock: Clock;
  market: PaperMarket;
  /** Draws for `rejectRate`; default a source seeded with `settings.seed` (or 0). */
  random?: Random;
  /**
   * The funding rate of `symbol` settled at `time` (the backtest passes the funding file);
   * undefined = no settlement then. Without it, `settings.fundingRate` applies.
   */
  fundingRate?: (symbol: string, time: number) => number | undefined;
}

/** The faults that may be changed while running (a rehearsal of a venue going down). */
export type PaperFaults = Pick<PaperVenueSettings,
  'latencyMs' | 'down' | 'rejectRate' | 'abortedRequests' | 'fillDelayMs' | 'partialFillRatio' | 'partialFillRest'>;

export interface PaperFillEvent {
  type: 'fill';
  venue: string;
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  positionSide?: PositionSideParam;
  /** Amount units of this fill. */
  amount: number;
  price: number;
  liquidity: 'taker' | 'maker';
  fee: number;
  realisedPnl: number;
  /** (price − mid) × base size, against the order (negative = better than mid). */
  slippage: number;
  time: number;
}

export interface PaperFundingEvent {
  type: 'funding';
  venue: string;
  symbol: string;
  positionSide?: PositionSideParam;
  /** Signed base size that paid or received. */
  size: number;
  markPrice: number;
  rate: number;
  /** Paid by the account (negative = received). */
  payment: number;
  time: number;
}

/** A position the exchange closed by force (`liquidate`), at the liquidation price. */
export interface PaperLiquidationEvent {
  type: 'liquidation';
  venue: string;
  symbol: string;
  positionSide?: PositionSideParam;
  /** Signed base size that was closed. */
  size: number;
  price: number;
  realisedPnl: number;
  /** The clearance fee taken (never more than the wallet held after the close). */
  fee: number;
  /** A loss beyond the wallet that the insurance fund took (the wallet stops at 0). */
  insuranceFund: number;
  time: number;
}

export type PaperEvent = PaperFillEvent | PaperFundingEvent | PaperLiquidationEvent;

/** What `liquidate` closes, and at what cost. */
export interface PaperLiquidationRequest {
  symbol: string;
  /** Hedge mode: the side closed; one-way: omitted. */
  positionSide?: PositionSideParam;
  /** The liquidation price (not the book's): where the exchange's engine took the position over. */
  price: number;
  /** The clearance (liquidation) fee, quote currency; default 0. */
  fee?: number;
}

/** The port's rule: ≤ 32 letters and digits, accepted by every exchange. */
const CLIENT_ORDER_ID = /^[A-Za-z0-9]{1,32}$/;
const HOUR_MS = 3_600_000;
const PRICE_GRID = Decimal.parse('0.000000000001');

interface PaperOrder {
  /** The port's view, kept current; handed out as a copy. */
  readonly view: VenueOrder;
  readonly type: OrderType;
  readonly limit: Decimal | undefined;
  readonly positionSide: PositionSideParam | undefined;
  /** Reduce-only (one-way) or closing a hedge-mode side: never opens or flips. */
  readonly closing: boolean;
  readonly spec: InstrumentSpec;
  readonly precision: Precision;
  readonly amount: Decimal;
  filled: Decimal;
  /** Σ base × price of the fills. */
  notional: Decimal;
  fee: Decimal;
  /** A pending fill delay or partial-fill timer. */
  timer: (() => void) | undefined;
}

export class PaperVenue implements Venue {
  readonly id: string;
  readonly kind = 'paper';
  private readonly settings: PaperVenueSettings;
  private faults: PaperFaults;
  private readonly clock: Clock;
  private readonly market: PaperMarket;
  private readonly random: Random;
  private readonly fundingRateOf: PaperVenueDeps['fundingRate'];
  private readonly specs = new Map<string, InstrumentSpec>();
  private readonly account: PaperAccount;
  private readonly orders = new Map<string, PaperOrder>();
  private readonly resting = new Map<string, PaperOrder[]>();
  private readonly books = new Map<string, { ticker: Ticker; book: SyntheticBook }>();
  private readonly takerRate: Decimal;
  private readonly makerRate: Decimal;
  private listeners: ((event: PaperEvent) => void)[] = [];
  private unsubscribe: (() => void) | undefined;
  private cancelFunding: (() => void) | undefined;
  private sequence = 0;
  private closed = false;

  constructor(settings: PaperVenueSettings, deps: PaperVenueDeps) {
    this.settings = settings;
    this.id = settings.id;
    this.faults = {
      latencyMs: settings.latencyMs,
      down: settings.down,
      rejectRate: settings.rejectRate,
      abortedRequests: settings.abortedRequests,
      fillDelayMs: settings.fillDelayMs,
      partialFillRatio: settings.partialFillRatio,
      partialFillRest: settings.partialFillRest,
    };
    this.clock = deps.clock;
    this.market = deps.market;
    this.random = deps.random ?? seededRandom(settings.seed ?? 0);
    this.fundingRateOf = deps.fundingRate;
    for (const spec of settings.instruments ?? DEFAULT_PAPER_INSTRUMENTS) this.specs.set(spec.symbol, spec);
    this.account = new PaperAccount(settings.currency, settings.balance, settings.leverage);
    this.takerRate = Decimal.from(settings.takerFee);
    this.makerRate = Decimal.from(settings.makerFee);
  }

  // ── the Venue port ──────────────────────────────────────────────────────────

  instrument(symbol: string): InstrumentSpec | undefined {
    return this.specs.get(symbol);
  }

  /** Listens to the MarketData port (the wiring starts the feed) and starts funding. Local: never fails. */
  async start(): Promise<void> {
    if (this.unsubscribe || this.closed) return;
    this.unsubscribe = this.market.onTicker((ticker) => this.onMarketTicker(ticker));
    this.scheduleFunding();
  }

  submit(request: OrderRequest, signal?: AbortSignal): Promise<VenueOrder> {
    // The hot path of the latency bench: no closure, no timer, answered in a microtask.
    if (this.faults.latencyMs === 0 && !this.faults.down && !this.closed && !signal?.aborted) {
      try {
        return Promise.resolve(this.accept(request));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.call(() => this.accept(request), signal, true);
  }

  cancel(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder> {
    return this.call(() => this.cancelNow(symbol, clientOrderId), signal, true);
  }

  fetchOrder(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder | undefined> {
    return this.call(() => {
      const order = this.orders.get(clientOrderId);
      return order && order.view.symbol === symbol ? { ...order.view } : undefined;
    }, signal, false);
  }

  /** Open positions only (a flat symbol is absent), filtered by `symbols` when given. */
  positions(symbols?: readonly string[], signal?: AbortSignal): Promise<VenuePosition[]> {
    return this.call(() => {
      const out: VenuePosition[] = [];
      for (const pos of this.account.openPositions()) {
        if (symbols && !symbols.includes(pos.symbol)) continue;
        out.push(this.account.view(pos, this.market.lastPrice(pos.symbol)));
      }
      return out;
    }, signal, false);
  }

  balance(signal?: AbortSignal): Promise<VenueBalance> {
    return this.call(() => {
      const t = this.totals();
      return { currency: t.currency, equity: t.equity, available: t.available };
    }, signal, false);
  }

  /** The MarketData price with the synthetic book's best bid and ask. */
  ticker(symbol: string, signal?: AbortSignal): Promise<Ticker> {
    return this.call(() => {
      const { ticker, book } = this.requireBook(symbol);
      const out: Ticker = { symbol, time: ticker.time, last: ticker.last };
      const bid = book.level('bids', 0);
      const ask = book.level('asks', 0);
      if (bid) out.bid = bid.priceNumber;
      if (ask) out.ask = ask.priceNumber;
      return out;
    }, signal, false);
  }

  orderBook(symbol: string, depth?: number, signal?: AbortSignal): Promise<OrderBook> {
    return this.call(() => {
      const { book } = this.requireBook(symbol);
      const n = Math.min(depth ?? this.settings.levels, this.settings.levels);
      return { symbol, time: book.time, bids: book.side('bids', n), asks: book.side('asks', n) };
    }, signal, false);
  }

  fees(_symbol: string): { taker: number; maker: number } {
    return { taker: this.settings.takerFee, maker: this.settings.makerFee };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.cancelFunding?.();
    this.cancelFunding = undefined;
    for (const order of this.orders.values()) {
      order.timer?.();
      order.timer = undefined;
    }
  }

  // ── paper-only: what a backtest and a rehearsal need besides the port ─────────────

  /** Changes faults while running; applies to calls made from now on. */
  setFaults(faults: Partial<PaperFaults>): void {
    this.faults = paperVenueSettingsSchema.pick({
      latencyMs: true, down: true, rejectRate: true, abortedRequests: true,
      fillDelayMs: true, partialFillRatio: true, partialFillRest: true,
    }).parse({ ...this.faults, ...faults });
  }

  /** Wallet, equity, realised PnL, fees, funding and slippage, read directly (no latency, no faults). */
  totals(): PaperAccountTotals {
    return this.account.totals((symbol) => this.market.lastPrice(symbol));
  }

  /** Orders still open (resting limits, market orders waiting on a delay or a partial fill). */
  openOrders(symbol?: string): VenueOrder[] {
    const out: VenueOrder[] = [];
    for (const order of this.orders.values()) {
      if (order.view.status === 'open' && (symbol === undefined || order.view.symbol === symbol)) out.push({ ...order.view });
    }
    return out;
  }

  /**
   * A liquidation decided outside the venue (the backtest's margin model): the whole
   * position of `symbol` (on `positionSide` in hedge mode) is closed at `price`, off the
   * book and without a taker fee, then the clearance fee is taken — at most what the
   * wallet holds; a loss beyond the wallet goes to the insurance fund (the wallet stops at
   * 0), as on Binance. Resting orders are left alone: a reduce-only one finds nothing to
   * close and expires. No latency and no faults: the exchange does this to the account,
   * nobody calls it. Returns the event (also emitted), or undefined when there is no such
   * position. The price is taken exactly as given (a computed liquidation price is not on
   * the tick grid); the fee is charged as given.
   */
  liquidate(request: PaperLiquidationRequest): PaperLiquidationEvent | undefined {
    const { symbol, positionSide } = request;
    if (this.settings.positionMode === 'hedge' ? positionSide === undefined : positionSide !== undefined) {
      throw this.rejected(`liquidate: positionSide ${positionSide === undefined ? 'is required in hedge mode' : 'is not allowed in one-way mode'}`, '-4061');
    }
    if (!(request.price > 0 && Number.isFinite(request.price))) throw this.rejected(`liquidate: price must be a positive number, got ${request.price}`, '-1102');
    const fee = request.fee ?? 0;
    if (!(fee >= 0 && Number.isFinite(fee))) throw this.rejected(`liquidate: fee must be ≥ 0, got ${fee}`, '-1102');
    const size = this.account.sizeOf(symbol, positionSide);
    if (size.isZero()) return undefined;
    const realised = this.account.fill(symbol, positionSide, size.neg(), Decimal.from(request.price));
    const covered = this.account.coverDeficit();
    const charged = Decimal.min(Decimal.from(fee), this.account.wallet);
    this.account.chargeFee(charged);
    const event: PaperLiquidationEvent = {
      type: 'liquidation', venue: this.id, symbol, size: size.toNumber(), price: request.price,
      realisedPnl: realised.toNumber(), fee: charged.toNumber(), insuranceFund: covered.toNumber(), time: this.clock.now(),
    };
    if (positionSide) event.positionSide = positionSide;
    this.emit(event);
    return event;
  }

  /**
   * Puts back a position this venue held before a restart (the paper venue keeps its state
   * in memory; the journal's order legs are the record): `size` base units, signed, opened
   * at `entryPrice`, with no fee and no effect on the wallet beyond the position itself.
   * Why: without it a restarted paper venue is flat while the journal's hedges are not, and
   * every reduce-only order that shrinks a hedge would be refused. The wallet restarts from
   * the configured balance; realised PnL and fees stay in the journal's ledger.
   */
  restorePosition(symbol: string, size: number, entryPrice: number): void {
    if (!(entryPrice > 0) || !Number.isFinite(size) || size === 0) return;
    const positionSide = this.settings.positionMode === 'hedge' ? (size > 0 ? 'long' : 'short') : undefined;
    this.account.fill(symbol, positionSide, Decimal.from(size), Decimal.from(entryPrice));
  }

  /** Every fill, funding settlement and liquidation as it happens; returns an unsubscribe. */
  onEvent(listener: (event: PaperEvent) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  // ── calls, latency and aborts ───────────────────────────────────────────────

  /**
   * Runs `apply` as the venue would receive it. `mutation` says whether an abort leaves
   * the outcome unknown (submit, cancel) or merely loses a read.
   */
  private call<T>(apply: () => T, signal: AbortSignal | undefined, mutation: boolean): Promise<T> {
    if (this.closed) return Promise.reject(this.error('HH_ERR_VENUE_UNAVAILABLE', 'retryable', 'paper venue is closed'));
    if (this.faults.down) return Promise.reject(this.error('HH_ERR_VENUE_UNAVAILABLE', 'retryable', 'venue is down (paper fault "down")'));
    if (signal?.aborted) {
      return Promise.reject(this.error('HH_ERR_VENUE_TIMEOUT', 'retryable', 'aborted before the request was sent; nothing happened'));
    }
    const latency = this.faults.latencyMs;
    if (latency === 0) {
      try {
        return Promise.resolve(apply());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return roundTrip({
      clock: this.clock,
      latencyMs: latency,
      dropAborted: this.faults.abortedRequests === 'dropped',
      abortError: (waited) => mutation
        ? this.error('HH_ERR_VENUE_TIMEOUT', 'ambiguous', `aborted after ${waited} ms waiting for the answer; look the order up by client order id`)
        : this.error('HH_ERR_VENUE_TIMEOUT', 'retryable', 'aborted while waiting for the answer'),
    }, apply, signal);
  }

  // ── orders ──────────────────────────────────────────────────────────────────

  private accept(request: OrderRequest): VenueOrder {
    if (this.faults.rejectRate > 0 && this.random() < this.faults.rejectRate) {
      throw this.error('HH_ERR_VENUE_UNAVAILABLE', 'retryable', 'order refused before acceptance (paper fault "rejectRate"); nothing was placed');
    }
    const { symbol, side, clientOrderId } = request;
    const spec = this.specs.get(symbol);
    if (!spec) throw this.rejected(`unknown symbol ${symbol}`, '-1121');
    if (typeof clientOrderId !== 'string' || !CLIENT_ORDER_ID.test(clientOrderId)) {
      throw this.rejected(`client order id must be 1–32 letters and digits, got ${JSON.stringify(clientOrderId)}`, '-1100');
    }
    if (this.orders.has(clientOrderId)) throw this.rejected(`client order id ${clientOrderId} is already used`, '-4116');
    if (side !== 'buy' && side !== 'sell') throw this.rejected(`side must be buy or sell, got ${JSON.stringify(side)}`, '-1117');
    if (request.type !== 'market' && request.type !== 'limit') {
      throw this.rejected(`type must be market or limit, got ${JSON.stringify(request.type)}`, '-1116');
    }
    const precision = precisionOf(spec);
    if (!(typeof request.amount === 'number' && request.amount > 0 && Number.isFinite(request.amount))) {
      throw this.rejected(`amount must be a positive number, got ${request.amount}`, '-1102');
    }
    const amount = Decimal.from(request.amount);
    if (!amount.isMultipleOf(precision.step)) {
      throw this.rejected(`amount ${request.amount} is not a multiple of the step ${precision.step.toString()}`, '-1111');
    }
    let limit: Decimal | undefined;
    if (request.type === 'limit') {
      if (!(typeof request.price === 'number' && request.price > 0 && Number.isFinite(request.price))) {
        throw this.rejected(`a limit order needs a positive price, got ${request.price}`, '-1102');
      }
      limit = Decimal.from(request.price);
      if (!limit.isMultipleOf(precision.tick)) {
        throw this.rejected(`price ${request.price} is not a multiple of the tick ${precision.tick.toString()}`, '-4014');
      }
    }
    const hedgeMode = this.settings.positionMode === 'hedge';
    if (!hedgeMode && request.positionSide !== undefined) {
      throw this.rejected(`positionSide ${request.positionSide} sent to a one-way account`, '-4061');
    }
    const positionSide = hedgeMode
      ? request.positionSide ?? (request.reduceOnly === (side === 'buy') ? 'short' : 'long')
      : undefined;
    const closing = hedgeMode ? (side === 'buy') === (positionSide === 'short') : request.reduceOnly === true;
    if (hedgeMode && request.reduceOnly && !closing) {
      throw this.rejected(`reduce-only ${side} would increase the ${positionSide} position`, '-2022');
    }
    const book = this.requireBook(symbol).book;
    const best = book.level(side === 'buy' ? 'asks' : 'bids', 0);
    if (!best) throw this.error('HH_ERR_MARKET_DATA_UNAVAILABLE', 'retryable', `no ${side === 'buy' ? 'ask' : 'bid'} in the book of ${symbol}`);
    const reference = limit ?? best.price;
    if (!meetsMinNotional(spec, amount, reference, request.reduceOnly)) {
      throw this.rejected(`notional ${amount.mul(precision.contractSize).mul(reference).toString()} is below the minimum ${precision.minNotional.toString()}`, '-4164');
    }
    if (closing) {
      if (this.closable(symbol, side, positionSide, precision).isZero()) {
        throw this.rejected(`reduce-only ${side} rejected: it would open or increase a position`, '-2022');
      }
    } else {
      this.checkMargin(symbol, side, positionSide, amount, reference, precision);
    }

    const now = this.clock.now();
    const view: VenueOrder = {
      venue: this.id,
      clientOrderId,
      exchangeOrderId: `${this.id}-${++this.sequence}`,
      symbol,
      side,
      amount: request.amount,
      filled: 0,
      fee: 0,
      status: 'open',
      reduceOnly: request.reduceOnly === true,
      updatedAt: now,
    };
    const order: PaperOrder = {
      view, type: request.type, limit, positionSide, closing, spec, precision, amount,
      filled: Decimal.ZERO, notional: Decimal.ZERO, fee: Decimal.ZERO, timer: undefined,
    };
    this.orders.set(clientOrderId, order);
    if (this.orders.size > this.settings.maxKeptOrders) this.forgetOldOrders();

    if (order.type === 'market') {
      if (this.faults.fillDelayMs > 0) order.timer = this.clock.setTimer(this.faults.fillDelayMs, () => this.fillMarket(order));
      else this.fillMarket(order);
    } else {
      const marketable = side === 'buy' ? best.price.lte(limit!) : best.price.gte(limit!);
      if (marketable) this.take(order, book);
      if (order.view.status === 'open') {
        if (this.remaining(order).isZero()) this.finish(order, 'filled');
        else if (order.closing && this.closable(symbol, side, positionSide, precision).isZero()) this.finish(order, 'expired');
        else this.rest(order);
      }
    }
    return { ...view };
  }

  private cancelNow(symbol: string, clientOrderId: string): VenueOrder {
    const order = this.orders.get(clientOrderId);
    if (!order || order.view.symbol !== symbol) {
      throw this.error('HH_ERR_VENUE_ORDER_NOT_FOUND', 'rejected', `no order ${clientOrderId} on ${symbol}`, '-2011');
    }
    // A cancel that lost the race against a fill answers with the final view, not an error.
    if (!FINAL_ORDER_STATUSES.has(order.view.status)) this.finish(order, 'canceled');
    return { ...order.view };
  }

  /** Market order: one fill (or tranche) now; what follows depends on the faults. */
  private fillMarket(order: PaperOrder): void {
    order.timer = undefined;
    if (order.view.status !== 'open') return;
    const entry = this.book(order.view.symbol);
    const want = this.tranche(order);
    if (!entry || want.isZero()) {
      this.finish(order, 'expired');
      return;
    }
    const got = this.take(order, entry.book, want);
    if (this.remaining(order).isZero()) this.finish(order, 'filled');
    // The book could not absorb the tranche: like an IOC, the rest expires.
    else if (got.lt(want)) this.finish(order, 'expired');
    // A closing order that reduced the whole position: the rest would open one.
    else if (order.closing && this.tranche(order).isZero()) this.finish(order, 'expired');
    else if (this.faults.partialFillRatio < 1 && this.faults.partialFillRest === 'later' && !this.closed) {
      order.timer = this.clock.setTimer(this.settings.partialFillIntervalMs, () => this.fillMarket(order));
    } else this.finish(order, 'expired');
  }

  /** Takes liquidity level by level, up to `want` (default: the next tranche) and the limit price. */
  private take(order: PaperOrder, book: SyntheticBook, want: Decimal = this.tranche(order)): Decimal {
    const buy = order.view.side === 'buy';
    let left = want;
    for (let i = 0; left.sign() > 0; i++) {
      const level: BookLevel | undefined = book.level(buy ? 'asks' : 'bids', i);
      if (!level) break;
      if (order.limit && (buy ? level.price.gt(order.limit) : level.price.lt(order.limit))) break;
      const amount = Decimal.min(left, level.amount);
      this.execute(order, amount, level.price, 'taker', book.mid);
      left = left.sub(amount);
    }
    return want.sub(left);
  }

  /** Resting limit orders of the symbol fill at their price when the new last price reaches it. */
  private onMarketTicker(ticker: Ticker): void {
    const list = this.resting.get(ticker.symbol);
    if (!list || list.length === 0) return;
    let mid: Decimal | undefined;
    for (const order of [...list]) {
      if (order.view.status !== 'open') continue;
      const limit = order.limit!;
      const reached = order.view.side === 'buy' ? ticker.last <= limit.toNumber() : ticker.last >= limit.toNumber();
      if (!reached) continue;
      const want = this.tranche(order);
      if (want.isZero()) {
        this.finish(order, 'expired');
        continue;
      }
      mid ??= this.book(ticker.symbol)?.book.mid;
      this.execute(order, want, limit, 'maker', mid);
      if (this.remaining(order).isZero()) this.finish(order, 'filled');
    }
  }

  /** Books one fill: position, fee, slippage, the order's view, the event. */
  private execute(order: PaperOrder, amount: Decimal, price: Decimal, liquidity: 'taker' | 'maker', mid: Decimal | undefined): void {
    const view = order.view;
    const base = amount.mul(order.precision.contractSize);
    const notional = base.mul(price);
    const fee = notional.mul(liquidity === 'taker' ? this.takerRate : this.makerRate);
    const buy = view.side === 'buy';
    const realised = this.account.fill(view.symbol, order.positionSide, buy ? base : base.neg(), price);
    this.account.chargeFee(fee);
    const slippage = mid === undefined ? Decimal.ZERO : (buy ? price.sub(mid) : mid.sub(price)).mul(base);
    this.account.addSlippage(slippage);
    order.filled = order.filled.add(amount);
    order.notional = order.notional.add(notional);
    order.fee = order.fee.add(fee);
    view.filled = order.filled.toNumber();
    // Volume-weighted, rounded to 1e-12 (a quotient, not an exchange-grid price).
    view.averagePrice = order.notional.divToStep(order.filled.mul(order.precision.contractSize), PRICE_GRID, 'half-up').toNumber();
    view.fee = order.fee.toNumber();
    view.updatedAt = this.clock.now();
    if (this.listeners.length > 0) {
      const event: PaperFillEvent = {
        type: 'fill', venue: this.id, clientOrderId: view.clientOrderId, symbol: view.symbol, side: view.side,
        amount: amount.toNumber(), price: price.toNumber(), liquidity, fee: fee.toNumber(),
        realisedPnl: realised.toNumber(), slippage: slippage.toNumber(), time: view.updatedAt,
      };
      if (order.positionSide) event.positionSide = order.positionSide;
      this.emit(event);
    }
  }

  /** The next fill's amount: the rest, or r × amount under partial fills; capped for closing orders. */
  private tranche(order: PaperOrder): Decimal {
    let want = this.remaining(order);
    const ratio = this.faults.partialFillRatio;
    if (ratio < 1) {
      const step = order.precision.step;
      const part = Decimal.max(order.amount.mul(ratio).roundToStep(step, 'down'), step);
      want = Decimal.min(want, part);
    }
    if (order.closing) want = Decimal.min(want, this.closable(order.view.symbol, order.view.side, order.positionSide, order.precision));
    return want;
  }

  private remaining(order: PaperOrder): Decimal {
    return order.amount.sub(order.filled);
  }

  /** How much (amount units) a closing order of `side` may still fill without opening anything. */
  private closable(symbol: string, side: 'buy' | 'sell', positionSide: PositionSideParam | undefined, precision: Precision): Decimal {
    const size = this.account.sizeOf(symbol, positionSide);
    const opposite = side === 'buy' ? size.sign() < 0 : size.sign() > 0;
    if (!opposite) return Decimal.ZERO;
    return size.abs().divToStep(precision.contractSize, precision.step, 'down');
  }

  /** Refuses an order whose increase of the position needs more margin than is available. */
  private checkMargin(
    symbol: string, side: 'buy' | 'sell', positionSide: PositionSideParam | undefined,
    amount: Decimal, price: Decimal, precision: Precision,
  ): void {
    const base = amount.mul(precision.contractSize);
    const size = this.account.sizeOf(symbol, positionSide);
    const against = side === 'buy' ? size.sign() < 0 : size.sign() > 0;
    const increase = against ? Decimal.max(base.sub(size.abs()), Decimal.ZERO) : base;
    if (increase.isZero()) return;
    const required = increase.mul(price).toNumber() / this.settings.leverage;
    const available = this.totals().available;
    if (required > available) {
      throw this.error('HH_ERR_VENUE_INSUFFICIENT_MARGIN', 'rejected',
        `margin is insufficient: the order needs ${required} ${this.settings.currency}, ${available} available`, '-2019');
    }
  }

  /** Drops the oldest final orders down to 90% of the limit (in batches, so it runs rarely). */
  private forgetOldOrders(): void {
    let excess = this.orders.size - Math.floor(this.settings.maxKeptOrders * 0.9);
    for (const [id, order] of this.orders) {
      if (excess <= 0) break;
      if (order.view.status === 'open') continue;
      this.orders.delete(id);
      excess--;
    }
  }

  private rest(order: PaperOrder): void {
    let list = this.resting.get(order.view.symbol);
    if (!list) {
      list = [];
      this.resting.set(order.view.symbol, list);
    }
    list.push(order);
  }

  private finish(order: PaperOrder, status: 'filled' | 'canceled' | 'expired'): void {
    order.timer?.();
    order.timer = undefined;
    order.view.status = status;
    order.view.updatedAt = this.clock.now();
    if (order.type === 'limit') {
      const list = this.resting.get(order.view.symbol);
      const i = list?.indexOf(order) ?? -1;
      if (i >= 0) list!.splice(i, 1);
    }
  }

  // ── prices, funding, errors ─────────────────────────────────────────────────

  /** The book around the latest ticker, rebuilt only when the ticker changed. */
  private book(symbol: string): { ticker: Ticker; book: SyntheticBook } | undefined {
    const ticker = this.market.ticker(symbol);
    if (!ticker) return undefined;
    const cached = this.books.get(symbol);
    if (cached && cached.ticker === ticker) return cached;
    const spec = this.specs.get(symbol);
    if (!spec) return undefined;
    const entry = { ticker, book: new SyntheticBook(spec, this.settings, ticker) };
    this.books.set(symbol, entry);
    return entry;
  }

  private requireBook(symbol: string): { ticker: Ticker; book: SyntheticBook } {
    const entry = this.book(symbol);
    if (entry) return entry;
    if (!this.specs.has(symbol)) throw this.rejected(`unknown symbol ${symbol}`, '-1121');
    throw this.error('HH_ERR_MARKET_DATA_UNAVAILABLE', 'retryable', `no market price for ${symbol} yet`);
  }

  /** Settles funding at `time`: called by the timer at every period boundary. */
  private settleFunding(time: number): void {
    for (const pos of this.account.openPositions()) {
      const rate = this.fundingRateOf ? this.fundingRateOf(pos.symbol, time) : this.settings.fundingRate;
      if (rate === undefined || rate === 0) continue;
      const mark = this.market.lastPrice(pos.symbol) ?? PaperAccount.entryPrice(pos).toNumber();
      // Longs pay a positive rate, shorts receive it: payment = size × mark × rate, exact.
      const payment = pos.size.mul(mark).mul(rate);
      this.account.chargeFunding(payment);
      if (this.listeners.length > 0) {
        const event: PaperFundingEvent = {
          type: 'funding', venue: this.id, symbol: pos.symbol, size: pos.size.toNumber(), markPrice: mark, rate,
          payment: payment.toNumber(), time,
        };
        if (pos.positionSide) event.positionSide = pos.positionSide;
        this.emit(event);
      }
    }
  }

  private scheduleFunding(): void {
    const period = this.settings.fundingIntervalHours * HOUR_MS;
    const now = this.clock.now();
    const next = (Math.floor(now / period) + 1) * period;
    this.cancelFunding = this.clock.setTimer(next - now, () => {
      if (this.closed) return;
      this.settleFunding(next);
      this.scheduleFunding();
    });
  }

  /**
   * A listener's bug must not cut a fill in half (the book walk would stop mid-way), nor
   * be swallowed: it is rethrown outside the venue's bookkeeping, as an uncaught error.
   */
  private emit(event: PaperEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  private rejected(detail: string, exchangeCode: string): VenueError {
    return this.error('HH_ERR_VENUE_REJECTED', 'rejected', detail, exchangeCode);
  }

  private error(code: ErrorCode, errorClass: VenueErrorClass, detail: string, exchangeCode?: string): VenueError {
    return new VenueError(code, this.id, errorClass, detail, exchangeCode === undefined ? undefined : { exchangeCode });
  }
}

/**
 * Builds a paper venue from its configuration entry (validated here, defaults filled in)
 * and the ports it runs on.
 */
export function createPaperVenue(settings: PaperVenueSettingsInput | PaperVenueSettings, deps: PaperVenueDeps): PaperVenue {
  return new PaperVenue(paperVenueSettingsSchema.parse(settings), deps);
}
