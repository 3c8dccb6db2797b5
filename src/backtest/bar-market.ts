/**
 * The MarketData port over historical bars, moved by the replay. The price known at a
 * moment is the CLOSE of the last bar that has closed by then (a bar opened at t closes at
 * t + interval): the engine and the paper venue never see a price from the future.
 *
 * Publishing a ticker per bar would cost more than the rest of the bar's work, so the
 * ticker is built on demand; listeners (if any subscribe) are told of every bar.
 */
import type { Bar, MarketData, Ticker } from '../core/market.ts';
import { TickerHub } from '../marketdata/ticker-hub.ts';

export class BarMarket implements MarketData {
  readonly kind = 'replay' as const;
  readonly description: string;
  private readonly hub = new TickerHub();
  private listeners = 0;
  private index = -1;
  /** The ticker of the current bar, built once: a consumer may cache by identity. */
  private current: Ticker | undefined;

  constructor(
    readonly symbol: string,
    private readonly bars: readonly Bar[],
    readonly intervalMs: number,
    source: string,
  ) {
    this.description = `backtest replay of ${source}`;
  }

  /** Makes bar `i` the latest closed bar. */
  closeBar(i: number): void {
    this.index = i;
    this.current = undefined;
    if (this.listeners > 0) this.hub.publish(this.currentTicker()!);
  }

  private currentTicker(): Ticker | undefined {
    if (this.index < 0) return undefined;
    if (!this.current) {
      const bar = this.bars[this.index]!;
      this.current = { symbol: this.symbol, time: bar.time + this.intervalMs, last: bar.close };
    }
    return this.current;
  }

  lastPrice(symbol: string): number | undefined {
    return symbol === this.symbol && this.index >= 0 ? this.bars[this.index]!.close : undefined;
  }

  ticker(symbol: string): Ticker | undefined {
    return symbol === this.symbol ? this.currentTicker() : undefined;
  }

  onTicker(listener: (ticker: Ticker) => void): () => void {
    this.listeners++;
    const off = this.hub.onTicker(listener);
    return () => {
      this.listeners--;
      off();
    };
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}
}

/** The bar spacing of a series: the most common gap between consecutive bars. */
export function barInterval(bars: readonly Bar[]): number {
  const counts = new Map<number, number>();
  const n = Math.min(bars.length, 1001);
  for (let i = 1; i < n; i++) {
    const gap = bars[i]!.time - bars[i - 1]!.time;
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 60_000;
  let seen = 0;
  for (const [gap, count] of counts) if (count > seen || (count === seen && gap < best)) [best, seen] = [gap, count];
  return best;
}
