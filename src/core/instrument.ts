/**
 * Exchange precision of one instrument, shared by risk (target sizes), execution (order
 * prices), venues (the paper venue mimics the filters) and the backtest.
 *
 * Every rounding of an amount or a price to the exchange grid happens in this file, in
 * exact decimal arithmetic (see decimal.ts), never by `Math.round(x / step) * step`:
 * - amounts round TOWARD ZERO to the step, so we never hedge more than the model asked;
 * - reference prices round to the NEAREST tick (ties away from zero);
 * - limit-order prices round against the order (buy → down, sell → up), so a limit never
 *   allows a worse price than the one asked for.
 */
import { Decimal, type DecimalInput, type RoundingMode } from './decimal.ts';

/**
 * Numbers may be given as decimal strings ("0.00001") to avoid any binary surprise;
 * plain numbers are read by their shortest representation (0.00001 → "0.00001").
 */
export interface InstrumentSpec {
  /** CCXT unified symbol, e.g. `TRX/USDT:USDT`. */
  symbol: string;
  /** Smallest price increment (quote currency). */
  tickSize: DecimalInput;
  /** Smallest amount increment (base-asset units for linear contracts). */
  stepSize: DecimalInput;
  /** Smallest order notional = amount × contractSize × price (quote currency). */
  minNotional: DecimalInput;
  /** Base-asset units per amount unit; 1 for Binance linear USDT-M perpetuals. */
  contractSize: DecimalInput;
  /**
   * Whether a reduce-only order may be below `minNotional` (Binance USDT-M allows it:
   * "notional must be no smaller than 5 (unless you choose reduce only)"). Default false:
   * the minimum applies to every order.
   */
  minNotionalExemptReduceOnly?: boolean;
}

/** TRXUSDT perpetual on Binance USDT-M: tick 0.00001 USDT, step 1 TRX, min notional 5 USDT. */
export const TRX_USDT_PERP: Readonly<InstrumentSpec> = Object.freeze({
  symbol: 'TRX/USDT:USDT',
  tickSize: '0.00001',
  stepSize: '1',
  minNotional: '5',
  contractSize: '1',
});

/** Resolved precision, every field an exact Decimal. */
export interface Precision {
  symbol: string;
  tick: Decimal;
  step: Decimal;
  minNotional: Decimal;
  contractSize: Decimal;
  minNotionalExemptReduceOnly: boolean;
}

const cache = new WeakMap<object, Precision>();

/** Resolves (and caches per spec object) the exact decimals of a spec. */
export function precisionOf(spec: InstrumentSpec): Precision {
  let p = cache.get(spec);
  if (!p) {
    p = {
      symbol: spec.symbol,
      tick: Decimal.from(spec.tickSize),
      step: Decimal.from(spec.stepSize),
      minNotional: Decimal.from(spec.minNotional),
      contractSize: Decimal.from(spec.contractSize),
      minNotionalExemptReduceOnly: spec.minNotionalExemptReduceOnly ?? false,
    };
    cache.set(spec, p);
  }
  return p;
}

/** An amount on the step grid, rounded toward zero (never over-hedge). Exact. */
export function roundAmountExact(spec: InstrumentSpec, amount: DecimalInput): Decimal {
  return Decimal.from(amount).roundToStep(precisionOf(spec).step, 'down');
}

/** `roundAmountExact` as a number: 12345.9 TRX → 12345; 0.1 + 0.2 at step 0.1 → 0.3. */
export function roundAmount(spec: InstrumentSpec, amount: DecimalInput): number {
  return roundAmountExact(spec, amount).toNumber();
}

/** A price on the tick grid; `half-up` (nearest) unless told otherwise. Exact. */
export function roundPriceExact(spec: InstrumentSpec, price: DecimalInput, mode: RoundingMode = 'half-up'): Decimal {
  return Decimal.from(price).roundToStep(precisionOf(spec).tick, mode);
}

export function roundPrice(spec: InstrumentSpec, price: DecimalInput, mode: RoundingMode = 'half-up'): number {
  return roundPriceExact(spec, price, mode).toNumber();
}

/** A limit price for an order: a buy rounds down, a sell rounds up (never a worse limit). */
export function roundLimitPrice(spec: InstrumentSpec, price: DecimalInput, side: 'buy' | 'sell'): number {
  return roundPriceExact(spec, price, side === 'buy' ? 'floor' : 'ceil').toNumber();
}

/** |amount| × contractSize × price, exact (quote currency). */
export function notionalExact(spec: InstrumentSpec, amount: DecimalInput, price: DecimalInput): Decimal {
  return Decimal.from(amount).abs().mul(precisionOf(spec).contractSize).mul(Decimal.from(price).abs());
}

/** The largest amount on the step grid whose notional at `price` is ≤ `notional`. Exact. */
export function maxAmountForNotional(spec: InstrumentSpec, notional: DecimalInput, price: DecimalInput): Decimal {
  const p = precisionOf(spec);
  const n = Decimal.from(notional);
  if (n.sign() <= 0) return Decimal.ZERO;
  return n.divToStep(Decimal.from(price).abs().mul(p.contractSize), p.step, 'floor');
}

/** True when an order of `amount` at `price` meets the instrument's minimum notional. */
export function meetsMinNotional(spec: InstrumentSpec, amount: DecimalInput, price: DecimalInput, reduceOnly = false): boolean {
  const p = precisionOf(spec);
  if (reduceOnly && p.minNotionalExemptReduceOnly) return true;
  return notionalExact(spec, amount, price).gte(p.minNotional);
}
