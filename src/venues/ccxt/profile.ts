/**
 * An exchange profile: what the ccxt adapter must know about one exchange that ccxt's
 * unified API does not hide. One file per ccxt id in ./exchanges/, registered in
 * ./exchanges/index.ts; an exchange without one gets `genericProfile` (safe defaults:
 * unified params, every unknown 5xx on submit ambiguous).
 *
 * Keep it data-first: the adapter (venue.ts) does the calls, the profile only says how
 * to spell the order's parameters, where the endpoints are and what the error codes mean.
 */
import type { Exchange, Order } from 'ccxt';
import type { ErrorCode } from '../../core/errors.ts';
import type { OrderRequest, PositionSideParam, VenueErrorClass } from '../../core/venue.ts';

export type PositionMode = 'one-way' | 'hedge';

/** How one exchange error code is classed, whatever host ccxt talked to. */
export interface ErrorRule {
  code: ErrorCode;
  errorClass: VenueErrorClass;
  /** The class when the failed call was an order submission, if different (e.g. "status unknown" codes). */
  onSubmit?: VenueErrorClass;
  /** A short explanation for the user, added to the exchange's own message. */
  hint?: string;
}

/** An exchange error as found in a ccxt message or a response body. */
export interface ExchangeErrorInfo {
  code: string;
  message?: string;
}

export interface ExchangeProfile {
  /** The ccxt exchange id. */
  readonly id: string;
  /** ccxt constructor options this exchange needs (e.g. no private currency call on load). */
  readonly ccxtOptions?: Readonly<Record<string, unknown>>;
  /**
   * The createOrder params: the client order id, and how reduce-only and the position
   * side are said in the account's position mode. `positionSide` is set in hedge mode
   * only (already resolved: the side of the position the order opens or reduces).
   */
  orderParams(
    request: OrderRequest,
    mode: PositionMode,
    positionSide: PositionSideParam | undefined,
    /** The configured margin mode, for exchanges that say it on every order (OKX `tdMode`). */
    marginMode?: 'cross' | 'isolated',
  ): Record<string, unknown>;
  /** fetchOrder / cancelOrder params that name an order by client order id. */
  lookupParams(clientOrderId: string): Record<string, unknown>;
  /** ccxt `urls.api` entries that put every REST endpoint the adapter uses under `baseUrl`. */
  apiUrls(baseUrl: string): Record<string, string>;
  /** The exchange's error code (and message) in a ccxt error message or a raw body. */
  parseError(text: string): ExchangeErrorInfo | undefined;
  /** Exchange codes, classed explicitly (ccxt maps some only for the official hosts). */
  readonly errorCodes: Readonly<Record<string, ErrorRule>>;
  /**
   * True when a 5xx answer to an order submission is documented as "not executed";
   * every other 5xx on submit is ambiguous.
   */
  definiteFailure(status: number, body: string): boolean;
  /** Codes that mean "already set" when applying leverage, margin mode or position mode. */
  readonly noChangeCodes: ReadonlySet<string>;
  /** A depth the order-book endpoint accepts, ≥ `depth` where possible. */
  bookLimit(depth: number): number;
  /** Switches ccxt to the exchange's test environment (`sandbox: true`); default `setSandboxMode(true)`. */
  enableTestEnvironment?(exchange: Exchange): void;
  /** Whether the minimum notional spares reduce-only orders (InstrumentSpec). */
  readonly minNotionalExemptReduceOnly: boolean;
  /**
   * The answers to create and cancel carry only the order's ids (OKX, Bybit): the adapter
   * looks the order up by client order id right after, to report its real state and fills.
   */
  readonly ackOnlyAnswers?: boolean;
  /**
   * Applies margin mode and leverage where the exchange sets them together (OKX: one
   * set-leverage per margin mode, and per side for isolated hedge mode). Without it the
   * adapter calls ccxt's setMarginMode and setLeverage.
   */
  applyMarginAndLeverage?(
    exchange: Exchange,
    symbol: string,
    settings: { marginMode?: 'cross' | 'isolated'; leverage?: number; mode: PositionMode },
  ): Promise<void>;
  /**
   * Whether an order the exchange reports reduces a position, when ccxt's `reduceOnly`
   * does not say (hedge-mode orders carry the position side instead).
   */
  reducesPosition?(order: Order): boolean | undefined;
}

/** The side of the position an order opens (or, reduce-only, reduces) in hedge mode. */
export function hedgePositionSide(side: 'buy' | 'sell', reduceOnly: boolean): PositionSideParam {
  const opensLong = side === 'buy';
  return opensLong !== reduceOnly ? 'long' : 'short';
}

/** Unified ccxt params; what most exchanges accept. */
export function genericProfile(id: string): ExchangeProfile {
  return {
    id,
    orderParams(request, mode, positionSide) {
      const params: Record<string, unknown> = { clientOrderId: request.clientOrderId };
      if (mode === 'hedge') {
        params.hedged = true;
        if (positionSide) params.positionSide = positionSide;
      }
      if (request.reduceOnly) params.reduceOnly = true;
      return params;
    },
    lookupParams: (clientOrderId) => ({ clientOrderId }),
    apiUrls: () => ({}),
    parseError: () => undefined,
    errorCodes: {},
    definiteFailure: () => false,
    noChangeCodes: new Set(),
    bookLimit: (depth) => depth,
    minNotionalExemptReduceOnly: false,
  };
}
