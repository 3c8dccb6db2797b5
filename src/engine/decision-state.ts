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
 *
 * Several processes (shared PostgreSQL stores): any process may take a key's next signal, so
 * what this process holds for the key may be stale (another one hedged since). Sizing a hedge
 * from it would over- or under-hedge with real money. So, with shared stores, the wiring
 * calls `reloadKeyState` before each decision: the same fold as at start-up, for one key,
 * from the shared journal and order legs (`restoreKey`). It costs two indexed reads and
 * O(legs of the key) per decision; a snapshot per key is the next step when that matters.
 * Not reloaded: the signal-price volatility (each process estimates it from the prices it
 * sees) and the order times of maxOrdersPerMinute (per process); docs/deployment.md says so.
 */
import type { Journal } from '../core/ports.ts';
import { partitionKey, type PositionReport, type SignalPayload, type SignalView } from '../core/signal.ts';
import { SignalPriceVolatility } from '../model/signal-volatility.ts';
import { DEFAULT_EWMA_SETTINGS, type EwmaSettings } from '../model/volatility.ts';
import { SETTLED_LEG_STATUSES, type OrderLeg, type OrderStore } from '../core/orders.ts';
import { HedgehookError } from '../core/errors.ts';
import {
  applyFill,
  reportMain,
  EMPTY_LEDGER,
  mainKey,
  positionsView,
  reportMainFromSignal,
  type Fill,
  type HedgeLeg,
  type Ledger,
  type MainPosition,
  type PositionView,
} from '../portfolio/positions.ts';

const MINUTE_MS = 60_000;

/** Final states whose position report is applied; a rejected signal is not trusted. */
const REPORTING_STATES: ReadonlySet<string> = new Set(['hedged', 'skipped']);

/** What `restoreKey` puts back for one key. */
export interface KeyRestore {
  /** The signal whose position report stands (its payload, at its settle time). */
  main?: { payload: SignalPayload; at: number };
  /** The fills of the key's settled legs, oldest first. */
  fills: readonly Fill[];
  allSymbols?: boolean;
}

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

  /**
   * Replaces what the ledger holds for one (account, symbol) with a fold of the stores:
   * the main position as `main` reported it (none: unknown) and the hedges on every venue
   * from `fills`, oldest first. `allSymbols` replaces the hedges of the account's other
   * symbols too (the account notional cap reads them); their main positions are left alone.
   */
  restoreKey(account: string, symbol: string, restored: KeyRestore): void {
    const key = mainKey(account, symbol);
    const mains: Record<string, MainPosition> = {};
    for (const [k, m] of Object.entries(this.currentLedger.mains)) if (k !== key) mains[k] = m;
    const hedges: Record<string, HedgeLeg> = {};
    for (const [k, l] of Object.entries(this.currentLedger.hedges)) {
      if (l.account !== account || (l.symbol !== symbol && !restored.allSymbols)) hedges[k] = l;
    }
    let ledger: Ledger = { mains, hedges };
    if (restored.main) ledger = reportMainFromSignal(ledger, restored.main.payload, restored.main.at);
    for (const fill of restored.fills) {
      if (fill.account !== account || (fill.symbol !== symbol && !restored.allSymbols)) {
        throw new HedgehookError('HH_ERR_INTERNAL', `a fill of ${fill.account} ${fill.symbol} restored into ${account} ${symbol}`);
      }
      ledger = applyFill(ledger, fill);
    }
    this.currentLedger = ledger;
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
    // The fold reads the payload and the state only: without the outcomes the pass is
    // about three times faster (bench/restart.ts), and it stands between a restart and the
    // first acknowledgement.
    const page = await journal.listSignals({ limit: PAGE, outcome: false, ...(before !== undefined ? { beforeSeq: before } : {}) });
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

export interface KeyReload {
  /** The key's main position came from this signal (none settled with a report: unknown). */
  mainFrom: string | undefined;
  /** Settled legs whose fills were folded. */
  fills: number;
}

const KEY_PAGE = 100;

/**
 * Reloads one (account, symbol) from the shared stores into `state` (see the top of this
 * file): the newest settled signal of the key that reported a position (or a close), and the
 * fills of every settled leg of the key (of the whole account with `allSymbols`), folded
 * oldest first as at start-up. Run it while the key is held (the worker's per-key order):
 * nothing can settle for the key between the reads and the decision.
 *
 * Newest by sequence, where the start-up fold takes the latest settled: they differ only
 * when a dead-lettered signal was replayed after a newer one, and then the newer report is
 * the strategy's current position. The main position feeds the positions view only; the
 * hedge, which the decision sizes from, is the exact fold of the legs.
 */
export async function reloadKeyState(
  stores: { journal: Journal; orders: OrderStore },
  state: DecisionState,
  key: { account: string; symbol: string },
  options: { allSymbols?: boolean } = {},
): Promise<KeyReload> {
  const [main, legs] = await Promise.all([latestReport(stores.journal, partitionKey(key)), settledLegs(stores.orders, key.account, options.allSymbols ? undefined : key.symbol)]);
  const fills: Fill[] = [];
  for (const leg of legs) {
    const fill = fillOfLeg(leg);
    if (fill) fills.push(fill);
  }
  state.restoreKey(key.account, key.symbol, {
    fills,
    ...(main ? { main: { payload: main.payload, at: main.updatedAt } } : {}),
    ...(options.allSymbols ? { allSymbols: true } : {}),
  });
  return { mainFrom: main?.id, fills: fills.length };
}

async function latestReport(journal: Journal, key: string): Promise<SignalView | undefined> {
  let before: number | undefined;
  for (;;) {
    const page = await journal.listSignals({ partitionKey: key, limit: KEY_PAGE, outcome: false, ...(before !== undefined ? { beforeSeq: before } : {}) });
    for (const view of page) {
      if (REPORTING_STATES.has(view.state) && (view.payload.position || view.payload.action === 'close')) return view;
    }
    if (page.length < KEY_PAGE) return undefined;
    before = page[page.length - 1]!.seq;
  }
}

/** The settled legs of an account (and symbol), oldest first. */
async function settledLegs(orders: OrderStore, account: string, symbol: string | undefined): Promise<OrderLeg[]> {
  const legs: OrderLeg[] = [];
  let before: number | undefined;
  for (;;) {
    const query = { account, limit: PAGE, ...(symbol !== undefined ? { symbol } : {}), ...(before !== undefined ? { beforeId: before } : {}) };
    const page = await orders.list(query);
    for (const leg of page) if (isSettledLeg(leg)) legs.push(leg);
    if (page.length < PAGE) break;
    before = page[page.length - 1]!.id;
  }
  return legs.reverse();
}
