/**
 * The Venue port: one exchange account (or the paper venue) as the router sees it.
 * Adapters: src/venues/paper (fills against a simulated book) and src/venues/ccxt (real
 * exchanges). The router (src/execution) only ever talks to this interface.
 *
 * Idempotency rests on the client order id: the router derives it from the signal id,
 * the leg and the venue, so the same leg always carries the same id. Every adapter must
 * pass it through to the exchange (Binance `newClientOrderId`, OKX `clOrdId`, Bybit
 * `orderLinkId`) and be able to look an order up by it.
 *
 * Errors are VenueErrors, classed by what the caller may do next:
 * - `retryable`: nothing happened on the exchange (connection refused, 5xx before the
 *   order was accepted, 429); the same request may be sent again, here or elsewhere.
 * - `rejected`: the exchange refused for good (bad signature, insufficient margin,
 *   reduce-only would increase, unknown symbol); do not send the same thing again here.
 * - `ambiguous`: the outcome is unknown (a timeout or a dropped connection after the
 *   request left); the order must be looked up by client order id before anything is
 *   sent again.
 */
import type { OrderSide } from './decision.ts';
import { HedgehookError, type ErrorCode } from './errors.ts';
import type { InstrumentSpec } from './instrument.ts';
import type { OrderBook, Ticker } from './market.ts';

export type VenueErrorClass = 'retryable' | 'rejected' | 'ambiguous';

export class VenueError extends HedgehookError {
  readonly venue: string;
  readonly errorClass: VenueErrorClass;
  /** The exchange's own code, when it gave one (e.g. Binance -2019). */
  readonly exchangeCode: string | undefined;
  /** How long the venue asked us to wait (HTTP Retry-After on a 429/418/503), when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    venue: string,
    errorClass: VenueErrorClass,
    detail: string,
    options?: { cause?: unknown; exchangeCode?: string; retryAfterMs?: number },
  ) {
    super(code, `${venue}: ${detail}`, { cause: options?.cause, retryable: errorClass === 'retryable' });
    this.name = 'VenueError';
    this.venue = venue;
    this.errorClass = errorClass;
    this.exchangeCode = options?.exchangeCode;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

export function isVenueError(err: unknown): err is VenueError {
  return err instanceof VenueError;
}

export type OrderType = 'market' | 'limit';
/** Hedge mode (dual side) needs the position side on every order; one-way mode does not. */
export type PositionSideParam = 'long' | 'short';

export interface OrderRequest {
  /** ≤ 32 characters of [A-Za-z0-9] so every exchange accepts it (OKX allows no '-' or '_'). */
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  /** > 0, on the instrument's step grid, in amount units (contracts × contractSize = base). */
  amount: number;
  type: OrderType;
  /** Limit price on the tick grid; required for 'limit'. */
  price?: number;
  reduceOnly: boolean;
  /** Set by the adapter from its position mode when the caller leaves it out. */
  positionSide?: PositionSideParam;
}

/**
 * The venue's view of one order. `open` may already be partly filled; `canceled` and
 * `expired` may be too (`filled` says how much). Final states: filled, canceled,
 * expired, rejected.
 */
export type VenueOrderStatus = 'open' | 'filled' | 'canceled' | 'expired' | 'rejected';

export const FINAL_ORDER_STATUSES: ReadonlySet<VenueOrderStatus> = new Set(['filled', 'canceled', 'expired', 'rejected']);

export interface VenueOrder {
  venue: string;
  clientOrderId: string;
  /** The exchange's own id, once it has one. */
  exchangeOrderId?: string;
  symbol: string;
  side: OrderSide;
  amount: number;
  /** Filled amount so far, 0 ≤ filled ≤ amount. */
  filled: number;
  /** Volume-weighted fill price; absent while nothing filled. */
  averagePrice?: number;
  /** Fees paid on the fills, quote currency (negative = rebate). */
  fee: number;
  status: VenueOrderStatus;
  reduceOnly: boolean;
  /** Epoch ms of the venue's last update (its clock, or ours for the paper venue). */
  updatedAt: number;
}

export interface VenuePosition {
  symbol: string;
  /** Signed base-asset size: long +, short −. */
  size: number;
  entryPrice?: number;
  leverage?: number;
  /** Set in hedge mode: the two sides are separate positions. */
  positionSide?: PositionSideParam;
  unrealisedPnl?: number;
  liquidationPrice?: number;
  marginMode?: 'isolated' | 'cross';
}

export interface VenueBalance {
  /** Quote currency of the account (USDT). */
  currency: string;
  /** Wallet balance plus unrealised PnL. */
  equity: number;
  /** What new orders may use as margin. */
  available: number;
}

export interface Venue {
  readonly id: string;
  /** 'paper' or the ccxt exchange id; shown on the dashboard and in metrics. */
  readonly kind: string;
  /** Exchange precision and limits of a symbol, once known (after `start`). */
  instrument(symbol: string): InstrumentSpec | undefined;
  /** Loads markets, applies leverage / margin mode / position mode as configured. */
  start(): Promise<void>;
  /**
   * Sends one order. Resolves with the venue's view right after acceptance (a market
   * order is usually already filled). Aborting the signal after the request left makes
   * the outcome ambiguous: the adapter rejects with an `ambiguous` VenueError.
   */
  submit(request: OrderRequest, signal?: AbortSignal): Promise<VenueOrder>;
  /**
   * Cancels by client order id and resolves with the order's final view (a cancel that
   * lost the race against a fill resolves with the filled order, not an error). An
   * unknown id rejects with HH_ERR_VENUE_ORDER_NOT_FOUND.
   */
  cancel(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder>;
  /** Looks an order up by client order id; undefined when the venue never saw it. */
  fetchOrder(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder | undefined>;
  positions(symbols?: readonly string[], signal?: AbortSignal): Promise<VenuePosition[]>;
  balance(signal?: AbortSignal): Promise<VenueBalance>;
  ticker(symbol: string, signal?: AbortSignal): Promise<Ticker>;
  orderBook(symbol: string, depth?: number, signal?: AbortSignal): Promise<OrderBook>;
  /** Fee rates as fractions of notional (0.0005 = 0.05%). */
  fees(symbol: string): { taker: number; maker: number };
  close(): Promise<void>;
}
