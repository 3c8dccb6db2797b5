/**
 * The replay: one strategy, one pass over the bars, through the same engine as live.
 *
 *   per strategy:  SimulatedClock · BarMarket (MarketData) · paper venues · in-memory
 *                  journal of order legs · decision stage → execution stage (router)
 *
 * Market mechanics (docs/backtest.md has the long form):
 * - Time: bar i (opened at t) closes at c = t + interval. Signals and funding settlements
 *   stamped before c are handled first, at the price of the previous close; then the bar:
 *   1. liquidation, against the bar's ADVERSE extreme first (a net long's low, a net
 *      short's high; both extremes are tested, so an offset pair liquidated by a rise is
 *      caught too) — conservative: an intrabar low that touches the liquidation price
 *      liquidates even if the bar closes well above it;
 *   2. mark to market at the close; equity and drawdown are measured here, every bar.
 * - Liquidation: Binance's USDⓈ-M formula (margin.ts) on each account's margin pool
 *   (account.ts); the positions close at the liquidation price and the clearance fee takes
 *   what margin was left. At the bar's close (the first price known after it) the venue's
 *   books are brought in line (the paper venue's `liquidate`: the same positions closed at
 *   the same price, the clearance fee taken from its wallet; the hedge's closing fill into
 *   the engine's ledger, as a venue reconciliation would bring it), and the engine gets the
 *   venue's view as a signal:
 *   `update`, position flat, so it unwinds whatever hedge is left elsewhere. The bot's
 *   later signals for the liquidated position are dropped (it would have seen the
 *   liquidation); its next `open` starts afresh.
 * - Funding every 8 h (funding.ts) on every position of every account, at the last close.
 * - Fees and slippage: every fill comes from the paper venue (its taker fee and its
 *   synthetic book around the bar's close); slippage is |fill price − close| × size.
 * - The main position: the bot's orders go straight to the primary venue (as the bot's own
 *   orders would), before its webhook reaches the engine. Hedges go through the router:
 *   to the primary venue (same account, hedge mode) or to a separate `hedge` venue.
 *
 * The engine is not told it is in a backtest: the decisions are those it would take live
 * on the same signals and prices (the parity test checks it).
 */
import type { AccountSettings } from '../engine/decision-stage.ts';
import { createDecisionStage } from '../engine/decision-stage.ts';
import { DecisionState } from '../engine/decision-state.ts';
import { createExecutionStage } from '../engine/execution-stage.ts';
import { InMemoryControlStore } from '../core/controls.ts';
import type { HedgeDecision } from '../core/decision.ts';
import { isHedgehookError } from '../core/errors.ts';
import type { InstrumentSpec } from '../core/instrument.ts';
import type { Bar } from '../core/market.ts';
import type { ModelVersion } from '../core/model.ts';
import type { OrderLeg } from '../core/orders.ts';
import type { Delivery } from '../core/ports.ts';
import { partitionKey, type ProcessingOutcome, type SignalPayload } from '../core/signal.ts';
import { isVenueError, type Venue, type VenueOrder } from '../core/venue.ts';
import type { RoutingSettings } from '../execution/router.ts';
import { MemoryOrderStore } from '../journal/memory-orders.ts';
import { signalId } from '../ingest/signal-id.ts';
import type { FeatureSettings } from '../model/features.ts';
import { InMemoryModelStore } from '../model/registry.ts';
import type { EwmaSettings } from '../model/volatility.ts';
import type { PaperVenue } from '../venues/paper/index.ts';
import type { RiskLimits } from '../risk/guard.ts';
import { MarginAccount, type Liquidation, type MarginSettings, type Role } from './account.ts';
import { BarMarket } from './bar-market.ts';
import { botOrder, reportedMain, sideOfSize } from './bot-order.ts';
import type { FundingSchedule } from './funding.ts';
import type { TimedSignal } from './reference-signals.ts';
import { SimulatedClock } from './sim-clock.ts';

export type HedgePlacement = 'same-account' | 'separate-account';

export const PRIMARY = 'primary';
/** The webhook source the replayed signals come from. */
export const SOURCE = 'backtest';
export const HEDGE_VENUE = 'hedge';

/**
 * A venue of a run: the Venue port the engine trades through, and the exchange's forced
 * close, which the replay's margin model decides (the paper venue's `liquidate`).
 */
export type BacktestVenue = Venue & Pick<PaperVenue, 'liquidate'>;

/** Builds one paper venue of a run, on the run's clock and market. */
export type VenueFactory = (id: string, ports: { clock: SimulatedClock; market: BarMarket; hedgeMode: boolean }) => BacktestVenue;

export interface StrategySpec {
  /** `none`, `static:0.5`, `model`… */
  name: string;
  model: ModelVersion;
}

export interface ReplayInput {
  symbol: string;
  instrument: InstrumentSpec;
  bars: readonly Bar[];
  intervalMs: number;
  source: string;
  signals: readonly TimedSignal[];
  funding: FundingSchedule;
  placement: HedgePlacement;
  margin: MarginSettings;
  /** Starting wallet of each account, USDT. */
  wallet: number;
  /** Leverage of a position whose signal does not say. */
  leverage: number;
  account: AccountSettings;
  limits: RiskLimits;
  features: FeatureSettings;
  ewma: EwmaSettings;
  routing: RoutingSettings;
  venue: VenueFactory;
  /** Called every so many bars with (bars done, bars in all). */
  progress?: (done: number, total: number) => void;
  /**
   * Called after each delivery with what the engine concluded: the outcome the worker
   * would journal live, or the error it would retry (the parity test compares these).
   */
  onProcessed?: (delivery: Delivery, outcome: ProcessingOutcome | undefined, error?: unknown) => void;
}

/** One decision of the engine, in processing order (the parity test compares these). */
export interface DecisionRecord {
  signalId: string;
  time: number;
  action: SignalPayload['action'];
  type: string;
  state: string;
  outcome: HedgeDecision['outcome'] | 'failed';
  ratio: number | null;
  targetHedge: number | null;
  order: { side: string; amount: number } | null;
  reasons: string[];
  /** The normalised features the model saw (empty when it could not run). */
  features: Record<string, number>;
  /** The main position after the signal (signed base size) and the price it was decided at. */
  main: number;
  leverage: number;
  price: number;
}

export interface EpisodeRecord {
  id: number;
  type: string;
  openedAt: number;
  closedAt: number | null;
  side: 'long' | 'short';
  liquidated: boolean;
  equityBefore: number;
  netPnl: number;
  hedgeFees: number;
  hedgeSlippage: number;
  hedgeFunding: number;
}

export interface Costs {
  fees: number;
  slippage: number;
  funding: number;
}

export interface StrategyRun {
  name: string;
  modelVersion: string;
  startingEquity: number;
  finalEquity: number;
  maxDrawdown: number;
  maxDrawdownUsdt: number;
  main: Costs;
  hedge: Costs;
  liquidationFees: number;
  liquidations: Liquidation[];
  hedgeLiquidations: number;
  episodes: EpisodeRecord[];
  decisions: DecisionRecord[];
  /** Bot orders the venue refused (its position then stays as it was). */
  signals: { delivered: number; dropped: number; failed: number; mainRejected: number };
  /** Equity sampled every `sampleEvery` bars (and at the last bar). */
  equity: { time: number; equity: number }[];
  /** |hedge| / |main| after each signal with an open main position. */
  hedgeRatio: { time: number; ratio: number }[];
}

/** At most this many points per curve in the report: enough to draw, small enough to ship. */
const MAX_POINTS = 2000;

export async function replayStrategy(input: ReplayInput, spec: StrategySpec): Promise<StrategyRun> {
  const { bars, intervalMs, symbol, signals } = input;
  const clock = new SimulatedClock(bars[0]!.time);
  const market = new BarMarket(symbol, bars, intervalMs, input.source);
  const hedgeMode = input.placement === 'same-account';
  const venues = new Map<string, BacktestVenue>();
  venues.set(PRIMARY, input.venue(PRIMARY, { clock, market, hedgeMode }));
  if (!hedgeMode) venues.set(HEDGE_VENUE, input.venue(HEDGE_VENUE, { clock, market, hedgeMode: false }));
  for (const v of venues.values()) await clock.drive(v.start());

  const accounts = new Map<string, MarginAccount>();
  for (const id of venues.keys()) accounts.set(id, new MarginAccount(id, input.wallet, input.margin));
  const primary = accounts.get(PRIMARY)!;
  const hedgeVenueId = hedgeMode ? PRIMARY : HEDGE_VENUE;
  const startingEquity = input.wallet * accounts.size;

  const state = new DecisionState(input.ewma);
  const decision = createDecisionStage({
    clock,
    models: new InMemoryModelStore(spec.model),
    controls: new InMemoryControlStore(),
    state,
    account: input.account,
    limits: input.limits,
    features: input.features,
    instrument: (s) => (s === symbol ? input.instrument : undefined),
    market,
  });

  const main: Costs = { fees: 0, slippage: 0, funding: 0 };
  const hedge: Costs = { fees: 0, slippage: 0, funding: 0 };
  let liquidationFees = 0;
  let hedgeLiquidations = 0;
  const liquidations: Liquidation[] = [];
  const episodes: EpisodeRecord[] = [];
  const decisions: DecisionRecord[] = [];
  const equitySeries: StrategyRun['equity'] = [];
  const ratioSeries: StrategyRun['hedgeRatio'] = [];
  let episode: EpisodeRecord | undefined;
  let dropping = false;
  let delivered = 0;
  let dropped = 0;
  let failed = 0;
  let seq = 0;
  let mainOrders = 0;
  let mainRejected = 0;

  const totalEquity = (price: number): number => {
    let e = 0;
    for (const a of accounts.values()) e += a.equity(price);
    return e;
  };

  const bookHedgeLeg = (leg: OrderLeg): void => {
    if (!(leg.filled > 0) || leg.averagePrice === undefined) return;
    const account = accounts.get(leg.venue);
    if (!account) return;
    const mid = market.lastPrice(symbol) ?? leg.averagePrice;
    const signed = leg.side === 'buy' ? leg.filled : -leg.filled;
    account.fill('hedge', signed, leg.averagePrice, leg.fee, input.leverage);
    const slip = Math.abs(leg.averagePrice - mid) * leg.filled;
    hedge.fees += leg.fee;
    hedge.slippage += slip;
    if (episode) {
      episode.hedgeFees += leg.fee;
      episode.hedgeSlippage += slip;
    }
  };

  const execution = createExecutionStage({
    clock,
    decision,
    orders: new MemoryOrderStore(),
    venues,
    routing: { ...input.routing, order: [hedgeVenueId] },
    onLegSettled: bookHedgeLeg,
  });

  /** The bot's own order on the primary venue, booked to the main position. */
  /** False when the venue did not fill it (then the bot's position stays as it was). */
  const tradeMain = async (delta: number, leverage: number): Promise<boolean> => {
    const request = botOrder(primary.size('main'), delta, input.instrument, hedgeMode, `bt${mainOrders + 1}`);
    if (!request) return true;
    mainOrders++;
    const amount = request.amount;
    let order: VenueOrder;
    try {
      order = await clock.drive(venues.get(PRIMARY)!.submit(request));
    } catch (err) {
      if (!isVenueError(err)) throw err;
      // The exchange refused the bot's order (margin, minimum size): the bot keeps what it had.
      mainRejected++;
      return false;
    }
    if (!(order.filled > 0) || order.averagePrice === undefined) return false;
    const mid = market.lastPrice(symbol) ?? order.averagePrice;
    primary.fill('main', delta > 0 ? order.filled : -order.filled, order.averagePrice, order.fee, leverage);
    main.fees += order.fee;
    main.slippage += Math.abs(order.averagePrice - mid) * order.filled;
    return order.filled === amount;
  };

  const recordDecision = (id: string, payload: SignalPayload, time: number, outcome: { state: string; decision?: unknown } | undefined, error?: unknown): void => {
    const d = outcome?.decision as HedgeDecision | undefined;
    decisions.push({
      signalId: id,
      time,
      action: payload.action,
      type: payload.type ?? 'untyped',
      state: outcome?.state ?? 'failed',
      outcome: d?.outcome ?? 'failed',
      ratio: d?.ratio ?? null,
      targetHedge: d?.targetHedge ?? null,
      order: d?.order ? { side: d.order.side, amount: d.order.amount } : null,
      reasons: error ? [isHedgehookError(error) ? error.code : 'HH_ERR_PROCESSING_FAILED'] : (d?.reasons ?? []).map((r) => r.code),
      features: d?.features ?? {},
      main: primary.size('main'),
      leverage: payload.position?.leverage ?? input.leverage,
      price: market.lastPrice(symbol) ?? 0,
    });
  };

  const deliver = async (id: string, payload: SignalPayload, time: number): Promise<void> => {
    // Ids as the receiver derives them: from the source and the sender's delivery id.
    const delivery: Delivery = { seq: ++seq, id: signalId(SOURCE, id), source: SOURCE, partitionKey: partitionKey(payload), payload, receivedAt: time, attempt: 1 };
    delivered++;
    try {
      const outcome = await clock.drive(execution.process(delivery));
      recordDecision(id, payload, time, outcome);
      input.onProcessed?.(delivery, outcome);
    } catch (err) {
      // Live, the worker would retry and then dead-letter; the backtest records the failure.
      failed++;
      recordDecision(id, payload, time, undefined, err);
      input.onProcessed?.(delivery, undefined, err);
    }
  };

  const noteRatio = (time: number): void => {
    const m = primary.size('main');
    if (m === 0) return;
    let h = 0;
    for (const a of accounts.values()) h += a.size('hedge');
    ratioSeries.push({ time, ratio: Math.abs(h) / Math.abs(m) });
  };

  const endEpisode = (time: number): void => {
    if (!episode) return;
    episode.closedAt = time;
    episode.netPnl = totalEquity(market.lastPrice(symbol)!) - episode.equityBefore;
    episode = undefined;
  };

  const onSignal = async (signal: TimedSignal): Promise<void> => {
    const { payload, time } = signal;
    const target = reportedMain(payload);
    const price = market.lastPrice(symbol);
    if (price === undefined) {
      dropped++;
      return;
    }
    const current = primary.size('main');
    // After a liquidation the bot's reports of that position are stale: drop them until
    // it is flat again or opens a new position.
    if (dropping) {
      if (payload.action !== 'open') {
        dropped++;
        if (target === 0) dropping = false;
        return;
      }
      dropping = false;
    }
    if (target !== undefined && target !== current) {
      const opening = current === 0 || (target !== 0 && Math.sign(target) !== Math.sign(current));
      if (opening && current !== 0) {
        // A flip closes the old position first: that ends its episode.
        await tradeMain(-current, payload.position?.leverage ?? input.leverage);
        endEpisode(time);
      }
      if (opening && target !== 0) {
        const equityBefore = totalEquity(price);
        const leverage = payload.position?.leverage ?? input.leverage;
        // The exchange's initial-margin check, on the backtest's own margin model (the one
        // that decides liquidations; the paper venue's own check is kept loose, see
        // paperVenueFactory).
        if ((Math.abs(target) * price) / leverage > primary.available(price)) {
          mainRejected++;
          dropped++;
          dropping = true;
          return;
        }
        await tradeMain(target, leverage);
        if (primary.size('main') === 0) {
          // The venue refused the bot's opening order: nothing to hedge; the bot's
          // further reports of this position are dropped like a liquidated one's.
          dropped++;
          dropping = true;
          return;
        }
        episode = {
          id: episodes.length + 1,
          type: payload.type ?? 'untyped',
          openedAt: time,
          closedAt: null,
          side: sideOfSize(target),
          liquidated: false,
          equityBefore,
          netPnl: 0,
          hedgeFees: 0,
          hedgeSlippage: 0,
          hedgeFunding: 0,
        };
        episodes.push(episode);
      } else await tradeMain(target - primary.size('main'), payload.position?.leverage ?? input.leverage);
    }
    await deliver(signal.id, payload, time);
    noteRatio(time);
    if (target === 0) endEpisode(time);
  };

  const onLiquidation = async (liq: Liquidation): Promise<void> => {
    liquidations.push(liq);
    liquidationFees += liq.fee;
    const venue = venues.get(liq.venue)!;
    // The venue's exchange closes the same positions at the same price and takes the
    // clearance fee (shared by size when a cross pool closes both sides), so its wallet
    // holds the liquidation too; the books above already hold it.
    const closedSize = liq.closed.reduce((n, c) => n + Math.abs(c.size), 0);
    let feeLeft = liq.fee;
    for (let k = 0; k < liq.closed.length; k++) {
      const { role, size } = liq.closed[k]!;
      const fee = k === liq.closed.length - 1 ? feeLeft : (liq.fee * Math.abs(size)) / closedSize;
      feeLeft -= fee;
      const closed = venue.liquidate({ symbol, price: liq.price, fee, ...(hedgeMode ? { positionSide: sideOfSize(size) } : {}) });
      if (role === 'hedge') {
        hedgeLiquidations++;
        // The venue closed the hedge: the engine's ledger learns it as a fill, as a
        // reconciliation with the venue would tell it live.
        state.applyFill({ account: accountOf(signals), symbol, venue: liq.venue, side: size > 0 ? 'sell' : 'buy', amount: Math.abs(size), price: liq.price, fee: closed?.fee ?? 0, time: liq.time });
      }
    }
    if (liq.closed.some((c) => c.role === 'main')) {
      if (episode) episode.liquidated = true;
      dropping = true;
      const flat: SignalPayload = { account: accountOf(signals), symbol, action: 'update', type: 'liquidation', time: liq.time, position: { side: 'flat', size: 0 } };
      await deliver(`liq-${liquidations.length}`, flat, liq.time);
      endEpisode(liq.time);
    }
  };

  let nextSignal = 0;
  let nextFunding = input.funding.next(bars[0]!.time - 1);
  const sampleEvery = Math.max(1, Math.ceil(bars.length / MAX_POINTS));
  let peak = startingEquity;
  let maxDrawdown = 0;
  let maxDrawdownUsdt = 0;
  const progressEvery = Math.max(1, Math.floor(bars.length / 100));

  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i]!;
    const closeTime = bar.time + intervalMs;
    // 1. What happens before this bar closes, at the previous close.
    for (;;) {
      const st = nextSignal < signals.length ? signals[nextSignal]!.time : Infinity;
      const ft = nextFunding ? nextFunding.time : Infinity;
      const t = Math.min(st, ft);
      if (!(t < closeTime)) break;
      clock.advanceTo(t);
      if (ft <= st) {
        const price = market.lastPrice(symbol);
        if (price !== undefined) {
          for (const a of accounts.values()) {
            for (const [role, cash] of a.fund(price, nextFunding!.rate)) {
              const costs = role === 'main' ? main : hedge;
              costs.funding -= cash;
              if (role === 'hedge' && episode) episode.hedgeFunding -= cash;
            }
          }
        }
        nextFunding = input.funding.next(ft);
      } else {
        await onSignal(signals[nextSignal++]!);
      }
    }
    // 2. The bar: liquidation at its adverse extreme first, booked at the liquidation price.
    let liquidated: Liquidation[] | undefined;
    for (const account of accounts.values()) {
      if (!account.hasPositions()) continue;
      const triggers = account.currentTriggers();
      for (let k = 0; k < triggers.length; k++) {
        const t = triggers[k]!;
        if (t.below ? bar.low <= t.price : bar.high >= t.price) {
          // Stamped at the bar's close: the replay cannot know when inside the bar it happened.
          (liquidated ??= []).push(account.liquidate(t, closeTime));
          break;
        }
      }
    }
    // 3. The close; what follows a liquidation (the venue's view reaching the engine)
    // happens at the first price known after it, this close; then mark to market.
    market.closeBar(i);
    clock.advanceTo(closeTime);
    if (liquidated) for (const liq of liquidated) await onLiquidation(liq);
    let equity = 0;
    for (const a of accounts.values()) equity += a.equity(bar.close);
    if (equity > peak) peak = equity;
    else if (peak > 0) {
      const dd = (peak - equity) / peak;
      if (dd > maxDrawdown) maxDrawdown = dd;
      if (peak - equity > maxDrawdownUsdt) maxDrawdownUsdt = peak - equity;
    }
    if (i % sampleEvery === 0 || i === bars.length - 1) equitySeries.push({ time: closeTime, equity });
    if (input.progress && i % progressEvery === 0) input.progress(i, bars.length);
  }
  dropped += signals.length - nextSignal;
  const lastPrice = bars[bars.length - 1]!.close;
  if (episode) episode.netPnl = totalEquity(lastPrice) - episode.equityBefore;
  for (const v of venues.values()) await v.close();

  return {
    name: spec.name,
    modelVersion: spec.model.version,
    startingEquity,
    finalEquity: totalEquity(lastPrice),
    maxDrawdown,
    maxDrawdownUsdt,
    main,
    hedge,
    liquidationFees,
    liquidations,
    hedgeLiquidations,
    episodes,
    decisions,
    signals: { delivered, dropped, failed, mainRejected },
    equity: equitySeries,
    hedgeRatio: thin(ratioSeries),
  };
}

/** The account the signals trade (the reference bot and most files use one). */
function accountOf(signals: readonly TimedSignal[]): string {
  return signals[0]?.payload.account ?? 'main';
}

function thin<T>(points: T[]): T[] {
  if (points.length <= MAX_POINTS) return points;
  const every = Math.ceil(points.length / MAX_POINTS);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

export type { Role };
