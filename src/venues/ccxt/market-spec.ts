/**
 * An InstrumentSpec from ccxt's market data, exactly: ccxt gives precisions and limits as
 * JavaScript numbers whose shortest text is the exchange's own decimal ("0.00001"), which
 * Decimal.from reads without binary error. Nothing is rounded here.
 */
import ccxt, { type MarketInterface } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import type { InstrumentSpec } from '../../core/instrument.ts';
import { VenueError } from '../../core/venue.ts';

/** A precision value as a step: TICK_SIZE mode gives the step itself, DECIMAL_PLACES the number of decimals. */
function step(value: number | undefined, precisionMode: number, what: string, venue: string, symbol: string): string {
  if (value === undefined || !(value > 0)) {
    throw new VenueError('HH_ERR_VENUE_REJECTED', venue, 'rejected', `${symbol}: the exchange gives no ${what} precision`);
  }
  if (precisionMode === ccxt.TICK_SIZE) return Decimal.from(value).toString();
  if (precisionMode === ccxt.DECIMAL_PLACES && Number.isInteger(value)) return Decimal.of(1n, value).toString();
  throw new VenueError('HH_ERR_VENUE_REJECTED', venue, 'rejected', `${symbol}: unsupported ccxt precision mode ${precisionMode}`);
}

export function instrumentFromMarket(
  venue: string,
  market: MarketInterface,
  precisionMode: number,
  minNotionalExemptReduceOnly: boolean,
): InstrumentSpec {
  const symbol = market.symbol;
  const minCost = market.limits?.cost?.min;
  return {
    symbol,
    tickSize: step(market.precision?.price, precisionMode, 'price', venue, symbol),
    stepSize: step(market.precision?.amount, precisionMode, 'amount', venue, symbol),
    minNotional: minCost === undefined ? '0' : Decimal.from(minCost).toString(),
    contractSize: Decimal.from(market.contractSize ?? 1).toString(),
    minNotionalExemptReduceOnly,
  };
}
