/**
 * The position ledger: per (account, symbol) the main position as reported (by payloads
 * or the venue), and per (account, symbol, venue) the hedge built from fills. Pure and
 * immutable: `applyFill(ledger, fill)` returns a new ledger; the state is plain JSON, so
 * the journal can snapshot it and a replay of the same fills rebuilds it exactly.
 *
 * Arithmetic of a hedge leg (average-cost method, sizes in base units):
 *   size  S  signed (long +, short −), exact decimal (fills are on the step grid)
 *   cost  C  signed cost basis of the open size = Σ signed qty × price, exact decimal
 *   a fill of signed qty q (buy +, sell −) at price p:
 *     same side or flat:   S += q;  C += q·p
 *     opposite side:       c = the part that closes, sign of q, |c| = min(|q|, |S|)
 *                          released = C · |c| / |S|            (rounded to 1e-12: see below)
 *                          realised += −c·p − released          (long: sold above cost = profit)
 *                          S += c;  C −= released
 *                          what is left of q (a flip) opens at p: S = q − c, C = (q − c)·p
 *   fees   += fee (quote currency, + paid, − rebate), kept apart from the realised PnL
 *   average entry = C / S;  unrealised at mark m = S·m − C
 * Realised and unrealised PnL are exact decimals (a partial close's released cost is the
 * one rounding, to 1e-12, and it moves value between the two, never out of their sum).
 * Linear contracts only (PnL in the quote currency, contract size folded into sizes).
 * Each fill must be applied once: the caller (execution, from the journal) deduplicates.
 */
import { Decimal } from '../core/decimal.ts';
import { HedgehookError } from '../core/errors.ts';
import type { PositionReport, PositionSide, SignalPayload } from '../core/signal.ts';
import { Rational } from './rational.ts';

export interface Fill {
  account: string;
  symbol: string;
  venue: string;
  side: 'buy' | 'sell';
  /** Base-asset quantity, > 0. */
  amount: number;
  /** > 0, quote currency. */
  price: number;
  /** Quote currency; positive = paid, negative = rebate. */
  fee?: number;
  /** Epoch ms. */
  time: number;
  orderId?: string;
}

/** A hedge leg; exact values as text (decimal, or "n/d" for a fraction). */
export interface HedgeLeg {
  account: string;
  symbol: string;
  venue: string;
  size: string;
  cost: string;
  realisedPnl: string;
  fees: string;
  fills: number;
  updatedAt: number;
}

export interface MainPosition {
  account: string;
  symbol: string;
  side: PositionSide;
  size: number;
  entryPrice?: number;
  leverage?: number;
  source: 'payload' | 'venue';
  updatedAt: number;
}

export interface Ledger {
  readonly mains: Readonly<Record<string, MainPosition>>;
  readonly hedges: Readonly<Record<string, HedgeLeg>>;
}

export const EMPTY_LEDGER: Ledger = Object.freeze({ mains: Object.freeze({}), hedges: Object.freeze({}) });

/** Collision-free keys (names may contain any separator). */
export function mainKey(account: string, symbol: string): string {
  return JSON.stringify([account, symbol]);
}
export function legKey(account: string, symbol: string, venue: string): string {
  return JSON.stringify([account, symbol, venue]);
}

/** Decimal places of the cost a partial close releases (see applyFillToLeg). */
const RELEASE_DIGITS = 12;

function positive(name: string, x: number): void {
  if (!(Number.isFinite(x) && x > 0)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `${name} must be a positive finite number, got ${x}`);
}

/** The leg after one fill; exported for tests and for replaying a single leg. */
export function applyFillToLeg(leg: HedgeLeg | undefined, fill: Fill): HedgeLeg {
  positive('fill.amount', fill.amount);
  positive('fill.price', fill.price);
  if (fill.fee !== undefined && !Number.isFinite(fill.fee)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `fill.fee must be finite, got ${fill.fee}`);
  let size = Decimal.from(leg?.size ?? 0);
  let cost = Rational.parse(leg?.cost ?? '0');
  let realised = Rational.parse(leg?.realisedPnl ?? '0');
  const price = Rational.from(fill.price);
  const qAbs = Decimal.from(fill.amount);
  const q = fill.side === 'buy' ? qAbs : qAbs.neg();

  if (size.isZero() || size.sign() === q.sign()) {
    size = size.add(q);
    cost = cost.add(Rational.from(q).mul(price));
  } else {
    const closing = Decimal.min(qAbs, size.abs());
    const c = q.sign() > 0 ? closing : closing.neg();
    // The share of cost a partial close releases, rounded to 1e-12 USDT: kept as an exact
    // fraction its denominator grew with every partial close (hundreds of digits after a
    // few thousand fills, milliseconds per fill). The same rounded amount leaves the cost
    // and enters the realised PnL, so realised + unrealised still equals proceeds − cost
    // exactly; only their split carries the 1e-12.
    const released = Rational.from(cost.mul(Rational.from(closing)).div(Rational.from(size.abs())).toDecimal(RELEASE_DIGITS));
    realised = realised.add(Rational.from(c).neg().mul(price)).sub(released);
    size = size.add(c);
    cost = cost.sub(released);
    const rest = q.sub(c);
    if (!rest.isZero()) {
      size = rest;
      cost = Rational.from(rest).mul(price);
    }
  }
  if (size.isZero()) cost = Rational.ZERO;

  return {
    account: fill.account,
    symbol: fill.symbol,
    venue: fill.venue,
    size: size.toString(),
    cost: cost.toString(),
    realisedPnl: realised.toString(),
    fees: Decimal.from(leg?.fees ?? 0).add(Decimal.from(fill.fee ?? 0)).toString(),
    fills: (leg?.fills ?? 0) + 1,
    updatedAt: Math.max(leg?.updatedAt ?? fill.time, fill.time),
  };
}

export function applyFill(ledger: Ledger, fill: Fill): Ledger {
  const key = legKey(fill.account, fill.symbol, fill.venue);
  return { mains: ledger.mains, hedges: { ...ledger.hedges, [key]: applyFillToLeg(ledger.hedges[key], fill) } };
}

export function applyFills(ledger: Ledger, fills: Iterable<Fill>): Ledger {
  let l = ledger;
  for (const f of fills) l = applyFill(l, f);
  return l;
}

/** Records the main position as reported (payload or venue). */
export function reportMain(
  ledger: Ledger,
  report: { account: string; symbol: string; position: PositionReport; at: number; source: MainPosition['source'] },
): Ledger {
  const { position } = report;
  const main: MainPosition = {
    account: report.account,
    symbol: report.symbol,
    side: position.side,
    size: position.side === 'flat' ? 0 : Math.abs(position.size),
    source: report.source,
    updatedAt: report.at,
  };
  if (position.entryPrice !== undefined) main.entryPrice = position.entryPrice;
  if (position.leverage !== undefined) main.leverage = position.leverage;
  return { mains: { ...ledger.mains, [mainKey(report.account, report.symbol)]: main }, hedges: ledger.hedges };
}

/** A signal's view of the main position: its `position` if any, flat on `close`, else unchanged. */
export function reportMainFromSignal(ledger: Ledger, payload: SignalPayload, at: number): Ledger {
  const position: PositionReport | undefined = payload.position ?? (payload.action === 'close' ? { side: 'flat', size: 0 } : undefined);
  if (!position) return ledger;
  return reportMain(ledger, { account: payload.account, symbol: payload.symbol, position, at, source: 'payload' });
}

function legsOf(ledger: Ledger, account: string, symbol: string): HedgeLeg[] {
  return Object.values(ledger.hedges).filter((l) => l.account === account && l.symbol === symbol);
}

/** The signed hedge across venues, exact: the `currentHedge` of the target computation. */
export function netHedgeExact(ledger: Ledger, account: string, symbol: string): Decimal {
  return legsOf(ledger, account, symbol).reduce((sum, l) => sum.add(Decimal.from(l.size)), Decimal.ZERO);
}

export function netHedge(ledger: Ledger, account: string, symbol: string): number {
  return netHedgeExact(ledger, account, symbol).toNumber();
}

/**
 * Σ |hedge| × mark over the account's symbols other than `symbol` (the guard's
 * `otherSymbolsHedgeNotional`). A symbol without a mark is valued at its average entry.
 */
export function otherSymbolsHedgeNotional(ledger: Ledger, account: string, symbol: string, marks: Readonly<Record<string, number>>): number {
  let total = Rational.ZERO;
  const bySymbol = new Map<string, Decimal>();
  const costBySymbol = new Map<string, Rational>();
  for (const l of Object.values(ledger.hedges)) {
    if (l.account !== account || l.symbol === symbol) continue;
    bySymbol.set(l.symbol, (bySymbol.get(l.symbol) ?? Decimal.ZERO).add(Decimal.from(l.size)));
    costBySymbol.set(l.symbol, (costBySymbol.get(l.symbol) ?? Rational.ZERO).add(Rational.parse(l.cost)));
  }
  for (const [sym, size] of bySymbol) {
    if (size.isZero()) continue;
    const mark = marks[sym];
    const value = mark === undefined ? costBySymbol.get(sym) ?? Rational.ZERO : Rational.from(size).mul(Rational.from(mark));
    total = total.add(value.sign() < 0 ? value.neg() : value);
  }
  return total.toNumber();
}

export interface HedgeLegView {
  venue: string;
  side: PositionSide;
  /** |size| */
  size: number;
  signedSize: number;
  averageEntry: number | null;
  realisedPnl: number;
  fees: number;
  /** realisedPnl − fees */
  netRealisedPnl: number;
  /** null without a mark price. */
  unrealisedPnl: number | null;
  fills: number;
  updatedAt: number;
}

export interface PositionView {
  account: string;
  symbol: string;
  markPrice: number | null;
  main: (MainPosition & { unrealisedPnl: number | null }) | null;
  hedges: HedgeLegView[];
  /** Signed hedge across venues. */
  netHedge: number;
  /** Signed main + signed hedge: what is still exposed. */
  netExposure: number;
  /** |net hedge| / |main|, null when the main position is flat or unknown. */
  hedgeRatio: number | null;
  realisedPnl: number;
  fees: number;
  unrealisedPnl: number | null;
}

function sideOf(size: Decimal): PositionSide {
  return size.sign() > 0 ? 'long' : size.sign() < 0 ? 'short' : 'flat';
}

export function legView(leg: HedgeLeg, mark?: number): HedgeLegView {
  const size = Decimal.from(leg.size);
  const cost = Rational.parse(leg.cost);
  const realised = Rational.parse(leg.realisedPnl);
  const fees = Rational.parse(leg.fees);
  const s = Rational.from(size);
  return {
    venue: leg.venue,
    side: sideOf(size),
    size: size.abs().toNumber(),
    signedSize: size.toNumber(),
    averageEntry: size.isZero() ? null : cost.div(s).toNumber(),
    realisedPnl: realised.toNumber(),
    fees: fees.toNumber(),
    netRealisedPnl: realised.sub(fees).toNumber(),
    unrealisedPnl: mark === undefined ? null : s.mul(Rational.from(mark)).sub(cost).toNumber(),
    fills: leg.fills,
    updatedAt: leg.updatedAt,
  };
}

/** `GET /api/positions`: one row per (account, symbol), hedges per venue, sorted by key. */
export function positionsView(ledger: Ledger, marks: Readonly<Record<string, number>> = {}): PositionView[] {
  const keys = new Set<string>([
    ...Object.values(ledger.mains).map((m) => mainKey(m.account, m.symbol)),
    ...Object.values(ledger.hedges).map((l) => mainKey(l.account, l.symbol)),
  ]);
  return [...keys].sort().map((key) => {
    const [account, symbol] = JSON.parse(key) as [string, string];
    const mark = marks[symbol];
    const legs = legsOf(ledger, account, symbol).sort((a, b) => (a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0));
    const views = legs.map((l) => legView(l, mark));
    const main = ledger.mains[key];
    const mainSigned = main ? (main.side === 'long' ? Decimal.from(main.size) : main.side === 'short' ? Decimal.from(main.size).neg() : Decimal.ZERO) : Decimal.ZERO;
    const net = legs.reduce((sum, l) => sum.add(Decimal.from(l.size)), Decimal.ZERO);
    const realised = legs.reduce((sum, l) => sum.add(Rational.parse(l.realisedPnl)), Rational.ZERO);
    const fees = legs.reduce((sum, l) => sum.add(Rational.parse(l.fees)), Rational.ZERO);
    const unrealised =
      mark === undefined
        ? null
        : legs.reduce((sum, l) => sum.add(Rational.from(l.size).mul(Rational.from(mark)).sub(Rational.parse(l.cost))), Rational.ZERO).toNumber();
    let mainView: PositionView['main'] = null;
    if (main) {
      const mainUnrealised =
        mark === undefined || main.entryPrice === undefined ? null : Rational.from(mainSigned).mul(Rational.from(mark).sub(Rational.from(main.entryPrice))).toNumber();
      mainView = { ...main, unrealisedPnl: mainUnrealised };
    }
    return {
      account,
      symbol,
      markPrice: mark ?? null,
      main: mainView,
      hedges: views,
      netHedge: net.toNumber(),
      netExposure: mainSigned.add(net).toNumber(),
      hedgeRatio: mainSigned.isZero() ? null : Rational.from(net.abs()).div(Rational.from(mainSigned.abs())).toNumber(),
      realisedPnl: realised.toNumber(),
      fees: fees.toNumber(),
      unrealisedPnl: unrealised,
    };
  });
}
