/**
 * A simulated feed re-based on the prices that signals report: published price = the
 * simulated walk × (latest signal price ÷ the walk's value when that price arrived).
 *
 * Why: offline with no market data given, the paper venues still need a moving book, but a
 * walk that started at 0.24 drifts away from the prices a user's strategy actually sends;
 * the risk guard would then reject real signals as "too far from the market" and fills
 * would land at prices nobody saw. Anchoring keeps the simulated noise and its volatility
 * while staying where the user's market is. It stays labelled simulated.
 */
import { Decimal } from '../core/decimal.ts';
import type { MarketData, Ticker } from '../core/market.ts';
import { TickerHub } from './ticker-hub.ts';

export class AnchoredFeed implements MarketData {
  readonly kind: MarketData['kind'];
  readonly description: string;
  private readonly hub = new TickerHub();
  private readonly factors = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly inner: MarketData, private readonly tickSizes: (symbol: string) => string | number | undefined = () => undefined) {
    this.kind = inner.kind;
    this.description = `${inner.description}, re-based on the latest price each signal reports`;
    this.unsubscribe = inner.onTicker((t) => this.publish(t));
  }

  /** A signal reported `price` for `symbol`: from now on the walk moves around it. */
  anchor(symbol: string, price: number, time: number): void {
    const walk = this.inner.lastPrice(symbol);
    if (walk === undefined || !(walk > 0) || !(price > 0)) return;
    this.factors.set(symbol, price / walk);
    const t = this.inner.ticker(symbol);
    this.publish({ symbol, time: Math.max(time, t?.time ?? time), last: walk });
  }

  private publish(t: Ticker): void {
    const f = this.factors.get(t.symbol);
    if (f === undefined) return this.hub.publish(t);
    const tick = this.tickSizes(t.symbol);
    const scale = (x: number) => {
      const v = x * f;
      // Published on the tick grid (nearest), like the walk itself.
      return tick === undefined ? v : Decimal.from(v).roundToStep(tick, 'half-up').toNumber();
    };
    const out: Ticker = { symbol: t.symbol, time: t.time, last: scale(t.last) };
    if (t.bid !== undefined) out.bid = scale(t.bid);
    if (t.ask !== undefined) out.ask = scale(t.ask);
    this.hub.publish(out);
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
  start(symbols: readonly string[]): Promise<void> {
    return this.inner.start(symbols);
  }
  async close(): Promise<void> {
    this.unsubscribe();
    await this.inner.close();
  }
}
