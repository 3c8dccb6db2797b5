/**
 * The decision stage: the `SignalProcessor` that turns a journaled signal into a recorded
 * decision (DESIGN.md, "The flow of one signal"):
 *
 *   active model (ModelStore) ─┐
 *   kill switch (ControlStore) ─┤
 *   payload + context ──────────┴→ features → model → ratio
 *                                   → computeTarget (current hedge from the ledger)
 *                                   → checkRisk (limits, staleness, price, kill switch, rate)
 *                                   → HedgeDecision, journaled as the outcome's `decision`
 *
 * The context of the features:
 *   now            the Clock port
 *   equity         config `account.equity`;  riskTolerance  config `account.riskTolerance`
 *   volatility     EWMA of the prices seen in signals for the symbol (signal-volatility.ts);
 *                  the configured default until enough returns were seen
 *   position       the payload's (the venue read arrives with the execution issue)
 *   price          the market price when a MarketPriceSource is wired, else the signal's
 *                  price, else the position's entry price, else the last price seen in a
 *                  signal for the symbol. Without a market source the guard's price check
 *                  compares the signal with itself and cannot fire: it needs the feed.
 *
 * Outcome of the signal:
 *   risk 'skipped'  → skipped,  reason "HH_RISK_…: message" for each skipping reason
 *   risk 'rejected' → rejected, reason "HH_RISK_…: message" for each rejecting reason
 *   risk 'hedge'    → skipped,  reason HH_EXEC_UNAVAILABLE: the order intent was decided and
 *                     is recorded in `decision.order`, but no venue is wired (execution is
 *                     the next issue), so nothing was sent. Honest until then.
 *
 * The main position of the ledger is updated from every signal that is not rejected.
 * `decideSignal` is the pure core (features + model + target + risk), benchmarked alone.
 */
import type { Clock } from '../core/clock.ts';
import type { ControlStore, KillSwitchState } from '../core/controls.ts';
import { outcomeOf, reason, REASONS, type HedgeDecision, type Reason } from '../core/decision.ts';
import { isHedgehookError } from '../core/errors.ts';
import { TRX_USDT_PERP, type InstrumentSpec } from '../core/instrument.ts';
import type { MarketPriceSource } from '../core/market.ts';
import type { ModelStore, ModelVersion } from '../core/model.ts';
import type { Delivery, SignalProcessor } from '../core/ports.ts';
import type { PositionReport, ProcessingOutcome, SignalPayload } from '../core/signal.ts';
import { DEFAULT_FEATURE_SETTINGS, type FeatureContext, type FeatureSettings } from '../model/features.ts';
import { evaluateSignal, type ModelEvaluation } from '../model/linear-model.ts';
import { netHedge, otherSymbolsHedgeNotional, type Ledger, type PositionView } from '../portfolio/positions.ts';
import { checkRisk, type RiskLimits } from '../risk/guard.ts';
import { computeTarget } from '../risk/target.ts';
import type { DecisionState } from './decision-state.ts';

/** The outcome reason of a decided hedge that no venue could place (not a risk reason). */
export const EXEC_UNAVAILABLE = 'HH_EXEC_UNAVAILABLE';

export interface AccountSettings {
  /** Account equity, USDT. */
  equity: number;
  /** 0..1; a higher tolerance hedges less. */
  riskTolerance: number;
}

/** Exchange precision by symbol. Today only TRX/USDT:USDT is known; venues bring the rest. */
export type InstrumentLookup = (symbol: string) => InstrumentSpec | undefined;

export const KNOWN_INSTRUMENTS: InstrumentLookup = (symbol) => (symbol === TRX_USDT_PERP.symbol ? TRX_USDT_PERP : undefined);

export type PriceSource = 'market' | 'signal' | 'entry' | 'last-signal' | 'none';

/** Everything one decision needs, already fetched: `decideSignal` does no I/O. */
export interface DecisionInput {
  payload: SignalPayload;
  receivedAt: number;
  now: number;
  model: ModelVersion;
  killSwitch: KillSwitchState;
  account: AccountSettings;
  limits: RiskLimits;
  features: FeatureSettings;
  instrument: InstrumentSpec | undefined;
  ledger: Ledger;
  /** Annualised volatility estimate; undefined → the configured default. */
  volatility: number | undefined;
  /** From a MarketPriceSource, if one is wired. */
  marketPrice: number | undefined;
  /** The last price seen in an earlier signal of the symbol. */
  lastSignalPrice: number | undefined;
  recentOrderTimes: readonly number[];
  /** Prices to value the account's other hedges at (symbol → price). */
  marks: Readonly<Record<string, number>>;
  /** The main position as the position venue reports it; used when the payload has none. */
  venuePosition?: PositionReport;
}

function referencePrice(input: DecisionInput): { price: number | undefined; source: PriceSource } {
  const { payload } = input;
  if (input.marketPrice !== undefined) return { price: input.marketPrice, source: 'market' };
  if (payload.price !== undefined) return { price: payload.price, source: 'signal' };
  if (payload.position?.entryPrice !== undefined) return { price: payload.position.entryPrice, source: 'entry' };
  if (input.lastSignalPrice !== undefined) return { price: input.lastSignalPrice, source: 'last-signal' };
  return { price: undefined, source: 'none' };
}

function haltReasons(ks: KillSwitchState): Reason[] {
  return ks.halted ? [reason('HH_RISK_HALTED', ks.reason ? { haltReason: ks.reason } : undefined)] : [];
}

/**
 * The raw inputs, for the record. One object literal with every field (no spread, no
 * property added later): a spread of this many keys costs more than the whole model.
 */
function inputsOf(
  e: ModelEvaluation | undefined,
  price: number | undefined,
  priceSource: PriceSource,
  volatilityFrom: string,
  unroundedTarget: string | null,
): HedgeDecision['inputs'] {
  if (!e) return { price: price ?? null, priceSource, volatilityFrom };
  const r = e.raw;
  return {
    price: price ?? null,
    priceSource,
    volatilityFrom,
    positionSide: r.positionSide,
    positionSize: r.positionSize,
    positionSource: r.positionSource,
    notional: r.notional,
    leverage: r.leverage,
    equity: r.equity,
    exposureMultiple: r.exposureMultiple === Infinity ? null : r.exposureMultiple,
    strength: r.strength,
    strengthSource: r.strengthSource,
    volatility: r.volatility,
    riskTolerance: r.riskTolerance,
    signalTime: r.signalTime,
    timeSource: r.timeSource,
    utcHour: r.utcHour,
    utcWeekday: r.utcWeekday,
    weightedSum: e.weightedSum,
    baseRatio: e.baseRatio,
    upliftActive: e.uplift.active,
    unroundedTarget,
  };
}

/** Features, model, target and risk for one signal. Pure. */
export function decideSignal(input: DecisionInput): HedgeDecision {
  const { payload, now, killSwitch } = input;
  const { price, source: priceSource } = referencePrice(input);
  const volatilityFrom = input.volatility === undefined ? 'default' : 'signal-ewma';
  const currentHedge = netHedge(input.ledger, payload.account, payload.symbol);

  const context: FeatureContext = { now, equity: input.account.equity, riskTolerance: input.account.riskTolerance };
  if (input.volatility !== undefined) context.volatility = input.volatility;
  // The features value the position at the market price, else the signal's, else the entry:
  // the same order as referencePrice, which only adds the last price seen in a signal.
  if (priceSource === 'market' || priceSource === 'last-signal') context.markPrice = price;
  if (input.venuePosition && !payload.position) context.position = input.venuePosition;

  let evaluation: ModelEvaluation;
  try {
    evaluation = evaluateSignal(payload, context, input.model, input.features);
  } catch (err) {
    if (!isHedgehookError(err) || err.code !== 'HH_ERR_PRICE_UNAVAILABLE') throw err;
    const reasons = [...haltReasons(killSwitch), reason('HH_RISK_NO_PRICE', { symbol: payload.symbol })];
    return {
      outcome: outcomeOf(reasons),
      ratio: null,
      modelVersion: input.model.version,
      features: {},
      contributions: {},
      targetHedge: null,
      currentHedge,
      reasons,
      decidedAt: now,
      inputs: inputsOf(undefined, price, priceSource, volatilityFrom, null),
    };
  }

  const early = (why: Reason): HedgeDecision => {
    const reasons = [...haltReasons(killSwitch), why];
    return {
      outcome: outcomeOf(reasons),
      ratio: evaluation.ratio,
      modelVersion: evaluation.modelVersion,
      features: evaluation.features,
      contributions: evaluation.contributions,
      targetHedge: null,
      currentHedge,
      reasons,
      decidedAt: now,
      inputs: inputsOf(evaluation, price, priceSource, volatilityFrom, null),
    };
  };
  if (!input.instrument) return early(reason('HH_RISK_UNKNOWN_INSTRUMENT', { symbol: payload.symbol }));
  if (price === undefined || !(price > 0)) {
    // Nothing to value, and nothing to hedge either: the missing position is the reason.
    if (!payload.position && !input.venuePosition && payload.action !== 'close') return early(reason('HH_RISK_NO_POSITION', { action: payload.action }));
    return early(reason('HH_RISK_NO_PRICE', { symbol: payload.symbol }));
  }

  const target = computeTarget({
    payload,
    ratio: evaluation.ratio,
    currentHedge,
    instrument: input.instrument,
    price,
    ...(input.venuePosition && !payload.position ? { venuePosition: input.venuePosition } : {}),
  });
  const risk = checkRisk({
    now,
    signal: payload,
    receivedAt: input.receivedAt,
    target,
    instrument: input.instrument,
    limits: input.limits,
    state: {
      halted: killSwitch.halted,
      ...(killSwitch.reason !== undefined ? { haltReason: killSwitch.reason } : {}),
      recentOrderTimes: input.recentOrderTimes,
      otherSymbolsHedgeNotional: otherSymbolsHedgeNotional(input.ledger, payload.account, payload.symbol, input.marks),
    },
  });
  const decision: HedgeDecision = {
    outcome: risk.outcome,
    ratio: evaluation.ratio,
    modelVersion: evaluation.modelVersion,
    features: evaluation.features,
    contributions: evaluation.contributions,
    targetHedge: risk.targetHedge,
    currentHedge: risk.currentHedge,
    reasons: risk.reasons,
    decidedAt: now,
    inputs: inputsOf(evaluation, price, priceSource, volatilityFrom, target.unroundedTarget),
  };
  if (risk.order) decision.order = risk.order;
  if (risk.blockedOrder) decision.blockedOrder = risk.blockedOrder;
  return decision;
}

/** The worker's outcome for a decision (see the table at the top). */
export function outcomeFor(decision: HedgeDecision): ProcessingOutcome {
  if (decision.outcome === 'hedge') {
    const o = decision.order;
    const what = o ? `${o.side} ${o.amount} ${o.symbol}` : 'no order';
    return {
      state: 'skipped',
      reason: `${EXEC_UNAVAILABLE}: order decided (${what}) but no venue is wired yet; nothing was sent`,
      decision,
    };
  }
  const effect = decision.outcome === 'rejected' ? 'reject' : 'skip';
  const why = decision.reasons.filter((r) => REASONS[r.code].effect === effect).map((r) => `${r.code}: ${r.message}`);
  return { state: decision.outcome, reason: why.join('; '), decision };
}

export interface DecisionStageOptions {
  clock: Clock;
  models: ModelStore;
  controls: ControlStore;
  state: DecisionState;
  account: AccountSettings;
  limits: RiskLimits;
  features?: FeatureSettings;
  /** Default: TRX/USDT:USDT only (KNOWN_INSTRUMENTS). */
  instrument?: InstrumentLookup;
  /** The market-data feed; none until the execution issue wires one. */
  market?: MarketPriceSource;
}

export interface DecisionStage {
  /**
   * Decides one delivery (and applies its position report); no order is sent.
   * `venuePosition`: the main position read from the position venue, for a payload without one.
   */
  decide(delivery: Delivery, venuePosition?: PositionReport): Promise<HedgeDecision>;
  /** `decide`, then the outcome without execution (see outcomeFor). */
  process: SignalProcessor;
  /** `GET /api/positions`: valued at the market source's prices when one is wired. */
  positions(): PositionView[];
  state: DecisionState;
}

const NO_MARKS: Readonly<Record<string, number>> = Object.freeze({});

function hasHedges(ledger: Ledger): boolean {
  for (const _ in ledger.hedges) return true;
  return false;
}

export function createDecisionStage(options: DecisionStageOptions): DecisionStage {
  const { clock, models, controls, state, account, limits, market } = options;
  const features = options.features ?? DEFAULT_FEATURE_SETTINGS;
  const instrument = options.instrument ?? KNOWN_INSTRUMENTS;

  const marketMarks = (): Record<string, number> => {
    const marks: Record<string, number> = {};
    if (!market) return marks;
    for (const main of Object.values(state.ledger.mains)) {
      const p = market.lastPrice(main.symbol);
      if (p !== undefined) marks[main.symbol] = p;
    }
    for (const leg of Object.values(state.ledger.hedges)) {
      const p = market.lastPrice(leg.symbol);
      if (p !== undefined) marks[leg.symbol] = p;
    }
    return marks;
  };

  const decide = async (delivery: Delivery, venuePosition?: PositionReport): Promise<HedgeDecision> => {
    const [model, killSwitch] = await Promise.all([models.active(), controls.killSwitch()]);
    // Everything below runs without yielding: the state of this key cannot change under it.
    const now = clock.now();
    const payload = delivery.payload;
    const vol = state.volatility;
    const lastSignalPrice = vol.lastPrice(payload.symbol);
    if (payload.price !== undefined) vol.observe(payload.symbol, payload.price, payload.time ?? delivery.receivedAt);
    const decision = decideSignal({
      payload,
      receivedAt: delivery.receivedAt,
      now,
      model,
      killSwitch,
      account,
      limits,
      features,
      instrument: instrument(payload.symbol),
      ledger: state.ledger,
      volatility: vol.estimate(payload.symbol),
      marketPrice: market?.lastPrice(payload.symbol),
      lastSignalPrice,
      recentOrderTimes: state.recentOrderTimes(payload.account, now),
      // Only the account's other hedges are valued with these: none, no work.
      marks: hasHedges(state.ledger) ? { ...vol.lastPrices(), ...marketMarks() } : NO_MARKS,
      ...(venuePosition ? { venuePosition } : {}),
    });
    if (decision.outcome !== 'rejected') {
      state.reportSignal(payload, now);
      if (venuePosition && !payload.position && payload.action !== 'close') state.reportVenuePosition(payload.account, payload.symbol, venuePosition, now);
    }
    return decision;
  };
  const process: SignalProcessor = async (delivery: Delivery): Promise<ProcessingOutcome> => outcomeFor(await decide(delivery));

  return { decide, process, positions: () => state.positions(marketMarks()), state };
}
