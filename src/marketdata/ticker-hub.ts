/**
 * What every offline feed shares: the latest ticker per symbol and the listeners. A feed
 * decides WHEN a price happens; the hub remembers it and tells the subscribers.
 */
import type { Ticker } from '../core/market.ts';

export type TickerListener = (ticker: Ticker) => void;

export class TickerHub {
  private readonly latest = new Map<string, Ticker>();
  private listeners: TickerListener[] = [];

  ticker(symbol: string): Ticker | undefined {
    return this.latest.get(symbol);
  }

  lastPrice(symbol: string): number | undefined {
    return this.latest.get(symbol)?.last;
  }

  onTicker(listener: TickerListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Records the ticker, then calls every listener. A listener that throws does not keep
   * the others from hearing the price; the first error is rethrown afterwards so it is
   * not lost (the feed's timer then surfaces it).
   */
  publish(ticker: Ticker): void {
    this.latest.set(ticker.symbol, ticker);
    // The array is replaced, never mutated, on (un)subscribe: a listener that unsubscribes
    // during the loop does not shift the others.
    const listeners = this.listeners;
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener(ticker);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}
