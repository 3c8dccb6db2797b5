/**
 * A public (key-less) ccxt client for market data: klines for `data fetch`, tickers for
 * the live feed. ccxt's rate limiter stays on; requests time out quickly.
 *
 * `url` points every REST endpoint of the exchange at another origin (a local fake in
 * tests, a proxy in production) by replacing the scheme and host of each URL in
 * `exchange.urls.api` and keeping the path, so `https://fapi.binance.com/fapi/v1` becomes
 * `http://127.0.0.1:PORT/fapi/v1`. ccxt otherwise would always reach the real exchange.
 */
import ccxt, { type Exchange } from 'ccxt';
import { HedgehookError } from '../core/errors.ts';

export interface CcxtClientOptions {
  /** Another origin for every REST URL, e.g. `http://127.0.0.1:8081`. */
  url?: string;
  /** Per-request timeout; default 10 s (a page of klines is one small request). */
  timeoutMs?: number;
}

type UrlTree = string | { [key: string]: UrlTree };

function withOrigin(tree: UrlTree, origin: string): UrlTree {
  if (typeof tree === 'string') return tree.replace(/^[a-z]+:\/\/[^/]+/i, origin);
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, withOrigin(v, origin)]));
}

/** The origin (scheme://host:port) of a URL given by the user, or one clear line. */
export function parseOrigin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HedgehookError('HH_ERR_USAGE', `not a URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new HedgehookError('HH_ERR_USAGE', `not an http(s) URL: ${url}`);
  return parsed.origin;
}

/** The ccxt exchange ids this ccxt knows, for error messages. */
export function knownExchange(id: string): boolean {
  return (ccxt.exchanges as string[]).includes(id);
}

export function createCcxtClient(exchangeId: string, options: CcxtClientOptions = {}): Exchange {
  if (!knownExchange(exchangeId)) {
    throw new HedgehookError('HH_ERR_USAGE', `unknown exchange "${exchangeId}" (a ccxt id such as binanceusdm, okx, bybit)`);
  }
  const ExchangeClass = (ccxt as unknown as Record<string, new (config: object) => Exchange>)[exchangeId]!;
  const exchange = new ExchangeClass({ enableRateLimit: true, timeout: options.timeoutMs ?? 10_000 });
  if (options.url !== undefined) exchange.urls['api'] = withOrigin(exchange.urls['api'] as UrlTree, parseOrigin(options.url)) as typeof exchange.urls['api'];
  return exchange;
}

interface FeatureSection {
  fetchOHLCV?: { limit?: number };
  linear?: FeatureSection;
  inverse?: FeatureSection;
}

/** Bars per fetchOHLCV request: the exchange's own maximum as ccxt describes it, else 500. */
export function ohlcvPageSize(exchange: Exchange, market: { type?: string; linear?: boolean | undefined }): number {
  const byType = (exchange.features as Record<string, FeatureSection | undefined> | undefined)?.[market.type ?? 'spot'];
  const section = market.type === 'swap' || market.type === 'future' ? byType?.[market.linear === false ? 'inverse' : 'linear'] : byType;
  return section?.fetchOHLCV?.limit ?? 500;
}
