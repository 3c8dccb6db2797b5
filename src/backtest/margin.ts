/**
 * Binance USDⓈ-M margin arithmetic: maintenance margin, the liquidation test and the
 * liquidation price, for isolated and cross margin, one-way and hedge mode. Pure.
 *
 * Binance's formula ("How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"),
 * for contract 1 of an account:
 *
 *        WB − TMM1 + UPNL1 + cumB + cumL + cumS − Side1BOTH·Position1BOTH·EP1BOTH − Position1LONG·EP1LONG + Position1SHORT·EP1SHORT
 *   LP = ───────────────────────────────────────────────────────────────────────────────────────────────────────────────────────
 *             Position1BOTH·MMR_B + Position1LONG·MMR_L + Position1SHORT·MMR_S − Side1BOTH·Position1BOTH − Position1LONG + Position1SHORT
 *
 *   WB     wallet balance: the cross wallet, or the isolated wallet (margin) of the position
 *   TMM1   maintenance margin of the account's OTHER contracts (0 in isolated mode)
 *   UPNL1  unrealised PnL of the account's OTHER contracts (0 in isolated mode)
 *   cum    maintenance amount of the position's bracket; MMR its maintenance margin rate
 *   Position sizes are absolute base quantities; EP entry prices.
 *
 * A one-way position (BOTH) enters the formula exactly as a LONG (side 1) or a SHORT
 * (side −1) of the same size, so this module takes a long and a short leg per symbol:
 * one-way mode fills one of them, hedge mode may fill both. The formula is the price P
 * at which the margin balance equals the maintenance margin:
 *
 *   WB + UPNL1 + QL·(P − EPL) + QS·(EPS − P) = TMM1 + (QL·P·MMR_L − cumL) + (QS·P·MMR_S − cumS)
 *
 * which `marginBalance` and `maintenanceMargin` evaluate directly at any price, so the
 * liquidation test of a bar (`liquidatedAt`) needs no division.
 *
 * Brackets: the maintenance margin rate and amount depend on the position's notional.
 * Binance: "if your position (calculated at the liquidation price) and the current position
 * (calculated at the opening price) are of different levels, substitute the maintenance
 * margin rate and amount of the level at the liquidation price" — `liquidationPrice`
 * iterates until the bracket at LP is the one used to compute LP.
 *
 * Numbers are doubles: this is a simulation's risk test, not money that is paid out; the
 * amounts booked to an account are rounded where they are booked (account.ts).
 */

/** One row of a symbol's leverage brackets (GET /fapi/v1/leverageBracket). */
export interface MaintenanceBracket {
  /** Upper bound of the position notional for this bracket, USDT (the last may be Infinity). */
  notionalCap: number;
  /** Maintenance margin rate, 0.0065 = 0.65%. */
  maintenanceMarginRate: number;
  /** Maintenance amount ("cum"), USDT. */
  maintenanceAmount: number;
}

/**
 * TRXUSDT perpetual brackets as Binance publishes them (GET /fapi/v1/leverageBracket, as
 * ccxt's `fetchLeverageTiers` returns them): bracket 1 is 0–10 000 USDT at 0.65%, cum 0,
 * up to 75x. Bracket 1 is what `--mmr` / `--maintenance-amount` default to; a position
 * above 10 000 USDT moves up the table unless a single bracket is forced.
 */
export const TRXUSDT_BRACKETS: readonly MaintenanceBracket[] = Object.freeze([
  { notionalCap: 10_000, maintenanceMarginRate: 0.0065, maintenanceAmount: 0 },
  { notionalCap: 90_000, maintenanceMarginRate: 0.01, maintenanceAmount: 35 },
  { notionalCap: 645_000, maintenanceMarginRate: 0.02, maintenanceAmount: 935 },
  { notionalCap: 1_200_000, maintenanceMarginRate: 0.05, maintenanceAmount: 20_285 },
  { notionalCap: 3_000_000, maintenanceMarginRate: 0.1, maintenanceAmount: 80_285 },
  { notionalCap: 6_000_000, maintenanceMarginRate: 0.125, maintenanceAmount: 155_285 },
  { notionalCap: 12_000_000, maintenanceMarginRate: 0.15, maintenanceAmount: 305_285 },
  { notionalCap: 20_000_000, maintenanceMarginRate: 0.25, maintenanceAmount: 1_505_285 },
  { notionalCap: Infinity, maintenanceMarginRate: 0.5, maintenanceAmount: 6_505_285 },
]);

/** Binance's liquidation clearance fee for TRXUSDT: 1% of the liquidated notional. */
export const TRXUSDT_LIQUIDATION_FEE_RATE = 0.01;

/** The bracket of a position of `notional` USDT (the first whose cap is ≥ notional). */
export function bracketFor(brackets: readonly MaintenanceBracket[], notional: number): MaintenanceBracket {
  for (const b of brackets) if (notional <= b.notionalCap) return b;
  return brackets[brackets.length - 1]!;
}

/** One side of a symbol's position: absolute base size and entry price. */
export interface Leg {
  size: number;
  entryPrice: number;
}

/** What the formula needs about one symbol's position in one margin pool. */
export interface MarginPool {
  /** WB: cross wallet balance, or the isolated wallet (margin) of this position. */
  walletBalance: number;
  long?: Leg | undefined;
  short?: Leg | undefined;
  /** TMM1: maintenance margin of the pool's other contracts (cross only). */
  otherMaintenance?: number;
  /** UPNL1: unrealised PnL of the pool's other contracts (cross only). */
  otherUnrealised?: number;
}

const sizeOf = (leg: Leg | undefined): number => (leg ? leg.size : 0);

/** Unrealised PnL of both legs at `price`. */
export function unrealisedPnl(pool: MarginPool, price: number): number {
  let pnl = 0;
  if (pool.long && pool.long.size > 0) pnl += pool.long.size * (price - pool.long.entryPrice);
  if (pool.short && pool.short.size > 0) pnl += pool.short.size * (pool.short.entryPrice - price);
  return pnl;
}

/** WB + UPNL1 + the unrealised PnL of both legs at `price`. */
export function marginBalance(pool: MarginPool, price: number): number {
  return pool.walletBalance + (pool.otherUnrealised ?? 0) + unrealisedPnl(pool, price);
}

/** Maintenance margin of one leg at `price`: notional × MMR − cum of its bracket. */
export function legMaintenance(brackets: readonly MaintenanceBracket[], size: number, price: number): number {
  if (size <= 0) return 0;
  const notional = size * price;
  const b = bracketFor(brackets, notional);
  return notional * b.maintenanceMarginRate - b.maintenanceAmount;
}

/** TMM1 + the maintenance margin of both legs at `price`. */
export function maintenanceMargin(pool: MarginPool, brackets: readonly MaintenanceBracket[], price: number): number {
  return (pool.otherMaintenance ?? 0) + legMaintenance(brackets, sizeOf(pool.long), price) + legMaintenance(brackets, sizeOf(pool.short), price);
}

/** True when, at `price`, the margin balance is at or below the maintenance margin. */
export function liquidatedAt(pool: MarginPool, brackets: readonly MaintenanceBracket[], price: number): boolean {
  if (sizeOf(pool.long) <= 0 && sizeOf(pool.short) <= 0) return false;
  return marginBalance(pool, price) <= maintenanceMargin(pool, brackets, price);
}

/** Binance's formula with fixed brackets for each leg. */
function formula(pool: MarginPool, bl: MaintenanceBracket | undefined, bs: MaintenanceBracket | undefined): number | null {
  const ql = sizeOf(pool.long);
  const qs = sizeOf(pool.short);
  const numerator =
    pool.walletBalance - (pool.otherMaintenance ?? 0) + (pool.otherUnrealised ?? 0) +
    (bl?.maintenanceAmount ?? 0) + (bs?.maintenanceAmount ?? 0) -
    ql * (pool.long?.entryPrice ?? 0) + qs * (pool.short?.entryPrice ?? 0);
  const denominator = ql * (bl?.maintenanceMarginRate ?? 0) + qs * (bs?.maintenanceMarginRate ?? 0) - ql + qs;
  if (denominator === 0) return null;
  return numerator / denominator;
}

/**
 * The liquidation price of the pool's position, or null when there is none: no position,
 * a fully offset one (the denominator is 0), or a price that would have to be ≤ 0 (the
 * wallet covers any fall). Iterates the bracket at the liquidation price (see the top).
 */
export function liquidationPrice(pool: MarginPool, brackets: readonly MaintenanceBracket[]): number | null {
  const ql = sizeOf(pool.long);
  const qs = sizeOf(pool.short);
  if (ql <= 0 && qs <= 0) return null;
  let bl = ql > 0 ? bracketFor(brackets, ql * pool.long!.entryPrice) : undefined;
  let bs = qs > 0 ? bracketFor(brackets, qs * pool.short!.entryPrice) : undefined;
  let lp: number | null = null;
  // Brackets are monotone in the notional, so this settles within the table's length.
  for (let i = 0; i <= brackets.length; i++) {
    lp = formula(pool, bl, bs);
    if (lp === null || !(lp > 0)) return null;
    const nextL = ql > 0 ? bracketFor(brackets, ql * lp) : undefined;
    const nextS = qs > 0 ? bracketFor(brackets, qs * lp) : undefined;
    if (nextL === bl && nextS === bs) break;
    bl = nextL;
    bs = nextS;
  }
  return lp;
}

/**
 * Where and on which side the pool is liquidated: `below` true when any price at or below
 * `price` liquidates it (a net long), false when any price at or above does (a net short,
 * or a fully offset pair whose maintenance margins outgrow the wallet as the price rises).
 * Between two changes of the pool this is a constant, so the replay tests each bar against
 * it with one comparison. The side follows from the slope of margin balance − maintenance
 * margin in the price, which is −denominator of the formula.
 */
export function liquidationTrigger(pool: MarginPool, brackets: readonly MaintenanceBracket[]): { price: number; below: boolean } | null {
  const price = liquidationPrice(pool, brackets);
  if (price === null) return null;
  const ql = sizeOf(pool.long);
  const qs = sizeOf(pool.short);
  const rateL = ql > 0 ? bracketFor(brackets, ql * price).maintenanceMarginRate : 0;
  const rateS = qs > 0 ? bracketFor(brackets, qs * price).maintenanceMarginRate : 0;
  return { price, below: ql - qs - ql * rateL - qs * rateS > 0 };
}

/** +1 when the pool loses as the price falls (net long), −1 when it loses as it rises, 0 flat. */
export function adverseDirection(pool: MarginPool): -1 | 0 | 1 {
  const net = sizeOf(pool.long) - sizeOf(pool.short);
  return net > 0 ? 1 : net < 0 ? -1 : 0;
}
