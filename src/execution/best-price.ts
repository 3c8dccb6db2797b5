/**
 * Best-price ranking: the expected average price of the whole amount on each venue,
 * walking its order book level by level, with the venue's taker fee folded in
 * (a buy pays price × (1 + fee), a sell receives price × (1 − fee)).
 *
 * Ranking, best first: venues whose book holds the whole amount, by expected price;
 * then venues whose book is too thin, by the price of what it holds (they may still fill
 * in part and the rest moves on); then venues whose book could not be read, in the
 * configured order. Ties keep the configured order, so the ranking is deterministic.
 * Prices are compared as numbers: a ranking, not an amount, so no rounding reaches money.
 */
import type { OrderIntent } from '../core/decision.ts';
import type { OrderBook } from '../core/market.ts';

export interface ExpectedFill {
  /** Amount the book can absorb, up to the wanted amount. */
  amount: number;
  /** Volume-weighted price of that amount, before fees. */
  averagePrice: number;
}

/** Walks one side of the book for `amount`: buys take asks, sells take bids. */
export function expectedFill(book: OrderBook, side: OrderIntent['side'], amount: number): ExpectedFill | undefined {
  const levels = side === 'buy' ? book.asks : book.bids;
  let left = amount;
  let cost = 0;
  for (const [price, size] of levels) {
    if (left <= 0) break;
    const take = Math.min(left, size);
    cost += take * price;
    left -= take;
  }
  const got = amount - left;
  if (got <= 0) return undefined;
  return { amount: got, averagePrice: cost / got };
}

export function rankByExpectedPrice(
  venues: readonly string[],
  books: ReadonlyMap<string, OrderBook>,
  intent: Pick<OrderIntent, 'side' | 'amount'>,
  takerFee: (venue: string) => number,
): string[] {
  const scored = venues.map((id, index) => {
    const book = books.get(id);
    const fill = book ? expectedFill(book, intent.side, intent.amount) : undefined;
    if (!fill) return { id, index, tier: 2, price: 0 };
    const fee = takerFee(id);
    const price = intent.side === 'buy' ? fill.averagePrice * (1 + fee) : fill.averagePrice * (1 - fee);
    return { id, index, tier: fill.amount >= intent.amount ? 0 : 1, price };
  });
  scored.sort((a, b) => {
    if (a.tier !== b.tier) return a.tier - b.tier;
    if (a.tier < 2 && a.price !== b.price) return intent.side === 'buy' ? a.price - b.price : b.price - a.price;
    return a.index - b.index;
  });
  return scored.map((s) => s.id);
}
