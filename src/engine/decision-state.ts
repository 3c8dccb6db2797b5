/**
 * What the decision stage remembers between signals, in memory:
 * - the position ledger (src/portfolio): the main position of each (account, symbol) as its
 *   latest signal reported it, and the hedges built from fills (none until the execution
 *   stage places orders, so the current hedge is 0 today);
 * - the volatility of each symbol from the prices seen in signals (src/model/signal-volatility.ts);
 * - the times of orders sent per account, for maxOrdersPerMinute (recorded by the stage
 *   that actually sends orders: the execution issue).
 *
 * Why in memory and rebuilt from the journal rather than a table of its own: the journal
 * already holds every signal with its payload and final state, so the ledger is a fold
 * over it; a second copy in a table could disagree with the journal after a crash between
 * the settle and the snapshot. `restoreDecisionState` replays the settled signals at
 * start-up (one pass over the journal, 1000 signals a page); when fills arrive they are
 * journaled too and folded the same way. The cost is O(signals) at start-up: when that
 * matters, a snapshot with the sequence number it covers is the next step.
 *
 * Signals of one (account, symbol) are decided one at a time (the worker's ordering), and
 * this object is only touched synchronously between awaits, so updates cannot interleave.
 */
import type { Journal } from '../core/ports.ts';
import type { PositionReport, SignalPayload, SignalView } from '../core/signal.ts';
import { SignalPriceVolatility } from '../model/signal-volatility.ts';
import { DEFAULT_EWMA_SETTINGS, type EwmaSettings } from '../model/volatility.ts';
import { SETTLED_LEG_STATUSES, type OrderLeg, type OrderStore } from '../core/orders.ts';
import { applyFill, reportMain, EMPTY_LEDGER, mainKey, positionsView, reportMainFromSignal, type Fill, type Ledger, type PositionView } from '../portfolio/positions.ts';

const MINUTE_MS = 60_000;

/** Final states whose position report is applied; a rejected signal is not trusted. */
const REPORTING_STATES: ReadonlySet<string> = new Set(['hedged', 'skipped']);

export class DecisionState {
  private currentLedger: Ledger = EMPTY_LEDGER;
  readonly volatility: SignalPriceVolatility;
  private readonly orders = new Map<string, number[]>();

  constructor(ewma: EwmaSettings = DEFAULT_EWMA_SETTINGS) {
    this.volatility = new SignalPriceVolatility(ewma);
  }

  get ledger(): Ledger {
    return this.currentLedger;
  }

  /** Applies a signal's view of the main position (its `position`, or flat on `close`). */
  reportSignal(payload: SignalPayload, at: number): void {
    this.currentLedger = reportMainFromSignal(this.currentLedger, payload, at);
  }

  /** The main position as the position venue reported it (a payload without one). */
  reportVenuePosition(account: string, symbol: string, position: PositionReport, at: number): void {
    this.currentLedger = reportMain(this.currentLedger, { account, symbol, position, at, source: 'venue' });
  }

  /** A fill of a hedge (or unwind) leg; each settled leg is applied once. */
  applyFill(fill: Fill): void {
    this.currentLedger = applyFill(this.currentLedger, fill);
  }

  /** An order was sent for `account` at `at` (the execution stage calls this). */
  recordOrder(account: string, at: number): void {
    const times = this.orders.get(account) ?? [];
    times.push(at);
    this.orders.set(account, times);
  }

  /** Order times of the last minute for `account`; older ones are dropped. */
  recentOrderTimes(account: string, now: number): readonly number[] {
    const times = this.orders.get(account);
    if (!times) return [];
    const kept = times.filter((t) => t > now - MINUTE_MS);
    if (kept.length !== times.length) this.orders.set(account, kept);
    return kept;
  }

  /** `GET /api/positions`, valued at `marks` (symbol → market price; none: no unrealised PnL). */
  positions(marks: Readonly<Record<string, number>> = {}): PositionView[] {
    return positionsView(this.currentLedger, marks);
  }
}

const isSettledLeg = (leg: OrderLeg): boolean => SETTLED_LEG_STATUSES.has(leg.status);

/** The fill a settled leg contributes to the ledger; none when nothing filled. */
export function fillOfLeg(leg: OrderLeg): Fill | undefined {
  if (!(leg.filled > 0) || leg.averagePrice === undefined) return undefined;
  return {
    account: leg.account,
    symbol: leg.symbol,
    venue: leg.venue,
    side: leg.side,
    amount: leg.filled,
    price: leg.averagePrice,
    fee: leg.fee,
    time: leg.updatedAt,
    orderId: leg.clientOrderId,
  };
}

export interface RestoreSummary {
  /** Signals read from the journal. */
  signals: number;
  /** (account, symbol) pairs with a main position. */
  positions: number;
  /** Prices fed to the volatility estimate. */
  prices: number;
  /** Settled order legs whose fills were applied to the hedges. */
  fills: number;
}

/** Only the latest prices matter to an EWMA (λ = 0.94 forgets in a few hundred bars). */
const MAX_RESTORED_PRICES = 5_000;
const PAGE = 1_000;

/**
 * Rebuilds the ledger and the volatility from the journal's settled signals: for each
 * (account, symbol) the report of the signal settled last (as live processing applied
 * them), and the prices of the latest signals in time order.
 */
export async function restoreDecisionState(journal: Journal, state: DecisionState, orders?: OrderStore): Promise<RestoreSummary> {
  const latest = new Map<string, SignalView>();
  const prices: { symbol: string; price: number; time: number; seq: number }[] = [];
  let signals = 0;
  let before: number | undefined;
  for (;;) {
    const page = await journal.listSignals(before === undefined ? { limit: PAGE } : { limit: PAGE, beforeSeq: before });
    if (page.length === 0) break;
    for (const view of page) {
      signals++;
      if (!REPORTING_STATES.has(view.state)) continue;
      const p = view.payload;
      if (p.position || p.action === 'close') {
        const key = mainKey(p.account, p.symbol);
        const seen = latest.get(key);
        if (!seen || view.updatedAt > seen.updatedAt || (view.updatedAt === seen.updatedAt && view.seq > seen.seq)) latest.set(key, view);
      }
      if (p.price !== undefined && prices.length < MAX_RESTORED_PRICES) {
        prices.push({ symbol: p.symbol, price: p.price, time: p.time ?? view.receivedAt, seq: view.seq });
      }
    }
    before = page[page.length - 1]!.seq;
    if (page.length < PAGE) break;
  }
  for (const view of [...latest.values()].sort((a, b) => a.updatedAt - b.updatedAt || a.seq - b.seq)) {
    state.reportSignal(view.payload, view.updatedAt);
  }
  prices.sort((a, b) => a.time - b.time || a.seq - b.seq);
  for (const x of prices) state.volatility.observe(x.symbol, x.price, x.time);
  const fills = orders ? await restoreFills(orders, state) : 0;
  return { signals, positions: latest.size, prices: prices.length, fills };
}

/**
 * Folds the fills of every settled leg into the hedges, oldest first. Unsettled legs are
 * left out: the execution stage reconciles them before their signal goes on, and applies
 * their fills then.
 */
async function restoreFills(orders: OrderStore, state: DecisionState): Promise<number> {
  const legs: OrderLeg[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await orders.list(before === undefined ? { limit: PAGE } : { limit: PAGE, beforeId: before });
    if (page.length === 0) break;
    legs.push(...page);
    before = page[page.length - 1]!.id;
    if (page.length < PAGE) break;
  }
  let applied = 0;
  for (const leg of legs.reverse()) {
    if (!isSettledLeg(leg)) continue;
    const fill = fillOfLeg(leg);
    if (!fill) continue;
    state.applyFill(fill);
    applied++;
  }
  return applied;
}
