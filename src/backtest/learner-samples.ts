/**
 * The learner's samples from a replay: every decision taken on an open main position,
 * with what the market did until the next decision (src/model/learner.ts says what the
 * numbers mean). The replay supplies the features exactly as the engine computed them.
 *
 *   adverse move   the largest move against the position over the bars that close after
 *                  the decision and no later than the next decision (or the end)
 *   liquidation    1/leverage − the maintenance margin rate of the first bracket
 *   hedge cost     2 × (taker fee + slippage per side) + the funding the hedge would pay
 *                  at the settlements in between (a short hedge receives a positive rate)
 */
import type { Bar } from '../core/market.ts';
import { FEATURE_NAMES, type FeatureName } from '../core/model.ts';
import type { LearnerSample } from '../model/learner.ts';
import type { FundingSchedule } from './funding.ts';
import type { DecisionRecord } from './replay.ts';

export interface SampleCosts {
  takerFee: number;
  /** Expected slippage per side, fraction of the price. */
  slippage: number;
  maintenanceMarginRate: number;
}

export function learnerSamples(
  decisions: readonly DecisionRecord[],
  bars: readonly Bar[],
  intervalMs: number,
  funding: FundingSchedule,
  costs: SampleCosts,
): LearnerSample[] {
  const out: LearnerSample[] = [];
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
  for (let i = 0; i < decisions.length; i++) {
    const d = decisions[i]!;
    if (d.main === 0 || d.ratio === null || !(d.price > 0) || !FEATURE_NAMES.every((f) => typeof d.features[f] === 'number')) continue;
    const until = decisions[i + 1]?.time ?? bars[bars.length - 1]!.time + intervalMs;
    const long = d.main > 0;
    let worst = d.price;
    for (let k = firstClosingAfter(d.time); k < bars.length && bars[k]!.time + intervalMs <= until; k++) {
      const b = bars[k]!;
      worst = long ? Math.min(worst, b.low) : Math.max(worst, b.high);
    }
    let fundingCost = 0;
    for (let f = funding.next(d.time); f && f.time <= until; f = funding.next(f.time)) fundingCost += (long ? -1 : 1) * f.rate;
    out.push({
      time: d.time,
      features: Object.fromEntries(FEATURE_NAMES.map((f) => [f, d.features[f]!])) as Record<FeatureName, number>,
      adverseMove: Math.abs(worst - d.price) / d.price,
      liquidationDistance: Math.max(0, 1 / d.leverage - costs.maintenanceMarginRate),
      hedgeCost: 2 * (costs.takerFee + costs.slippage) + fundingCost,
      notional: Math.abs(d.main) * d.price,
    });
  }
  return out;
}
