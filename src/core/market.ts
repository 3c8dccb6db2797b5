/**
 * The MarketData port. Adapters (src/marketdata): live public tickers through ccxt, a
 * replayed price file, or a simulated feed that says so. The paper venue prices its book
 * from here and the decision stage values positions with it.
 */

/**
 * The market-price side of the port as the decision stage needs it: the latest known
 * price of a symbol, synchronously (an adapter keeps its tickers cached).
 */
export interface MarketPriceSource {
  /** The latest price of `symbol` (quote currency), or undefined when none is known. */
  lastPrice(symbol: string): number | undefined;
}

export interface Ticker {
  symbol: string;
  /** Epoch ms of the price (the feed's time, not the time we read it). */
  time: number;
  last: number;
  bid?: number;
  ask?: number;
}

/** [price, amount] levels, best first: bids descending, asks ascending. */
export interface OrderBook {
  symbol: string;
  time: number;
  bids: [number, number][];
  asks: [number, number][];
}

/** One OHLCV bar, as in the price files of shared/data and Binance klines. */
export interface Bar {
  /** Open time, epoch ms. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Where prices come from and what they are: the dashboard and the log must label a
 * simulated feed as simulated.
 */
export type MarketDataKind = 'live' | 'replay' | 'simulated' | 'static';

export interface MarketData extends MarketPriceSource {
  readonly kind: MarketDataKind;
  /** Human-readable origin, e.g. "binanceusdm tickers", "replay of prices.csv at 60x". */
  readonly description: string;
  /** The latest ticker, or undefined when none is known yet. */
  ticker(symbol: string): Ticker | undefined;
  /** Calls `listener` on every new ticker of any symbol; returns an unsubscribe. */
  onTicker(listener: (ticker: Ticker) => void): () => void;
  /** Starts polling / replaying / simulating for these symbols. */
  start(symbols: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
