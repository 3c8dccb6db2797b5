/**
 * The learner's samples from a replay: every decision taken on an open main position,
 * with what the bars did until the next decision (src/model/realised-samples.ts, the rule
 * the weekly refit of `serve` shares). The replay supplies the features exactly as the
 * engine computed them.
 *
 *   adverse move   the largest move against the position over the bars that close after
 *                  the decision and no later than the next decision (or the end)
 *   liquidation    1/leverage − the maintenance margin rate of the first bracket
 *   hedge cost     2 × (taker fee + slippage per side) + the funding the hedge would pay
 *                  at the settlements in between (a short hedge receives a positive rate)
 */
import type { Bar } from '../core/market.ts';
import type { LearnerSample } from '../model/learner.ts';
import { realisedSamples, type PricePath } from '../model/realised-samples.ts';
import type { FundingSchedule } from './funding.ts';
import type { DecisionRecord } from './replay.ts';

export interface SampleCosts {
  takerFee: number;
  /** Expected slippage per side, fraction of the price. */
  slippage: number;
  maintenanceMarginRate: number;
}

/** The bars as a price path: the lows and highs of the bars that close in (from, until]. */
export function barPath(bars: readonly Bar[], intervalMs: number): PricePath {
  // Index of the first bar that closes after time t.
  const firstClosingAfter = (t: number): number => {
    let lo = 0;
    let hi = bars.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bars[mid]!.time + intervalMs <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    range(from, until) {
      let low = Infinity;
      let high = -Infinity;
      for (let k = firstClosingAfter(from); k < bars.length && bars[k]!.time + intervalMs <= until; k++) {
        const b = bars[k]!;
        if (b.low < low) low = b.low;
        if (b.high > high) high = b.high;
      }
      return low === Infinity ? undefined : { low, high };
    },
  };
}

/** Σ of the rates settled in (from, until], in settlement order. */
function scheduleRate(funding: FundingSchedule) {
  return (from: number, until: number): number => {
    let rate = 0;
    for (let f = funding.next(from); f && f.time <= until; f = funding.next(f.time)) rate += f.rate;
    return rate;
  };
}

export function learnerSamples(
  decisions: readonly DecisionRecord[],
  bars: readonly Bar[],
  intervalMs: number,
  funding: FundingSchedule,
  costs: SampleCosts,
): LearnerSample[] {
  return realisedSamples(decisions, barPath(bars, intervalMs), bars[bars.length - 1]!.time + intervalMs, {
    roundTrip: 2 * (costs.takerFee + costs.slippage),
    maintenanceMarginRate: costs.maintenanceMarginRate,
    fundingRate: scheduleRate(funding),
  });
}
