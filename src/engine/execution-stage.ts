/**
 * The execution stage: the `SignalProcessor` of the live service and the backtest.
 *
 *   earlier legs of this signal (a retry, a restart) ─→ reconcile by client order id
 *       (fills applied to the ledger; still unknown → HH_ERR_EXECUTION_UNRESOLVED, retried)
 *   → `beforeDecide` (shared stores: the key's ledger reloaded, as other processes left it)
 *   → decision stage (features, model, target, risk) with the ledger as it now stands
 *   → outcome 'hedge' → router over the venues (legs journaled before each request)
 *       → every settled leg's fill applied to the ledger once
 *       → complete → `hedged`, with the decision and the order legs
 *       → short, or an over-fill not unwound, or a leg unknown → HH_ERR_EXECUTION_INCOMPLETE
 *         (retryable: the worker tries again with backoff, then dead-letters)
 *   → otherwise `skipped` / `rejected` as decided.
 *
 * Why a retry decides again instead of resending the old order: the fills of the first
 * attempt are in the ledger by then, so the new decision asks only for what is missing
 * (or unwinds what is too much) at the current price, and the kill switch, staleness and
 * rate limits apply to the retry too. Leg numbers continue where the signal's legs stopped,
 * so client order ids never repeat.
 */
import type { Clock } from '../core/clock.ts';
import { REASONS, type HedgeDecision } from '../core/decision.ts';
import { Decimal } from '../core/decimal.ts';
import { HedgehookError } from '../core/errors.ts';
import { orderView, type OrderLeg, type OrderStore } from '../core/orders.ts';
import type { Delivery, SignalProcessor } from '../core/ports.ts';
import type { PositionReport, ProcessingOutcome } from '../core/signal.ts';
import type { Venue } from '../core/venue.ts';
import { withDeadline } from '../execution/leg.ts';
import { isSettled, reconcileLegs, DEFAULT_NOT_FOUND_FINAL_AFTER_MS } from '../execution/reconcile.ts';
import { route, type RouteRequest, type RouteResult, type RoutingSettings } from '../execution/router.ts';
import { legKey } from '../portfolio/positions.ts';
import type { DecisionStage } from './decision-stage.ts';
import { fillOfLeg } from './decision-state.ts';

export interface ExecutionStageOptions {
  clock: Clock;
  decision: Pick<DecisionStage, 'decide' | 'state'>;
  orders: OrderStore;
  venues: ReadonlyMap<string, Venue>;
  routing: RoutingSettings;
  /** After this long, a leg its venue does not know never reached it (reconcile.ts). */
  notFoundFinalAfterMs?: number;
  /**
   * The venue holding the strategy's own (main) position: a payload without `position` has
   * it read from there (DESIGN.md, "Signal payload"). Absent: such a signal has no position.
   */
  positionVenue?: string;
  /**
   * Runs after the signal's earlier legs are reconciled and before anything reads the
   * ledger. With stores shared by several processes the wiring reloads the key's position
   * and hedge here (decision-state.ts, `reloadKeyState`): another process may have hedged
   * the key since this one last saw it. A throw fails the attempt (retried like any other).
   */
  beforeDecide?(delivery: Delivery): Promise<void>;
  /** Called once per leg when it settles (metrics, dashboard). */
  onLegSettled?(leg: OrderLeg): void;
  /** Called once per routed order with the router's result. */
  onRouted?(result: RouteResult, delivery: Delivery): void;
}

export interface ExecutionStage {
  process: SignalProcessor;
}

export function createExecutionStage(options: ExecutionStageOptions): ExecutionStage {
  const { clock, orders, venues, routing } = options;
  const state = options.decision.state;
  const notFoundFinalAfterMs = options.notFoundFinalAfterMs ?? DEFAULT_NOT_FOUND_FINAL_AFTER_MS;

  const process: SignalProcessor = async (delivery: Delivery): Promise<ProcessingOutcome> => {
    const applied = new Set<string>();
    const settle = (leg: OrderLeg) => {
      if (!isSettled(leg) || applied.has(leg.clientOrderId)) return;
      applied.add(leg.clientOrderId);
      const fill = fillOfLeg(leg);
      if (fill) state.applyFill(fill);
      options.onLegSettled?.(leg);
    };
    const saveLeg = async (leg: OrderLeg) => {
      await orders.save(leg);
      settle(leg);
    };

    const prior: OrderLeg[] = await orders.legsOf(delivery.id);
    // Legs settled in an earlier attempt were applied then (or at start-up): not again.
    for (const leg of prior) if (isSettled(leg)) applied.add(leg.clientOrderId);
    const open = prior.filter((l) => !isSettled(l));
    if (open.length > 0) {
      await reconcileLegs({ clock, venues, saveLeg }, { cancelTimeoutMs: routing.cancelTimeoutMs, notFoundFinalAfterMs }, open);
      const still = open.filter((l) => !isSettled(l));
      if (still.length > 0) {
        throw new HedgehookError(
          'HH_ERR_EXECUTION_UNRESOLVED',
          `order leg${still.length > 1 ? 's' : ''} ${still.map((l) => `${l.clientOrderId} on ${l.venue}`).join(', ')} still unknown; nothing new is sent until the venue answers`,
        );
      }
    }

    if (options.beforeDecide) await options.beforeDecide(delivery);
    const p = delivery.payload;
    const venuePosition = !p.position && p.action !== 'close' && options.positionVenue !== undefined
      ? await readMainPosition(venues, options.positionVenue, p.account, p.symbol, state.ledger.hedges, clock, routing.cancelTimeoutMs)
      : undefined;
    const decision = await options.decision.decide(delivery, venuePosition);
    if (decision.outcome !== 'hedge' || !decision.order) return finalOutcome(decision, prior);

    const intent = decision.order;
    const firstLeg = prior.reduce((n, l) => Math.max(n, l.leg + 1), 0);
    const request: RouteRequest = { signalId: delivery.id, account: delivery.payload.account, intent, firstLeg };
    if (intent.reduceOnly) request.reduceCapacity = reduceCapacity(state.ledger.hedges, delivery.payload.account, intent.symbol, intent.side, venues);
    const result = await route({ clock, venues, saveLeg }, routing, request);
    state.recordOrder(delivery.payload.account, clock.now());
    options.onRouted?.(result, delivery);

    const legs = [...prior, ...result.legs];
    if (!result.complete) {
      const newHedgeLegs = result.legs.filter((l) => l.purpose === 'hedge');
      const allRefused = newHedgeLegs.length > 0 && newHedgeLegs.every((l) => l.status === 'rejected');
      const why = result.legs.map((l) => `${l.venue} ${l.status}${l.error ? ` (${l.error.code})` : ''}`).join(', ') || 'no venue could take it';
      throw new HedgehookError(
        'HH_ERR_EXECUTION_INCOMPLETE',
        `filled ${result.filled} of ${result.requested} ${intent.symbol}` +
          (result.overfill > 0 ? `, over-fill ${result.overfill} not unwound` : '') +
          (result.unresolved.length > 0 ? `, ${result.unresolved.length} leg(s) unknown` : '') +
          `: ${why}`,
        // Every venue refused for good (auth, margin): retrying the same cannot help.
        allRefused && result.unresolved.length === 0 ? { retryable: false } : undefined,
      );
    }
    return { state: 'hedged', decision, orders: legs.map(orderView) };
  };

  return { process };
}

/** skipped / rejected as decided; any legs of earlier attempts stay on the record. */
function finalOutcome(decision: HedgeDecision, prior: readonly OrderLeg[]): ProcessingOutcome {
  const effect = decision.outcome === 'rejected' ? 'reject' : 'skip';
  const why = decision.reasons.filter((r) => REASONS[r.code].effect === effect).map((r) => `${r.code}: ${r.message}`);
  const outcome: ProcessingOutcome = {
    state: decision.outcome === 'rejected' ? 'rejected' : prior.some((l) => l.filled > 0) ? 'hedged' : 'skipped',
    reason: why.join('; ') || (decision.outcome === 'hedge' ? 'no order needed' : ''),
    decision,
  };
  if (prior.length > 0) outcome.orders = prior.map(orderView);
  return outcome;
}

/**
 * How much each venue may reduce: the size of the account's hedge there on the side the
 * order reduces (a buy reduces a short hedge). Exact decimals from the ledger.
 */
function reduceCapacity(
  hedges: Readonly<Record<string, { size: string }>>,
  account: string,
  symbol: string,
  side: 'buy' | 'sell',
  venues: ReadonlyMap<string, Venue>,
): Map<string, number> {
  const cap = new Map<string, number>();
  for (const id of venues.keys()) {
    const leg = hedges[legKey(account, symbol, id)];
    if (!leg) continue;
    const size = Decimal.from(leg.size);
    const reducible = side === 'buy' ? size.neg() : size;
    if (reducible.sign() > 0) cap.set(id, reducible.toNumber());
  }
  return cap;
}

/**
 * The main position on the position venue: what the venue reports for the symbol, less
 * our own hedge there (in one-way mode a hedge in the same account nets into the venue's
 * figure; in hedge mode the venue reports both sides and ours is the one opposite the
 * main). Read with a deadline; a venue that cannot answer fails the attempt (retryable),
 * so the signal is retried rather than decided without its position.
 */
async function readMainPosition(
  venues: ReadonlyMap<string, Venue>,
  venueId: string,
  account: string,
  symbol: string,
  hedges: Readonly<Record<string, { size: string }>>,
  clock: Clock,
  timeoutMs: number,
): Promise<PositionReport> {
  const venue = venues.get(venueId);
  if (!venue) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `account.positionVenue "${venueId}" is not a configured venue`);
  const positions = await withDeadline(clock, timeoutMs, (signal) => venue.positions([symbol], signal));
  const ours = Decimal.from(hedges[legKey(account, symbol, venueId)]?.size ?? 0);
  let net = Decimal.ZERO;
  const sides = positions.filter((x) => x.symbol === symbol);
  const hedgeMode = sides.some((x) => x.positionSide !== undefined);
  for (const x of sides) net = net.add(x.size);
  // Hedge mode: the side opposite our hedge is the main; one-way: remove our hedge from the net.
  if (hedgeMode) {
    net = Decimal.ZERO;
    for (const x of sides) if (ours.sign() === 0 || Decimal.from(x.size).sign() !== ours.sign()) net = net.add(x.size);
  } else {
    net = net.sub(ours);
  }
  const entry = sides.find((x) => x.entryPrice !== undefined && Decimal.from(x.size).sign() === net.sign());
  const report: PositionReport = { side: net.sign() > 0 ? 'long' : net.sign() < 0 ? 'short' : 'flat', size: net.abs().toNumber() };
  if (entry?.entryPrice !== undefined) report.entryPrice = entry.entryPrice;
  if (entry?.leverage !== undefined) report.leverage = entry.leverage;
  return report;
}
