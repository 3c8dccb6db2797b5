/**
 * Perpetual funding in the backtest. Pure.
 *
 * Binance settles funding every 8 hours (00:00, 08:00, 16:00 UTC). At a settlement each
 * open position pays or receives
 *
 *   funding = position notional at the mark price × funding rate
 *
 * longs pay shorts when the rate is positive, shorts pay longs when it is negative. As a
 * cash flow to the holder of a signed size S (long +, short −) at mark price M and rate r:
 *
 *   cash = −S × M × r
 *
 * so a short hedge RECEIVES funding when the rate is positive (the usual state of TRX:
 * 0.01% per period most of the time), which is why a hedge's funding can be a gain.
 *
 * The rates come from a funding file (`--funding`, settlement times as in the file), or
 * from a constant rate at every 8-hour boundary of UTC. Positions are only charged at the
 * settlement instants; holding a position between two settlements costs nothing.
 */
import type { FundingRate } from '../marketdata/price-file.ts';

export const FUNDING_INTERVAL_MS = 8 * 3_600_000;

/** Binance's default rate when premium is nil: the 0.01% interest component per 8 h. */
export const DEFAULT_FUNDING_RATE = 0.0001;

/** The cash flow of one settlement to the holder of `signedSize` (long +, short −). */
export function fundingCashFlow(signedSize: number, markPrice: number, rate: number): number {
  return -signedSize * markPrice * rate;
}

/** The settlements of a run, in time order, consumed as simulated time passes. */
export interface FundingSchedule {
  /** What the report says about the source of the rates. */
  readonly source: string;
  /** The time of the next settlement after `afterTime` (exclusive), or undefined. */
  next(afterTime: number): FundingRate | undefined;
}

/** Settlements from a funding file (sorted by time, as `parseFundingText` returns them). */
export function fileSchedule(rates: readonly FundingRate[], source: string): FundingSchedule {
  return {
    source,
    next(afterTime) {
      // Binary search: the first settlement strictly after `afterTime`.
      let lo = 0;
      let hi = rates.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rates[mid]!.time <= afterTime) lo = mid + 1;
        else hi = mid;
      }
      return rates[lo];
    },
  };
}

/** A constant rate at every 8-hour boundary of UTC (00:00, 08:00, 16:00). */
export function constantSchedule(rate: number): FundingSchedule {
  return {
    source: `constant ${rate} per 8 h`,
    next(afterTime) {
      const time = (Math.floor(afterTime / FUNDING_INTERVAL_MS) + 1) * FUNDING_INTERVAL_MS;
      return { time, rate };
    },
  };
}
