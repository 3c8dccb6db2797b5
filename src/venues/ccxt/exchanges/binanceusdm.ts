/**
 * Binance USDⓈ-M futures (ccxt `binanceusdm`).
 *
 * - Client order id: `newClientOrderId` on create, `origClientOrderId` on query/cancel
 *   (ccxt takes `clientOrderId` for both and renames it).
 * - One-way mode: `reduceOnly=true` when reducing; no position side (BOTH).
 * - Hedge mode ("dual side"): `positionSide=LONG|SHORT` on every order and NO reduceOnly —
 *   Binance refuses it there (-1106); a SELL on LONG or a BUY on SHORT is what reduces.
 * - Error codes are classed here, not by ccxt: ccxt applies its futures-specific table
 *   (-2019, -2022, -4116…) only when the URL is fapi.binance.com, so a proxy or the test
 *   fake would turn them into a bare ExchangeError.
 * - 5xx on submit (General Info, "HTTP Return Codes"): "the execution status is UNKNOWN
 *   and could have been a success" — except three documented certain failures:
 *   503 "Service Unavailable.", 503 "Internal error; unable to process your request.
 *   Please try again." (-1001) and -1008 "Request throttled by system-level protection".
 *   Those are retryable; every other 5xx on submit is ambiguous (look the order up first).
 */
import type { ExchangeProfile, ErrorRule } from '../profile.ts';

const rejected = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_REJECTED', errorClass: 'rejected', hint });
const auth = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_AUTH', errorClass: 'rejected', hint });
const margin: ErrorRule = { code: 'HH_ERR_VENUE_INSUFFICIENT_MARGIN', errorClass: 'rejected', hint: 'not enough margin for this order' };
const notFound: ErrorRule = { code: 'HH_ERR_VENUE_ORDER_NOT_FOUND', errorClass: 'rejected', hint: 'no such order' };
/** "Execution status unknown" answers: harmless to repeat a read, never a submit. */
const unknownOutcome = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', onSubmit: 'ambiguous', hint });

export const BINANCE_ERROR_CODES: Readonly<Record<string, ErrorRule>> = {
  '-1000': unknownOutcome('unknown error on the exchange'),
  '-1001': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', hint: 'internal error, nothing was executed' },
  '-1002': auth('the API key may not do this'),
  '-1003': { code: 'HH_ERR_VENUE_RATE_LIMITED', errorClass: 'retryable', hint: 'request weight limit reached' },
  '-1006': unknownOutcome('unexpected answer from the matching engine, execution status unknown'),
  '-1007': { code: 'HH_ERR_VENUE_TIMEOUT', errorClass: 'retryable', onSubmit: 'ambiguous', hint: 'the exchange timed out internally, execution status unknown' },
  '-1008': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', hint: 'exchange overloaded, nothing was executed' },
  '-1015': { code: 'HH_ERR_VENUE_RATE_LIMITED', errorClass: 'retryable', hint: 'too many new orders' },
  '-1021': rejected('request timestamp outside recvWindow: check the system clock (NTP)'),
  '-1022': auth('the exchange refused the request signature: check the API secret'),
  '-1111': rejected('amount or price has more decimals than the instrument allows'),
  '-1121': rejected('unknown symbol'),
  '-2010': rejected('order refused by the exchange'),
  '-2011': notFound,
  '-2013': notFound,
  '-2014': auth('API key missing or malformed'),
  '-2015': auth('API key invalid, or this IP / permission is not allowed'),
  '-2018': margin,
  '-2019': margin,
  '-2022': rejected('reduce-only order would not reduce the position'),
  '-2027': margin,
  '-2028': margin,
  '-4003': rejected('quantity must be positive'),
  '-4005': rejected('quantity above the maximum'),
  '-4014': rejected('price not on the tick grid'),
  '-4015': rejected('client order id not accepted'),
  '-4028': rejected('leverage not allowed for this symbol'),
  '-4048': rejected('margin mode cannot change while a position is open'),
  '-4061': rejected("position side does not match the account's position mode"),
  '-4067': rejected('position mode cannot change while orders are open'),
  '-4068': rejected('position mode cannot change while a position is open'),
  '-4116': rejected('client order id already used'),
  '-4164': rejected('order notional below the minimum'),
  '-5022': rejected('post-only order would have taken liquidity'),
};

/** Depths /fapi/v1/depth accepts. */
const BOOK_LIMITS = [5, 10, 20, 50, 100, 500, 1000];
const ERROR_JSON = /\{\s*"code"\s*:\s*(-?\d+)\s*,\s*"msg"\s*:\s*"((?:[^"\\]|\\.)*)"/;

export const binanceusdm: ExchangeProfile = {
  id: 'binanceusdm',
  // The spot wallet's currency list is a private sapi call ccxt makes on load when keys
  // are set; a futures-only key (or the fake) cannot answer it, and we do not need it.
  ccxtOptions: { fetchCurrencies: false },
  orderParams(request, mode, positionSide) {
    const params: Record<string, unknown> = { newClientOrderId: request.clientOrderId };
    if (mode === 'hedge') params.positionSide = positionSide === 'short' ? 'SHORT' : 'LONG';
    else if (request.reduceOnly) params.reduceOnly = true;
    return params;
  },
  lookupParams: (clientOrderId) => ({ origClientOrderId: clientOrderId }),
  apiUrls: (base) => ({
    fapiPublic: `${base}/fapi/v1`,
    fapiPublicV2: `${base}/fapi/v2`,
    fapiPublicV3: `${base}/fapi/v3`,
    fapiPrivate: `${base}/fapi/v1`,
    fapiPrivateV2: `${base}/fapi/v2`,
    fapiPrivateV3: `${base}/fapi/v3`,
    fapiData: `${base}/futures/data`,
  }),
  parseError(text) {
    const m = ERROR_JSON.exec(text);
    return m ? { code: m[1]!, message: m[2]!.replace(/\\"/g, '"') } : undefined;
  },
  errorCodes: BINANCE_ERROR_CODES,
  definiteFailure(status, body) {
    if (status !== 503) return false;
    return body.includes('Service Unavailable.') || /"code"\s*:\s*-100[18]\b/.test(body);
  },
  noChangeCodes: new Set(['-4046', '-4059']),
  // Binance retired the futures testnet ccxt calls "sandbox"; its demo-trading host replaced it.
  enableTestEnvironment: (exchange) => exchange.enableDemoTrading(true),
  bookLimit: (depth) => BOOK_LIMITS.find((l) => l >= depth) ?? 1000,
  // "Order's notional must be no smaller than 5 (unless you choose reduce only)."
  minNotionalExemptReduceOnly: true,
  reducesPosition(order) {
    const positionSide = (order.info as { positionSide?: string } | undefined)?.positionSide;
    if (positionSide === 'LONG') return order.side === 'sell';
    if (positionSide === 'SHORT') return order.side === 'buy';
    return order.reduceOnly;
  },
};
