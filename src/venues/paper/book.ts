/**
 * The paper venue's order book: synthetic, built around the MarketData price each time
 * a new ticker arrives, so a large order walks it and pays slippage.
 *
 * - mid: the ticker's (bid + ask) / 2 when it has both, else its last price;
 * - best ask = mid × (1 + spread/2) rounded UP to the tick, best bid = mid × (1 − spread/2)
 *   rounded DOWN (the rounding widens the spread, never narrows it; at least one tick);
 * - level i lies i × levelStepBps further out, again rounded outward and at least one
 *   tick beyond the previous level;
 * - each level holds `levelNotional` of quote currency, as an amount on the step grid
 *   rounded down (at least one step).
 * Levels are computed on demand and kept until the next ticker: an order that takes one
 * level costs one level's arithmetic, all exact (decimal.ts).
 */
import { Decimal } from '../../core/decimal.ts';
import { maxAmountForNotional, precisionOf, type InstrumentSpec, type Precision } from '../../core/instrument.ts';
import type { Ticker } from '../../core/market.ts';

export interface BookShape {
  spreadBps: number;
  levels: number;
  levelStepBps: number;
  levelNotional: number;
}

export interface BookLevel {
  price: Decimal;
  /** `price` as a number, computed once. */
  priceNumber: number;
  /** Amount units (contracts), on the step grid. */
  amount: Decimal;
}

const BPS = Decimal.parse('0.0001');
const HALF_BPS = Decimal.parse('0.00005');

export type BookSide = 'asks' | 'bids';

export class SyntheticBook {
  readonly symbol: string;
  readonly time: number;
  readonly mid: Decimal;
  readonly midNumber: number;
  private readonly precision: Precision;
  private readonly asks: BookLevel[] = [];
  private readonly bids: BookLevel[] = [];
  private readonly levelNotional: Decimal;
  private readonly stepFraction: Decimal;
  private bidsExhausted = false;

  constructor(private readonly spec: InstrumentSpec, private readonly shape: BookShape, ticker: Ticker) {
    this.symbol = ticker.symbol;
    this.time = ticker.time;
    this.precision = precisionOf(spec);
    this.mid = ticker.bid !== undefined && ticker.ask !== undefined && ticker.bid > 0 && ticker.ask >= ticker.bid
      ? Decimal.from(ticker.bid).add(ticker.ask).mul('0.5')
      : Decimal.from(ticker.last);
    this.midNumber = this.mid.toNumber();
    this.levelNotional = Decimal.from(shape.levelNotional);
    this.stepFraction = Decimal.from(shape.levelStepBps).mul(BPS);
  }

  /** Level `i` (0 = best) of a side, or undefined beyond the book. */
  level(side: BookSide, i: number): BookLevel | undefined {
    if (i >= this.shape.levels) return undefined;
    const levels = side === 'asks' ? this.asks : this.bids;
    while (levels.length <= i) {
      const next = side === 'asks' ? this.nextAsk() : this.nextBid();
      if (!next) return undefined;
      levels.push(next);
    }
    return levels[i];
  }

  /** The first `depth` levels of a side as [price, amount] pairs, best first. */
  side(side: BookSide, depth: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < depth; i++) {
      const l = this.level(side, i);
      if (!l) break;
      out.push([l.priceNumber, l.amount.toNumber()]);
    }
    return out;
  }

  private nextAsk(): BookLevel {
    const i = this.asks.length;
    const tick = this.precision.tick;
    let price: Decimal;
    if (i === 0) {
      const half = Decimal.from(this.shape.spreadBps).mul(HALF_BPS);
      price = this.mid.mul(Decimal.ONE.add(half)).roundToStep(tick, 'ceil');
      const bid = this.level('bids', 0);
      if (bid && price.lte(bid.price)) price = bid.price.add(tick);
    } else {
      const best = this.asks[0]!.price;
      price = best.mul(Decimal.ONE.add(this.stepFraction.mul(i))).roundToStep(tick, 'ceil');
      const floor = this.asks[i - 1]!.price.add(tick);
      if (price.lt(floor)) price = floor;
    }
    return this.makeLevel(price);
  }

  private nextBid(): BookLevel | undefined {
    if (this.bidsExhausted) return undefined;
    const i = this.bids.length;
    const tick = this.precision.tick;
    let price: Decimal;
    if (i === 0) {
      const half = Decimal.from(this.shape.spreadBps).mul(HALF_BPS);
      price = this.mid.mul(Decimal.ONE.sub(half)).roundToStep(tick, 'floor');
    } else {
      const best = this.bids[0]!.price;
      price = best.mul(Decimal.ONE.sub(this.stepFraction.mul(i))).roundToStep(tick, 'floor');
      const ceiling = this.bids[i - 1]!.price.sub(tick);
      if (price.gt(ceiling)) price = ceiling;
    }
    // A price near zero leaves no room for more bids.
    if (price.sign() <= 0) {
      this.bidsExhausted = true;
      return undefined;
    }
    return this.makeLevel(price);
  }

  private makeLevel(price: Decimal): BookLevel {
    let amount = maxAmountForNotional(this.spec, this.levelNotional, price);
    if (amount.isZero()) amount = this.precision.step;
    return { price, priceNumber: price.toNumber(), amount };
  }
}
