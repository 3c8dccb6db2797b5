/**
 * The paper account: wallet, positions, realised PnL, fees, funding and slippage, in exact
 * decimals (decimal.ts). Sizes are base-asset units (amount × contractSize), signed.
 *
 * A position keeps its signed cost basis (Σ size × price of what is open) instead of an
 * entry price, so adding is exact. The one rounding: when part of a position is closed,
 * the share of the cost basis it takes is cost × closed / size, rounded to 1e-12 quote
 * currency (half-up); closing the whole position takes the whole basis, exactly.
 */
import { Decimal } from '../../core/decimal.ts';
import type { PositionSideParam, VenuePosition } from '../../core/venue.ts';

const COST_GRID = Decimal.parse('0.000000000001');

export interface PaperPosition {
  symbol: string;
  /** Set in hedge mode. */
  positionSide?: PositionSideParam;
  /** Signed base units: long +, short −. */
  size: Decimal;
  /** Signed cost basis of the open size, quote currency (negative for a short). */
  cost: Decimal;
}

export interface PaperAccountTotals {
  currency: string;
  /** Starting balance + realised PnL − fees − funding. */
  wallet: number;
  /** Wallet + unrealised PnL at the market price. */
  equity: number;
  /** Equity − initial margin of the positions (size × price / leverage). */
  available: number;
  realisedPnl: number;
  /** Fees paid, quote currency (negative = rebates exceeded fees). */
  fees: number;
  /** Funding paid (negative = received). */
  funding: number;
  /** Σ |fill price − mid| × size over every fill: spread and depth together. */
  slippage: number;
}

export class PaperAccount {
  wallet: Decimal;
  realised = Decimal.ZERO;
  fees = Decimal.ZERO;
  funding = Decimal.ZERO;
  slippage = Decimal.ZERO;
  private readonly positions = new Map<string, PaperPosition>();

  constructor(readonly currency: string, balance: number, readonly leverage: number) {
    this.wallet = Decimal.from(balance);
  }

  static key(symbol: string, positionSide: PositionSideParam | undefined): string {
    return positionSide ? `${symbol}|${positionSide}` : symbol;
  }

  position(symbol: string, positionSide?: PositionSideParam): PaperPosition | undefined {
    return this.positions.get(PaperAccount.key(symbol, positionSide));
  }

  /** Signed base size of a position, zero when there is none. */
  sizeOf(symbol: string, positionSide?: PositionSideParam): Decimal {
    return this.positions.get(PaperAccount.key(symbol, positionSide))?.size ?? Decimal.ZERO;
  }

  /**
   * Books one fill of `size` base units (signed: buy +, sell −) at `price`; returns the
   * realised PnL (already added to the wallet). A fill larger than an opposite position
   * closes it and opens the rest the other way (one-way mode only; the venue caps
   * reduce-only and hedge-mode closing fills before they get here).
   */
  fill(symbol: string, positionSide: PositionSideParam | undefined, size: Decimal, price: Decimal): Decimal {
    const key = PaperAccount.key(symbol, positionSide);
    let pos = this.positions.get(key);
    if (!pos) {
      pos = { symbol, size: Decimal.ZERO, cost: Decimal.ZERO };
      if (positionSide) pos.positionSide = positionSide;
      this.positions.set(key, pos);
    }
    let realised = Decimal.ZERO;
    if (pos.size.isZero() || pos.size.sign() === size.sign()) {
      pos.size = pos.size.add(size);
      pos.cost = pos.cost.add(size.mul(price));
    } else {
      const open = pos.size.abs();
      const closing = Decimal.min(size.abs(), open);
      const closed = size.sign() < 0 ? closing.neg() : closing;
      const basis = closing.eq(open) ? pos.cost : pos.cost.mul(closing).divToStep(open, COST_GRID, 'half-up');
      // Selling a long brings in closed × price; buying back a short pays it.
      realised = closed.neg().mul(price).sub(basis);
      pos.size = pos.size.add(closed);
      pos.cost = pos.cost.sub(basis);
      const rest = size.sub(closed);
      if (!rest.isZero()) {
        pos.size = rest;
        pos.cost = rest.mul(price);
      }
    }
    if (pos.size.isZero()) this.positions.delete(key);
    this.realised = this.realised.add(realised);
    this.wallet = this.wallet.add(realised);
    return realised;
  }

  chargeFee(fee: Decimal): void {
    this.fees = this.fees.add(fee);
    this.wallet = this.wallet.sub(fee);
  }

  chargeFunding(payment: Decimal): void {
    this.funding = this.funding.add(payment);
    this.wallet = this.wallet.sub(payment);
  }

  /**
   * After a forced close: a negative wallet is brought back to zero, as an exchange's
   * insurance fund takes a loss beyond the margin. Returns what it covered.
   */
  coverDeficit(): Decimal {
    if (this.wallet.sign() >= 0) return Decimal.ZERO;
    const covered = this.wallet.neg();
    this.wallet = Decimal.ZERO;
    return covered;
  }

  addSlippage(amount: Decimal): void {
    this.slippage = this.slippage.add(amount);
  }

  openPositions(): PaperPosition[] {
    return [...this.positions.values()];
  }

  /** Cost basis / size, rounded to 1e-12 (half-up): the one inexact figure of a position. */
  static entryPrice(pos: PaperPosition): Decimal {
    return pos.cost.divToStep(pos.size, COST_GRID, 'half-up');
  }

  /** Unrealised PnL of a position at `mark`: size × mark − cost. */
  static unrealised(pos: PaperPosition, mark: number): Decimal {
    return pos.size.mul(mark).sub(pos.cost);
  }

  /** The port's view of a position; `mark` undefined → valued at its entry price. */
  view(pos: PaperPosition, mark: number | undefined): VenuePosition {
    const out: VenuePosition = {
      symbol: pos.symbol,
      size: pos.size.toNumber(),
      entryPrice: PaperAccount.entryPrice(pos).toNumber(),
      leverage: this.leverage,
      unrealisedPnl: mark === undefined ? 0 : PaperAccount.unrealised(pos, mark).toNumber(),
      marginMode: 'cross',
    };
    if (pos.positionSide) out.positionSide = pos.positionSide;
    return out;
  }

  /** `markOf(symbol)` prices the positions; a symbol without a price counts at entry. */
  totals(markOf: (symbol: string) => number | undefined): PaperAccountTotals {
    let equity = this.wallet;
    let margin = 0;
    for (const pos of this.positions.values()) {
      const mark = markOf(pos.symbol);
      if (mark !== undefined) equity = equity.add(PaperAccount.unrealised(pos, mark));
      margin += Math.abs(mark === undefined ? pos.cost.toNumber() : pos.size.toNumber() * mark) / this.leverage;
    }
    const equityNumber = equity.toNumber();
    return {
      currency: this.currency,
      wallet: this.wallet.toNumber(),
      equity: equityNumber,
      available: equityNumber - margin,
      realisedPnl: this.realised.toNumber(),
      fees: this.fees.toNumber(),
      funding: this.funding.toNumber(),
      slippage: this.slippage.toNumber(),
    };
  }
}
