/**
 * Bybit USDT perpetuals (ccxt `bybit`, v5 API, category "linear"), e.g. TRXUSDT =
 * `TRX/USDT:USDT`. No fake exchange backs this profile yet: it follows Bybit's v5
 * documentation and ccxt's bybit code, and is untested against a server.
 *
 * - Sizes are in base units (contract size 1): `qty` 1 = 1 TRX, on `qtyStep`.
 * - Client order id: `orderLinkId` (ccxt's `clientOrderId` is renamed to it) on create,
 *   cancel and query.
 * - One-way mode: `positionIdx` 0 and `reduceOnly` when reducing. Hedge mode: `positionIdx`
 *   1 (long side) or 2 (short side) on every order; a reduce-only order names the side it
 *   reduces (a sell with positionIdx 1 closes the long), and Bybit accepts reduceOnly there.
 * - fetchOrder on a unified account reads /v5/order/realtime, which holds the last 500
 *   orders: `acknowledged` tells ccxt we know (our look-ups follow a submit closely).
 * - The answers to create and cancel carry only orderId/orderLinkId (`ackOnlyAnswers`).
 * - Errors: `{"retCode": n, "retMsg": "…"}`; 10016 (system error) and 10000-range server
 *   codes make a submit ambiguous; 110025 / 110026 / 110043 mean "already set".
 */
import type { Order } from 'ccxt';
import type { ErrorRule, ExchangeProfile } from '../profile.ts';

const rejected = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_REJECTED', errorClass: 'rejected', hint });
const auth = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_AUTH', errorClass: 'rejected', hint });
const margin: ErrorRule = { code: 'HH_ERR_VENUE_INSUFFICIENT_MARGIN', errorClass: 'rejected', hint: 'not enough margin for this order' };
const notFound = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_ORDER_NOT_FOUND', errorClass: 'rejected', hint });

/** Bybit v5 return codes (docs: "Error Codes" → UTA / contract), those of an order flow. */
export const BYBIT_ERROR_CODES: Readonly<Record<string, ErrorRule>> = {
  '10000': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', onSubmit: 'ambiguous', hint: 'server timeout' },
  '10001': rejected('a parameter was refused'),
  '10002': rejected('request timestamp outside recv_window: check the system clock (NTP)'),
  '10003': auth('invalid API key'),
  '10004': auth('the exchange refused the request signature: check the API secret'),
  '10005': auth('the API key lacks the permission'),
  '10006': { code: 'HH_ERR_VENUE_RATE_LIMITED', errorClass: 'retryable', hint: 'too many requests' },
  '10010': auth('this IP is not in the API key whitelist'),
  '10016': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', onSubmit: 'ambiguous', hint: 'system error' },
  '10018': { code: 'HH_ERR_VENUE_RATE_LIMITED', errorClass: 'retryable', hint: 'IP rate limit exceeded' },
  '33004': auth('the API key has expired'),
  '110001': notFound('no such order'),
  '110003': rejected('order price outside the allowed range'),
  '110004': margin,
  '110007': margin,
  '110008': notFound('order already filled or cancelled'),
  '110010': notFound('order already cancelled'),
  '110012': margin,
  '110017': rejected('reduce-only order would not reduce the position'),
  '110020': rejected('too many open orders'),
  '110044': margin,
  '110045': margin,
  '110072': rejected('client order id already used'),
  '110094': rejected('order notional below the minimum'),
  '170213': notFound('no such order'),
};

const ERROR_JSON = /"retCode"\s*:\s*(\d+)\s*,\s*"retMsg"\s*:\s*"((?:[^"\\]|\\.)*)"/;

export const bybit: ExchangeProfile = {
  id: 'bybit',
  // USDT perpetuals only: spot, inverse and option markets are calls we do not need.
  ccxtOptions: { defaultType: 'swap', defaultSubType: 'linear', fetchMarkets: { types: ['linear'] } },
  orderParams(request, mode, positionSide) {
    const params: Record<string, unknown> = { orderLinkId: request.clientOrderId };
    if (mode === 'hedge') params.positionIdx = positionSide === 'short' ? 2 : 1;
    else params.positionIdx = 0;
    if (request.reduceOnly) params.reduceOnly = true;
    return params;
  },
  lookupParams: (clientOrderId) => ({ orderLinkId: clientOrderId, acknowledged: true }),
  apiUrls: (base) => ({ spot: base, futures: base, v2: base, public: base, private: base }),
  parseError(text) {
    const m = ERROR_JSON.exec(text);
    return m && m[1] !== '0' ? { code: m[1]!, message: m[2]!.replace(/\\"/g, '"') } : undefined;
  },
  errorCodes: BYBIT_ERROR_CODES,
  definiteFailure: () => false,
  // Position mode, margin mode and leverage "not modified".
  noChangeCodes: new Set(['110025', '110026', '110043']),
  // /v5/market/orderbook for linear: 1–500 levels.
  bookLimit: (depth) => Math.min(Math.max(1, depth), 500),
  // Not established for Bybit: the minimum order value is applied to every order (the safe side).
  minNotionalExemptReduceOnly: false,
  ackOnlyAnswers: true,
  reducesPosition(order: Order) {
    const idx = Number((order.info as { positionIdx?: string | number } | undefined)?.positionIdx);
    if (idx === 1) return order.side === 'sell';
    if (idx === 2) return order.side === 'buy';
    return order.reduceOnly;
  },
};
