/**
 * Realised outcomes of hedge decisions, as the learner's samples (learner.ts says what the
 * numbers mean). One rule for both loops: `hedgehook model fit` (decisions of a replay,
 * prices from the bars) and the weekly refit of `serve` (decisions of the journal, prices
 * from what the journal holds). Pure.
 *
 * For each decision taken on an open main position, until the next decision (or `end`):
 *   adverse move   the worst price the path shows in (decision, next decision], against
 *                  the position, as a fraction of the price the decision was taken at
 *   liquidation    1/leverage − the maintenance margin rate
 *   hedge cost     the round trip of fees and slippage per unit of notional, plus the funding
 *                  the hedge would pay at the settlements in between (a short hedge receives
 *                  a positive rate: it hedges a long)
 */
import { FEATURE_NAMES, type FeatureName } from '../core/model.ts';
import type { LearnerSample } from './learner.ts';

/** One decision with what it was taken on. */
export interface DecisionPoint {
  time: number;
  /** The normalised features the engine computed (all five, else no sample). */
  features: Readonly<Record<string, number>>;
  /** The model's ratio; null when it could not run (no sample). */
  ratio: number | null;
  /** The main position after the signal, signed base size (0 = flat: no sample). */
  main: number;
  leverage: number;
  /** The price the decision was taken at. */
  price: number;
}

/** The prices known after a decision. */
export interface PricePath {
  /** Lowest and highest price seen in (from, until]; undefined when none was. */
  range(from: number, until: number): { low: number; high: number } | undefined;
}

export interface OutcomeCosts {
  /** Fees and slippage of opening and closing a hedge, per unit of notional. */
  roundTrip: number;
  maintenanceMarginRate: number;
  /** The funding rates settled in (from, until], summed (positive: longs pay). */
  fundingRate(from: number, until: number): number;
}

export function realisedSamples(decisions: readonly DecisionPoint[], path: PricePath, end: number, costs: OutcomeCosts): LearnerSample[] {
  const out: LearnerSample[] = [];
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    if (d.main === 0 || d.ratio === null || !(d.price > 0) || !FEATURE_NAMES.every((f) => typeof d.features[f] === 'number')) continue;
    const until = decisions[i + 1]?.time ?? end;
    const long = d.main > 0;
    const seen = path.range(d.time, until);
    const worst = seen === undefined ? d.price : long ? Math.min(d.price, seen.low) : Math.max(d.price, seen.high);
    const funding = costs.fundingRate(d.time, until);
    out.push({
      time: d.time,
      features: Object.fromEntries(FEATURE_NAMES.map((f) => [f, d.features[f]!])) as Record<FeatureName, number>,
      adverseMove: Math.abs(worst - d.price) / d.price,
      liquidationDistance: Math.max(0, 1 / d.leverage - costs.maintenanceMarginRate),
      hedgeCost: costs.roundTrip + (long ? -funding : funding),
      notional: Math.abs(d.main) * d.price,
    });
  }
  return out;
}

export interface PricePoint {
  time: number;
  price: number;
}

/** A path through single prices (sorted by time): what the journal can offer. */
export function pointPath(points: readonly PricePoint[]): PricePath {
  return {
    range(from, until) {
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (points[mid]!.time <= from) lo = mid + 1;
        else hi = mid;
      }
      let low = Infinity;
      let high = -Infinity;
      for (let k = lo; k < points.length && points[k]!.time <= until; k++) {
        const p = points[k]!.price;
        if (p < low) low = p;
        if (p > high) high = p;
      }
      return low === Infinity ? undefined : { low, high };
    },
  };
}

const FUNDING_PERIOD_MS = 8 * 3_600_000;

/** A constant rate at every 8-hour boundary of UTC (00:00, 08:00, 16:00), Binance's schedule. */
export function constantFunding(rate: number): OutcomeCosts['fundingRate'] {
  return (from, until) => {
    const settlements = Math.floor(until / FUNDING_PERIOD_MS) - Math.floor(from / FUNDING_PERIOD_MS);
    return settlements > 0 ? settlements * rate : 0;
  };
}
