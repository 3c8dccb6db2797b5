/**
 * OKX perpetual swaps (ccxt `okx`), e.g. TRX-USDT-SWAP = `TRX/USDT:USDT`.
 *
 * - Sizes are CONTRACTS, as in ccxt: `amount` 1 = one contract = `ctVal` base units
 *   (TRX-USDT-SWAP: 1000 TRX, stepping by 0.1 contract = 100 TRX). The InstrumentSpec says
 *   so (`contractSize` 1000, `stepSize` 0.1), so a hedge of 12 345 TRX rounds DOWN, in
 *   src/core/instrument.ts, to 12.3 contracts = 12 300 TRX before it gets here.
 * - Client order id: `clOrdId` (1–32 letters and digits) on create, cancel and query.
 * - Margin mode is per order (`tdMode` cross | isolated); leverage is set per instrument
 *   and margin mode (and per position side for isolated margin in long/short mode), so
 *   both go through one set-leverage call (`applyMarginAndLeverage`).
 * - One-way ("net_mode"): `reduceOnly` when reducing, no position side. Hedge
 *   ("long_short_mode"): `posSide` long | short on every order and no `reduceOnly` (OKX
 *   takes it in net mode only): a sell on `long` is what reduces the long.
 * - Orders are placed with POST /api/v5/trade/order (ccxt's default is batch-orders):
 *   one order, one answer, the plain error envelope.
 * - The answers to create and cancel carry only `ordId`/`clOrdId` and sCode: the order is
 *   looked up right after (`ackOnlyAnswers`) to report its state and fills.
 * - Errors: `{code, msg}` at the top, or code "1" ("All operations failed") with the
 *   order's own `sCode`/`sMsg` in `data[0]` — the order's code is the one that says why.
 *   50004 ("endpoint request timeout … does not indicate success or failure of order")
 *   and the system-busy codes make a submit ambiguous.
 */
import type { Exchange, Order } from 'ccxt';
import type { ErrorRule, ExchangeErrorInfo, ExchangeProfile } from '../profile.ts';

const rejected = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_REJECTED', errorClass: 'rejected', hint });
const auth = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_AUTH', errorClass: 'rejected', hint });
const margin: ErrorRule = { code: 'HH_ERR_VENUE_INSUFFICIENT_MARGIN', errorClass: 'rejected', hint: 'not enough margin for this order' };
const notFound = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_ORDER_NOT_FOUND', errorClass: 'rejected', hint });
const busy = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', onSubmit: 'ambiguous', hint });
const limited = (hint: string): ErrorRule => ({ code: 'HH_ERR_VENUE_RATE_LIMITED', errorClass: 'retryable', hint });

/** OKX v5 error codes (docs: "Error Code" → REST API), the ones an order flow meets. */
export const OKX_ERROR_CODES: Readonly<Record<string, ErrorRule>> = {
  // 500xx: general
  '50001': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', hint: 'service temporarily unavailable (maintenance)' },
  '50004': { code: 'HH_ERR_VENUE_TIMEOUT', errorClass: 'retryable', onSubmit: 'ambiguous', hint: 'the exchange timed out internally: the order may or may not exist' },
  '50005': { code: 'HH_ERR_VENUE_UNAVAILABLE', errorClass: 'retryable', hint: 'API offline or unavailable' },
  '50011': limited('too many requests'),
  '50013': busy('system busy'),
  '50026': busy('system error'),
  '50061': limited('order rate limit of the account reached'),
  // 501xx: authentication
  '50100': auth('the API key is frozen'),
  '50101': auth('the API key belongs to the other environment (demo vs live): check `sandbox`'),
  '50102': rejected('request timestamp expired: check the system clock (NTP)'),
  '50103': auth('OK-ACCESS-KEY header missing'),
  '50104': auth('OK-ACCESS-PASSPHRASE header missing: set the passphrase'),
  '50105': auth('wrong passphrase'),
  '50106': auth('OK-ACCESS-SIGN header missing'),
  '50107': auth('OK-ACCESS-TIMESTAMP header missing'),
  '50110': auth('this IP is not in the API key whitelist'),
  '50111': auth('invalid API key'),
  '50112': rejected('invalid request timestamp: check the system clock (NTP)'),
  '50113': auth('the exchange refused the request signature: check the API secret'),
  '50114': auth('invalid authorization'),
  '50120': auth('the API key lacks the trade permission'),
  // 510xx: orders
  '51000': rejected('a parameter was refused'),
  '51001': rejected('unknown instrument'),
  '51004': rejected('order size above the current position tier'),
  '51006': rejected('order price outside the allowed band'),
  '51008': margin,
  '51010': rejected('the account mode does not allow this'),
  '51016': rejected('client order id already used'),
  '51020': rejected('order size below the minimum'),
  '51024': auth('the trading account is frozen'),
  '51112': rejected('close size exceeds the position available to close'),
  '51119': margin,
  '51121': rejected('order size not a multiple of the lot size'),
  '51127': margin,
  '51131': margin,
  '51169': rejected('reduce-only order but no position in this direction'),
  '51170': rejected('reduce-only order in the direction of the position'),
  '51202': rejected('market order size above the maximum'),
  '51400': notFound('order already filled, cancelled or unknown'),
  '51401': notFound('order already cancelled'),
  '51402': notFound('order already filled'),
  '51502': margin,
  '51603': notFound('no such order'),
  // 59xxx: account settings
  '59000': rejected('settings cannot change while positions or orders are open'),
  '59102': rejected('leverage above the maximum for this instrument'),
};

/** The order's own code when the envelope says "operation failed"; else the envelope's. */
function codeOf(body: unknown): ExchangeErrorInfo | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { code, msg, data } = body as { code?: unknown; msg?: unknown; data?: unknown };
  if (typeof code !== 'string' || code === '0') return undefined;
  const first = Array.isArray(data) ? (data[0] as { sCode?: unknown; sMsg?: unknown } | undefined) : undefined;
  if (first && typeof first.sCode === 'string' && first.sCode !== '0') {
    return { code: first.sCode, message: typeof first.sMsg === 'string' ? first.sMsg : '' };
  }
  return { code, message: typeof msg === 'string' ? msg : '' };
}

/** OKX's books endpoint returns at most 400 levels a side. */
const MAX_BOOK = 400;

export const okx: ExchangeProfile = {
  id: 'okx',
  ccxtOptions: {
    // Swaps only: loading spot, futures and options markets is four calls we do not need.
    fetchMarkets: { types: ['swap'] },
    createOrder: 'privatePostTradeOrder',
  },
  orderParams(request, mode, positionSide, marginMode) {
    const params: Record<string, unknown> = { clOrdId: request.clientOrderId, tdMode: marginMode ?? 'cross' };
    if (mode === 'hedge') params.posSide = positionSide ?? 'long';
    else if (request.reduceOnly) params.reduceOnly = true;
    return params;
  },
  lookupParams: (clientOrderId) => ({ clOrdId: clientOrderId }),
  apiUrls: (base) => ({ rest: base }),
  parseError(text) {
    const start = text.indexOf('{');
    if (start < 0) return undefined;
    try {
      return codeOf(JSON.parse(text.slice(start)));
    } catch {
      const m = /"code"\s*:\s*"(\d+)"/.exec(text);
      return m && m[1] !== '0' ? { code: m[1]! } : undefined;
    }
  },
  errorCodes: OKX_ERROR_CODES,
  // OKX documents no 5xx as "certainly not executed"; its own codes (above) say more.
  definiteFailure: () => false,
  noChangeCodes: new Set(),
  bookLimit: (depth) => Math.min(Math.max(1, depth), MAX_BOOK),
  // OKX has a minimum size (minSz), no minimum notional.
  minNotionalExemptReduceOnly: false,
  ackOnlyAnswers: true,
  async applyMarginAndLeverage(exchange: Exchange, symbol: string, s) {
    // Without a leverage there is nothing to set: the margin mode travels on each order (tdMode).
    if (s.leverage === undefined) return;
    const marginMode = s.marginMode ?? 'cross';
    // Isolated leverage in long/short mode is per side; cross (and net mode) is one setting.
    const sides = marginMode === 'isolated' && s.mode === 'hedge' ? ['long', 'short'] : [undefined];
    for (const posSide of sides) {
      await exchange.setLeverage(s.leverage, symbol, { marginMode, ...(posSide ? { posSide } : {}) });
    }
  },
  reducesPosition(order: Order) {
    const posSide = (order.info as { posSide?: string } | undefined)?.posSide;
    if (posSide === 'long') return order.side === 'sell';
    if (posSide === 'short') return order.side === 'buy';
    return order.reduceOnly;
  },
};
