/**
 * Realised hedge performance from the journal: the samples the weekly refit of `serve`
 * learns from (src/engine/refit-job.ts reads the journal; this turns what it read into
 * samples with the rule `model fit` uses, realised-samples.ts). Pure.
 *
 * - Decisions: every signal settled `hedged` or `skipped` whose decision ran the model (a
 *   ratio and all five features), per (account, symbol), in decision order. The main
 *   position is the one the decision saw (`inputs.positionSide` / `positionSize`; flat on
 *   `close`), at the price it was valued at (`inputs.price`) and its leverage.
 * - Prices: the journal keeps no market history (the feed's tickers are not stored). The
 *   prices it does hold are used: the price each decision was valued at (the market feed's
 *   when one is wired), each signal's own `price`, and each filled leg's average price. The
 *   adverse move is measured on those points only, so an excursion between two of them is
 *   missed — with a bot's hourly heartbeats the path is hourly, and the fitted ratios lean
 *   low. (A replay over bars, `hedgehook model fit`, sees every bar's low and high.)
 * - Costs: fee and slippage per unit of notional as the filled hedge legs paid them
 *   (volume-weighted: Σ fee / Σ notional; Σ |fill − the decision's reference price| × size /
 *   Σ reference × size), a round trip being twice that; the defaults when nothing filled.
 *   Notional is size × price (linear contracts of contract size 1, such as TRXUSDT).
 *   Funding payments are not journaled: a constant rate at Binance's 8-hour settlements.
 */
import type { HedgeDecision } from '../core/decision.ts';
import type { OrderLeg } from '../core/orders.ts';
import type { SignalView } from '../core/signal.ts';
import type { LearnerSample } from './learner.ts';
import { constantFunding, pointPath, realisedSamples, type DecisionPoint, type PricePoint } from './realised-samples.ts';

export interface RealisedHedgeSettings {
  /** Funding rate per 8-hour settlement (0.0001 = 0.01%). */
  fundingRate: number;
  /** Of the first bracket of the symbol (TRXUSDT: 0.0065). */
  maintenanceMarginRate: number;
  /** Per side, fraction of notional, when no hedge leg filled in the window. */
  defaultFee: number;
  defaultSlippage: number;
}

export interface RealisedHedges {
  samples: LearnerSample[];
  /** Decisions read (samples are those on an open position). */
  decisions: number;
  /** Price points the adverse moves were measured on. */
  prices: number;
  /** What hedging cost per side, and whether it was measured or assumed. */
  costs: { fee: number; slippage: number; legs: number; source: 'fills' | 'defaults' };
  /** First and last decision time, epoch ms (undefined without decisions). */
  from?: number;
  to?: number;
}

const USED_STATES: ReadonlySet<string> = new Set(['hedged', 'skipped']);

const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);

function decisionOf(view: SignalView): HedgeDecision | undefined {
  if (!USED_STATES.has(view.state)) return undefined;
  const d = view.outcome?.decision as HedgeDecision | undefined;
  return d && typeof d === 'object' ? d : undefined;
}

function mainOf(view: SignalView, d: HedgeDecision): number {
  if (view.payload.action === 'close') return 0;
  const size = num(d.inputs?.positionSize);
  const side = d.inputs?.positionSide;
  if (size === undefined || (side !== 'long' && side !== 'short')) return 0;
  return side === 'long' ? Math.abs(size) : -Math.abs(size);
}

/**
 * Collects a window of the journal page by page (signals and legs in any order), keeping
 * only what the samples need, so a long window is never held as whole signal views.
 */
export class RealisedHedgeCollector {
  private readonly groups = new Map<string, { symbol: string; points: (DecisionPoint & { seq: number })[] }>();
  private readonly prices = new Map<string, PricePoint[]>();
  private readonly referenceOf = new Map<string, number>();
  private readonly fills: { signalId: string; filled: number; price: number; fee: number }[] = [];
  private decisions = 0;
  private from: number | undefined;
  private to: number | undefined;

  constructor(private readonly settings: RealisedHedgeSettings) {}

  private pricesOf(symbol: string): PricePoint[] {
    let list = this.prices.get(symbol);
    if (!list) this.prices.set(symbol, (list = []));
    return list;
  }

  signal(view: SignalView): void {
    const { payload } = view;
    const signalPrice = num(payload.price);
    if (signalPrice !== undefined && signalPrice > 0) this.pricesOf(payload.symbol).push({ time: payload.time ?? view.receivedAt, price: signalPrice });
    const d = decisionOf(view);
    if (!d) return;
    const ref = num(d.order?.referencePrice);
    if (ref !== undefined) this.referenceOf.set(view.id, ref);
    const time = d.decidedAt ?? view.receivedAt;
    const price = num(d.inputs?.price);
    if (price !== undefined && price > 0) this.pricesOf(payload.symbol).push({ time, price });
    this.decisions++;
    this.from = this.from === undefined ? time : Math.min(this.from, time);
    this.to = this.to === undefined ? time : Math.max(this.to, time);
    const key = `${payload.account}|${payload.symbol}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { symbol: payload.symbol, points: [] }));
    group.points.push({
      seq: view.seq,
      time,
      features: d.features,
      ratio: d.ratio,
      main: mainOf(view, d),
      leverage: num(d.inputs?.leverage) ?? 1,
      price: price ?? 0,
    });
  }

  leg(leg: OrderLeg): void {
    if (!(leg.filled > 0) || leg.averagePrice === undefined || !(leg.averagePrice > 0)) return;
    this.pricesOf(leg.symbol).push({ time: leg.updatedAt, price: leg.averagePrice });
    if (leg.purpose === 'hedge') this.fills.push({ signalId: leg.signalId, filled: leg.filled, price: leg.averagePrice, fee: leg.fee });
  }

  /** The samples; `end` closes the last decision's period (the time of the run). */
  result(end: number): RealisedHedges {
    let fees = 0;
    let notional = 0;
    let slipped = 0;
    let referenced = 0;
    for (const f of this.fills) {
      fees += f.fee;
      notional += f.filled * f.price;
      const ref = this.referenceOf.get(f.signalId);
      if (ref !== undefined && ref > 0) {
        slipped += Math.abs(f.price - ref) * f.filled;
        referenced += ref * f.filled;
      }
    }
    const measured = notional > 0;
    const fee = measured ? fees / notional : this.settings.defaultFee;
    const slippage = measured ? (referenced > 0 ? slipped / referenced : 0) : this.settings.defaultSlippage;

    let pricePoints = 0;
    for (const list of this.prices.values()) {
      list.sort((a, b) => a.time - b.time);
      pricePoints += list.length;
    }
    const costs = { roundTrip: 2 * (fee + slippage), maintenanceMarginRate: this.settings.maintenanceMarginRate, fundingRate: constantFunding(this.settings.fundingRate) };
    const samples: LearnerSample[] = [];
    for (const group of this.groups.values()) {
      const points = [...group.points].sort((a, b) => a.time - b.time || a.seq - b.seq);
      samples.push(...realisedSamples(points, pointPath(this.prices.get(group.symbol) ?? []), end, costs));
    }
    samples.sort((a, b) => a.time - b.time);

    const out: RealisedHedges = {
      samples,
      decisions: this.decisions,
      prices: pricePoints,
      costs: { fee, slippage, legs: this.fills.length, source: measured ? 'fills' : 'defaults' },
    };
    if (this.from !== undefined) out.from = this.from;
    if (this.to !== undefined) out.to = this.to;
    return out;
  }
}

/** Samples from the signals and order legs of a window (any order); see the collector. */
export function realisedHedges(signals: readonly SignalView[], legs: readonly OrderLeg[], end: number, settings: RealisedHedgeSettings): RealisedHedges {
  const collector = new RealisedHedgeCollector(settings);
  for (const view of signals) collector.signal(view);
  for (const leg of legs) collector.leg(leg);
  return collector.result(end);
}
