/**
 * A feed whose prices change only when told (`set`): for tests and for pricing a paper
 * venue at a fixed price. Kind 'static', so nobody mistakes it for a market.
 */
import type { Clock } from '../core/clock.ts';
import type { MarketData, Ticker } from '../core/market.ts';
import { TickerHub } from './ticker-hub.ts';

export interface StaticFeedDeps {
  /** Stamps each ticker; without one, tickers carry time 0. */
  clock?: Clock;
}

export class StaticFeed implements MarketData {
  readonly kind = 'static' as const;
  readonly description = 'static prices set by hand — not a market';
  private readonly hub = new TickerHub();

  constructor(initial: Record<string, number> = {}, private readonly deps: StaticFeedDeps = {}) {
    // Known at once, before start: a test may price a venue without starting the feed.
    for (const [symbol, price] of Object.entries(initial)) this.hub.publish(this.make(symbol, price));
  }

  ticker(symbol: string): Ticker | undefined {
    return this.hub.ticker(symbol);
  }

  lastPrice(symbol: string): number | undefined {
    return this.hub.lastPrice(symbol);
  }

  onTicker(listener: (ticker: Ticker) => void): () => void {
    return this.hub.onTicker(listener);
  }

  async start(_symbols: readonly string[]): Promise<void> {}

  async close(): Promise<void> {}

  /** Publishes a new price (with optional bid/ask) to every listener. */
  set(symbol: string, last: number, quote?: { bid?: number; ask?: number }): Ticker {
    const ticker = this.make(symbol, last, quote);
    this.hub.publish(ticker);
    return ticker;
  }

  private make(symbol: string, last: number, quote?: { bid?: number; ask?: number }): Ticker {
    const ticker: Ticker = { symbol, time: this.deps.clock?.now() ?? 0, last };
    if (quote?.bid !== undefined) ticker.bid = quote.bid;
    if (quote?.ask !== undefined) ticker.ask = quote.ask;
    return ticker;
  }
}

export function createStaticFeed(prices: Record<string, number> = {}, deps: StaticFeedDeps = {}): StaticFeed {
  return new StaticFeed(prices, deps);
}
