/**
 * Ticker normalisation to CCXT unified symbols of linear perpetuals (`BASE/QUOTE:QUOTE`).
 *
 * hedgehook hedges on linear perpetual futures settled in the quote currency, so every
 * ticker — a TradingView perp (`BINANCE:TRXUSDT.P`), a bare exchange ticker (`TRXUSDT`),
 * or a spot symbol (`TRX/USDT`) — maps to the perp it will be hedged on (`TRX/USDT:USDT`).
 * Inverse (`BTC/USD:BTC`) and dated (`BTC/USDT:USDT-250328`) contracts are refused rather
 * than silently mapped to something else.
 */
import { HedgehookError } from '../core/errors.ts';

/**
 * Quote currencies recognised in concatenated tickers, longest first: `BTCTUSD` must split
 * as BTC/TUSD, not BTCT/USD, and `BTCFDUSD` as BTC/FDUSD.
 */
export const QUOTE_CURRENCIES: readonly string[] = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'USD'];

const ASSET = /^[A-Z0-9]{1,20}$/;
/** TradingView and exchange spellings of "perpetual" at the end of a ticker. */
const PERP_SUFFIX = /(?:\.P|[-_.]?PERP|[-_]SWAP)$/;
const MAX_INPUT = 64;

function linear(base: string, quote: string): string | undefined {
  if (!ASSET.test(base) || !ASSET.test(quote) || base === quote) return undefined;
  return `${base}/${quote}:${quote}`;
}

/** The unified linear-perp symbol, or undefined when the ticker is not recognisable. */
export function tryNormaliseSymbol(input: string): string | undefined {
  if (input.length === 0 || input.length > MAX_INPUT) return undefined;
  const raw = input.trim().toUpperCase();

  if (raw.includes('/')) {
    // Already CCXT-shaped: BASE/QUOTE or BASE/QUOTE:SETTLE.
    const slash = raw.indexOf('/');
    const colon = raw.indexOf(':', slash);
    const base = raw.slice(0, slash);
    const quote = colon === -1 ? raw.slice(slash + 1) : raw.slice(slash + 1, colon);
    if (colon !== -1 && raw.slice(colon + 1) !== quote) return undefined; // inverse or dated
    return linear(base, quote);
  }

  // `EXCHANGE:TICKER` (TradingView's {{exchange}}:{{ticker}}); the venue is chosen by routing.
  const colon = raw.indexOf(':');
  let ticker = colon === -1 ? raw : raw.slice(colon + 1);
  if (ticker.includes(':')) return undefined;
  ticker = ticker.replace(PERP_SUFFIX, '');

  // `TRX-USDT`, `TRX_USDT`: an explicit separator says where the base ends.
  const sep = /^([A-Z0-9]+)[-_]([A-Z0-9]+)$/.exec(ticker);
  if (sep) return linear(sep[1]!, sep[2]!);

  for (const quote of QUOTE_CURRENCIES) {
    if (ticker.length > quote.length && ticker.endsWith(quote)) {
      return linear(ticker.slice(0, -quote.length), quote);
    }
  }
  return undefined;
}

/** Throws HH_ERR_INVALID_PAYLOAD naming the field when the ticker is not recognisable. */
export function normaliseSymbol(input: string): string {
  const symbol = tryNormaliseSymbol(input);
  if (symbol === undefined) {
    throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', `symbol: ${SYMBOL_HINT}`);
  }
  return symbol;
}

export const SYMBOL_HINT = `not a recognisable linear-perpetual ticker (e.g. TRXUSDT.P or TRX/USDT:USDT; quotes ${QUOTE_CURRENCIES.join(', ')})`;
