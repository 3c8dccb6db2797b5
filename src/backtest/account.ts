/**
 * One exchange account of the backtest (one per venue): its wallet, the positions in it
 * and their margin. The trader's main position lives in the primary venue's account; the
 * hedge lives wherever the router filled it — the same account (Binance hedge mode: a
 * LONG and a SHORT position side by side) or another venue's account.
 *
 * Why the placement matters, and why the report says which one was used:
 * - same account, cross margin: the hedge's gains count toward the main position's margin
 *   (Binance's formula takes both sides), so a hedge moves the liquidation price away. It
 *   protects MARGIN.
 * - another account (or isolated margin): the main position is liquidated exactly where it
 *   would be unhedged; the hedge only offsets the loss in total equity. It protects EQUITY.
 *
 * Positions, by role (`main`, `hedge`), average-cost:
 *   a fill q (signed, buy +) at p on a position S with entry E:
 *     opening/adding:  E ← (|S|·E + |q|·p) / (|S| + |q|),  S ← S + q
 *     reducing:        realised = closed × (p − E) × sign(S), credited to the wallet
 *     flipping:        close all, open the rest at p
 *   fees are debited to the wallet as they are paid (the paper venue's fee on each fill).
 * Isolated margin (per role): the position's own wallet = entry notional / leverage on
 * opening and adding, released pro rata on reducing (realised PnL goes to the wallet);
 * funding and fees come out of it.
 * Cross margin: the whole account wallet backs every position.
 *
 * Liquidation (liquidate): the pool's positions are closed at the liquidation price, and a
 * clearance fee of min(liquidation fee rate × notional, what is left of the pool's margin)
 * is taken — with TRXUSDT's 1% fee above its 0.65% maintenance rate, the trader loses all
 * the margin that was left, as on Binance. A loss beyond the margin (the price gapped
 * through) is the insurance fund's: a wallet never goes below zero by a liquidation.
 *
 * Arithmetic is in doubles: the simulation marks every bar (hundreds of thousands of
 * times) and exact decimals there would cost more than the whole engine; IEEE operations
 * in a fixed order are deterministic, so the same run gives the same bits. The report
 * rounds each figure once, at output (report.ts).
 */
import { liquidationTrigger, type Leg, type MaintenanceBracket, type MarginPool } from './margin.ts';

export type MarginMode = 'isolated' | 'cross';
export type Role = 'main' | 'hedge';

export interface MarginSettings {
  mode: MarginMode;
  brackets: readonly MaintenanceBracket[];
  liquidationFeeRate: number;
}

export interface Position {
  role: Role;
  /** Signed base size: long +, short −. */
  size: number;
  entry: number;
  /** Isolated margin of this position (0 in cross mode). */
  margin: number;
  leverage: number;
}

/** What a liquidation did, for the report. */
export interface Liquidation {
  venue: string;
  time: number;
  price: number;
  /** Roles of the positions closed, with their signed sizes before the liquidation. */
  closed: { role: Role; size: number }[];
  /** Realised PnL of the closing, and the clearance fee taken. */
  pnl: number;
  fee: number;
}

export interface Trigger {
  price: number;
  below: boolean;
  /** The roles the pool covers (isolated: one; cross: every role in the account). */
  roles: Role[];
}

const sign = (x: number): number => (x > 0 ? 1 : x < 0 ? -1 : 0);

export class MarginAccount {
  readonly positions = new Map<Role, Position>();
  /** Total wallet balance (cross wallet plus isolated margins). */
  wallet: number;
  private triggers: Trigger[] = [];
  private dirty = true;

  constructor(
    readonly venue: string,
    startingWallet: number,
    private readonly settings: MarginSettings,
  ) {
    this.wallet = startingWallet;
  }

  size(role: Role): number {
    return this.positions.get(role)?.size ?? 0;
  }

  hasPositions(): boolean {
    return this.positions.size > 0;
  }

  /** Applies a fill; returns the realised PnL it booked (fees are booked separately). */
  fill(role: Role, signedQty: number, price: number, fee: number, leverage: number): number {
    this.dirty = true;
    this.debit(role, fee);
    const pos = this.positions.get(role);
    if (!pos || pos.size === 0) {
      this.open(role, signedQty, price, leverage);
      return 0;
    }
    if (sign(pos.size) === sign(signedQty)) {
      const total = Math.abs(pos.size) + Math.abs(signedQty);
      pos.entry = (Math.abs(pos.size) * pos.entry + Math.abs(signedQty) * price) / total;
      pos.size += signedQty;
      if (this.settings.mode === 'isolated') {
        const add = (Math.abs(signedQty) * price) / leverage;
        pos.margin += add;
      }
      return 0;
    }
    const closed = Math.min(Math.abs(signedQty), Math.abs(pos.size));
    const realised = closed * (price - pos.entry) * sign(pos.size);
    this.wallet += realised;
    const rest = Math.abs(signedQty) - closed;
    if (closed === Math.abs(pos.size)) {
      // The isolated margin and the realised PnL both return to the cross wallet.
      this.positions.delete(role);
      if (rest > 0) this.open(role, sign(signedQty) * rest, price, leverage);
    } else {
      // The released share of the isolated margin goes back to the cross wallet.
      if (this.settings.mode === 'isolated') pos.margin *= 1 - closed / Math.abs(pos.size);
      pos.size += sign(signedQty) * closed;
    }
    return realised;
  }

  private open(role: Role, signedQty: number, price: number, leverage: number): void {
    if (signedQty === 0) return;
    const margin = this.settings.mode === 'isolated' ? (Math.abs(signedQty) * price) / leverage : 0;
    this.positions.set(role, { role, size: signedQty, entry: price, margin, leverage });
  }

  /** A cash flow out of (negative: into) the account, charged to the role's isolated margin. */
  private debit(role: Role, amount: number): void {
    this.wallet -= amount;
    const pos = this.positions.get(role);
    if (pos && this.settings.mode === 'isolated') pos.margin -= amount;
  }

  /** Funding settlement at `mark` with `rate`: cash = −S × mark × rate per position. */
  fund(mark: number, rate: number): Map<Role, number> {
    const flows = new Map<Role, number>();
    for (const pos of this.positions.values()) {
      const cash = -pos.size * mark * rate;
      this.debit(pos.role, -cash);
      flows.set(pos.role, cash);
    }
    if (flows.size > 0) this.dirty = true;
    return flows;
  }

  unrealised(price: number): number {
    let pnl = 0;
    for (const pos of this.positions.values()) pnl += pos.size * (price - pos.entry);
    return pnl;
  }

  /** Equity minus the initial margin (notional / leverage) of every open position. */
  available(price: number): number {
    let used = 0;
    for (const pos of this.positions.values()) used += (Math.abs(pos.size) * price) / pos.leverage;
    return this.equity(price) - used;
  }

  equity(price: number): number {
    return this.positions.size === 0 ? this.wallet : this.wallet + this.unrealised(price);
  }

  /** The pool(s) Binance's formula is applied to: one per position (isolated) or one for all (cross). */
  pools(): { pool: MarginPool; roles: Role[] }[] {
    if (this.settings.mode === 'isolated') {
      return [...this.positions.values()].map((p) => ({ pool: poolOf(p.margin, [p]), roles: [p.role] }));
    }
    if (this.positions.size === 0) return [];
    return [{ pool: poolOf(this.wallet, [...this.positions.values()]), roles: [...this.positions.keys()] }];
  }

  /** The liquidation triggers as they stand; recomputed only after a change. */
  currentTriggers(): readonly Trigger[] {
    if (this.dirty) {
      this.dirty = false;
      this.triggers = [];
      for (const { pool, roles } of this.pools()) {
        const t = liquidationTrigger(pool, this.settings.brackets);
        if (t) this.triggers.push({ ...t, roles });
      }
    }
    return this.triggers;
  }

  /** Closes the trigger's positions at its price and takes the clearance fee. */
  liquidate(trigger: Trigger, time: number): Liquidation {
    this.dirty = true;
    const price = trigger.price;
    const closed: Liquidation['closed'] = [];
    let pnl = 0;
    let notional = 0;
    let poolMargin = this.settings.mode === 'isolated' ? 0 : this.wallet;
    for (const role of trigger.roles) {
      const pos = this.positions.get(role);
      if (!pos) continue;
      closed.push({ role, size: pos.size });
      const realised = pos.size * (price - pos.entry);
      pnl += realised;
      notional += Math.abs(pos.size) * price;
      if (this.settings.mode === 'isolated') poolMargin += pos.margin;
      this.positions.delete(role);
    }
    const left = poolMargin + pnl;
    // A loss beyond the pool's margin (a gap through the bankruptcy price) is the
    // insurance fund's, not the trader's: the trader loses at most the margin.
    if (left < 0) pnl -= left;
    this.wallet += pnl;
    const fee = Math.min(notional * this.settings.liquidationFeeRate, Math.max(0, left));
    this.wallet -= fee;
    return { venue: this.venue, time, price, closed, pnl, fee };
  }
}

function poolOf(walletBalance: number, positions: Position[]): MarginPool {
  let long: Leg | undefined;
  let short: Leg | undefined;
  for (const p of positions) {
    const size = Math.abs(p.size);
    if (p.size > 0) long = long ? merge(long, size, p.entry) : { size, entryPrice: p.entry };
    else if (p.size < 0) short = short ? merge(short, size, p.entry) : { size, entryPrice: p.entry };
  }
  return { walletBalance, long, short };
}

/** Two positions on the same side of one account are one position to the exchange. */
function merge(leg: Leg, size: number, entry: number): Leg {
  const total = leg.size + size;
  return { size: total, entryPrice: (leg.size * leg.entryPrice + size * entry) / total };
}
