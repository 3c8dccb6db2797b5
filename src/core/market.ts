/**
 * The market-price side of the MarketData port, as the decision stage needs it: the
 * latest known price of a symbol, synchronously (an adapter keeps its tickers cached).
 * The live feed (CCXT tickers, a replayed price file) arrives with the execution issue;
 * until then the wiring passes none and the decision values positions at the signal's
 * own price (see src/engine/decision-stage.ts).
 */
export interface MarketPriceSource {
  /** The latest price of `symbol` (quote currency), or undefined when none is known. */
  lastPrice(symbol: string): number | undefined;
}
