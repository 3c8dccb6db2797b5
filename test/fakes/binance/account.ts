/**
 * The fake exchange's book-keeping: one USDⓈ-M futures account (USDT wallet, orders,
 * positions in one-way or hedge mode) and a book per symbol around a settable mid price.
 * No HTTP here: the server decodes requests into these calls and encodes the answers.
 *
 * Rules follow Binance's documented behaviour where the fake needs them:
 * - market orders fill at once against the best ask (buy) or bid (sell), one tick from
 *   the mid; a LIMIT order that crosses fills at that price (taker), else it rests (NEW);
 * - `newClientOrderId` must match ^[.A-Z:/a-z0-9_-]{1,36}$ and be unique among open
 *   orders (`duplicateScope: 'all'` makes it unique among every order, stricter than Binance);
 * - in one-way mode `positionSide` is BOTH (or absent) and `reduceOnly` may be sent; in hedge
 *   mode `positionSide` is LONG or SHORT, `reduceOnly` is refused (-1106) and a position is
 *   closed by the opposite side (LONG+SELL, SHORT+BUY);
 * - a reduce-only (or closing) order must not exceed the position (-2022 otherwise; real
 *   Binance may instead trim a reduce-only market order, the fake is stricter);
 * - the minimum notional applies except to reduce-only / closing orders (-4164);
 * - an order that adds exposure needs initial margin (notional / leverage) within the
 *   available balance (-2019).
 * All money is exact decimal (src/core/decimal.ts); averages are rounded half-up to 8 places.
 */
import { Decimal } from '../../../src/core/decimal.ts';
import { BINANCE_ERRORS, reject } from './errors.ts';
import type { FakeSymbol } from './exchange-info.ts';

export type Side = 'BUY' | 'SELL';
export type PositionSide = 'BOTH' | 'LONG' | 'SHORT';
export type OrderStatus = 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
export type MarginType = 'CROSSED' | 'ISOLATED';

export interface FakeOrder {
  orderId: number;
  symbol: string;
  clientOrderId: string;
  side: Side;
  type: 'MARKET' | 'LIMIT';
  positionSide: PositionSide;
  reduceOnly: boolean;
  timeInForce: string;
  price: Decimal;
  origQty: Decimal;
  executedQty: Decimal;
  cumQuote: Decimal;
  status: OrderStatus;
  time: number;
  updateTime: number;
}

export interface FakePosition {
  symbol: string;
  positionSide: PositionSide;
  /** Signed: long +, short − (a SHORT hedge position is negative, as Binance reports it). */
  amount: Decimal;
  entryPrice: Decimal;
  updateTime: number;
}

export interface NewOrderParams {
  symbol?: string;
  side?: string;
  type?: string;
  quantity?: string;
  price?: string;
  timeInForce?: string;
  newClientOrderId?: string;
  reduceOnly?: string;
  positionSide?: string;
}

export interface AccountOptions {
  symbols: readonly FakeSymbol[];
  /** USDT wallet balance at start. */
  walletBalance?: string;
  dualSidePosition?: boolean;
  duplicateScope?: 'open' | 'all';
  takerFee?: string;
  makerFee?: string;
  defaultLeverage?: number;
}

const CLIENT_ORDER_ID = /^[.A-Z:/a-z0-9_-]{1,36}$/;
const AVG_STEP = '0.00000001';
const OPEN: ReadonlySet<OrderStatus> = new Set(['NEW', 'PARTIALLY_FILLED']);

export class FakeAccount {
  readonly symbols = new Map<string, FakeSymbol>();
  readonly orders: FakeOrder[] = [];
  private readonly positions = new Map<string, FakePosition>();
  private readonly mids = new Map<string, Decimal>();
  private readonly leverages = new Map<string, number>();
  private readonly marginTypes = new Map<string, MarginType>();
  private nextOrderId = 4_000_000_001;
  wallet: Decimal;
  private readonly initialWallet: Decimal;
  dualSidePosition: boolean;
  readonly duplicateScope: 'open' | 'all';
  readonly takerFee: Decimal;
  readonly makerFee: Decimal;

  constructor(options: AccountOptions) {
    for (const s of options.symbols) {
      this.symbols.set(s.symbol, s);
      this.mids.set(s.symbol, Decimal.from(s.price));
      this.leverages.set(s.symbol, options.defaultLeverage ?? 20);
      this.marginTypes.set(s.symbol, 'CROSSED');
    }
    this.wallet = Decimal.from(options.walletBalance ?? '10000');
    this.initialWallet = this.wallet;
    this.dualSidePosition = options.dualSidePosition ?? false;
    this.duplicateScope = options.duplicateScope ?? 'open';
    this.takerFee = Decimal.from(options.takerFee ?? '0.0005');
    this.makerFee = Decimal.from(options.makerFee ?? '0.0002');
  }

  /**
   * Back to a fresh account (no orders, no positions, the starting or given wallet, the
   * listed prices); leverage, margin type and position mode stay as they were set.
   */
  reset(walletBalance?: string): void {
    this.orders.length = 0;
    this.positions.clear();
    this.wallet = walletBalance === undefined ? this.initialWallet : Decimal.from(walletBalance);
    for (const s of this.symbols.values()) this.mids.set(s.symbol, Decimal.from(s.price));
  }

  symbol(id: string | undefined): FakeSymbol {
    if (id === undefined) reject(BINANCE_ERRORS.mandatoryParam('symbol'));
    const s = this.symbols.get(id);
    if (!s) reject(BINANCE_ERRORS.invalidSymbol());
    return s;
  }

  // ---- market ----------------------------------------------------------------------

  mid(symbol: string): Decimal {
    return this.mids.get(symbol) ?? Decimal.ZERO;
  }

  bestBid(symbol: string): Decimal {
    return this.mid(symbol).sub(this.symbol(symbol).tickSize);
  }

  bestAsk(symbol: string): Decimal {
    return this.mid(symbol).add(this.symbol(symbol).tickSize);
  }

  /** Levels one tick apart from the best price, each with the same size. */
  book(symbol: string, levels: number): { bids: [string, string][]; asks: [string, string][] } {
    const s = this.symbol(symbol);
    const qty = Decimal.from(s.minQty).mul(10000).toString();
    const bids: [string, string][] = [];
    const asks: [string, string][] = [];
    for (let i = 0; i < levels; i++) {
      bids.push([this.bestBid(symbol).sub(Decimal.from(s.tickSize).mul(i)).toString(), qty]);
      asks.push([this.bestAsk(symbol).add(Decimal.from(s.tickSize).mul(i)).toString(), qty]);
    }
    return { bids, asks };
  }

  /** Moves the mid; resting LIMIT orders the new book crosses fill at their own price (maker). */
  setPrice(symbol: string, price: string, now: number): void {
    this.symbol(symbol);
    this.mids.set(symbol, Decimal.from(price));
    for (const o of this.orders) {
      if (o.symbol !== symbol || !OPEN.has(o.status) || o.type !== 'LIMIT') continue;
      const crossed = o.side === 'BUY' ? this.bestAsk(symbol).lte(o.price) : this.bestBid(symbol).gte(o.price);
      if (crossed) this.fill(o, o.origQty.sub(o.executedQty), o.price, this.makerFee, now);
    }
  }

  // ---- settings --------------------------------------------------------------------

  leverage(symbol: string): number {
    return this.leverages.get(symbol) ?? 20;
  }

  marginType(symbol: string): MarginType {
    return this.marginTypes.get(symbol) ?? 'CROSSED';
  }

  setLeverage(symbol: string | undefined, leverageText: string | undefined) {
    const s = this.symbol(symbol);
    if (leverageText === undefined) reject(BINANCE_ERRORS.mandatoryParam('leverage'));
    const leverage = Number(leverageText);
    if (!Number.isInteger(leverage) || leverage < 1 || leverage > s.maxLeverage) reject(BINANCE_ERRORS.leverageInvalid(leverageText));
    this.leverages.set(s.symbol, leverage);
    return { leverage, maxNotionalValue: '50000', symbol: s.symbol };
  }

  setMarginType(symbol: string | undefined, marginType: string | undefined) {
    const s = this.symbol(symbol);
    if (marginType !== 'ISOLATED' && marginType !== 'CROSSED') reject(BINANCE_ERRORS.badParam('marginType'));
    if (this.marginType(s.symbol) === marginType) reject(BINANCE_ERRORS.marginTypeUnchanged());
    if (this.openPositions().some((p) => p.symbol === s.symbol)) reject(BINANCE_ERRORS.marginTypeWithPosition());
    this.marginTypes.set(s.symbol, marginType);
    return { code: 200, msg: 'success' };
  }

  setDualSidePosition(text: string | undefined) {
    if (text !== 'true' && text !== 'false') reject(BINANCE_ERRORS.mandatoryParam('dualSidePosition'));
    const dual = text === 'true';
    if (dual === this.dualSidePosition) reject(BINANCE_ERRORS.positionSideUnchanged());
    if (this.orders.some((o) => OPEN.has(o.status))) reject(BINANCE_ERRORS.positionSideWithOrders());
    if (this.openPositions().length > 0) reject(BINANCE_ERRORS.positionSideWithPosition());
    this.dualSidePosition = dual;
    return { code: 200, msg: 'success' };
  }

  // ---- orders ----------------------------------------------------------------------

  findOrder(symbol: string | undefined, clientOrderId: string | undefined, orderId: string | undefined): FakeOrder | undefined {
    const s = this.symbol(symbol);
    if (clientOrderId === undefined && orderId === undefined) reject(BINANCE_ERRORS.mandatoryParam('orderId'));
    return this.orders.find(
      (o) => o.symbol === s.symbol && (clientOrderId !== undefined ? o.clientOrderId === clientOrderId : String(o.orderId) === orderId),
    );
  }

  /**
   * Validates and accepts a new order (filling what can fill now). Throws BinanceReject
   * before anything changes when Binance would refuse it.
   */
  placeOrder(p: NewOrderParams, now: number, clientOrderIdFallback: () => string): FakeOrder {
    const s = this.symbol(p.symbol);
    if (p.side !== 'BUY' && p.side !== 'SELL') reject(p.side === undefined ? BINANCE_ERRORS.mandatoryParam('side') : BINANCE_ERRORS.invalidSide());
    if (p.type !== 'MARKET' && p.type !== 'LIMIT') reject(p.type === undefined ? BINANCE_ERRORS.mandatoryParam('type') : BINANCE_ERRORS.invalidOrderType());
    const side: Side = p.side;
    const type = p.type;
    if (p.quantity === undefined) reject(BINANCE_ERRORS.mandatoryParam('quantity'));
    const qty = parseDecimal(p.quantity, 'quantity');
    if (qty.sign() <= 0) reject(BINANCE_ERRORS.quantityNotPositive());
    if (!qty.isMultipleOf(s.stepSize)) reject(BINANCE_ERRORS.precision());
    if (qty.lt(s.minQty)) reject(BINANCE_ERRORS.quantityNotPositive());
    if (qty.gt(type === 'MARKET' ? s.marketMaxQty : s.maxQty)) reject(BINANCE_ERRORS.quantityTooLarge());

    let price = Decimal.ZERO;
    let timeInForce = 'GTC';
    if (type === 'LIMIT') {
      if (p.price === undefined) reject(BINANCE_ERRORS.mandatoryParam('price'));
      if (p.timeInForce === undefined) reject(BINANCE_ERRORS.mandatoryParam('timeInForce'));
      price = parseDecimal(p.price, 'price');
      if (price.sign() <= 0 || !price.isMultipleOf(s.tickSize)) reject(BINANCE_ERRORS.priceNotOnTick());
      if (p.timeInForce !== 'GTC' && p.timeInForce !== 'IOC') reject(BINANCE_ERRORS.badParam('timeInForce'));
      timeInForce = p.timeInForce;
    } else if (p.price !== undefined) {
      reject(BINANCE_ERRORS.notRequired('price'));
    }

    const clientOrderId = p.newClientOrderId ?? clientOrderIdFallback();
    if (!CLIENT_ORDER_ID.test(clientOrderId)) reject(BINANCE_ERRORS.clientOrderIdInvalid());
    const clash = this.orders.find(
      (o) => o.symbol === s.symbol && o.clientOrderId === clientOrderId && (this.duplicateScope === 'all' || OPEN.has(o.status)),
    );
    if (clash) reject(BINANCE_ERRORS.clientOrderIdDuplicated());

    const { positionSide, reduceOnly, closing } = this.positionIntent(p, side);
    const position = this.position(s.symbol, positionSide);
    if (closing) {
      const reduces = side === 'BUY' ? position.amount.sign() < 0 : position.amount.sign() > 0;
      if (!reduces || qty.gt(position.amount.abs())) reject(BINANCE_ERRORS.reduceOnlyRejected());
    }

    const fillPrice = side === 'BUY' ? this.bestAsk(s.symbol) : this.bestBid(s.symbol);
    const crosses = type === 'MARKET' || (side === 'BUY' ? fillPrice.lte(price) : fillPrice.gte(price));
    const reference = type === 'MARKET' ? fillPrice : price;
    if (!closing && qty.mul(reference).lt(s.minNotional)) reject(BINANCE_ERRORS.notionalTooSmall(s.minNotional));
    if (!closing && this.initialMargin(s.symbol, qty, reference).gt(this.availableBalance())) reject(BINANCE_ERRORS.marginInsufficient());

    const order: FakeOrder = {
      orderId: this.nextOrderId++,
      symbol: s.symbol,
      clientOrderId,
      side,
      type,
      positionSide,
      reduceOnly,
      timeInForce,
      price,
      origQty: qty,
      executedQty: Decimal.ZERO,
      cumQuote: Decimal.ZERO,
      status: 'NEW',
      time: now,
      updateTime: now,
    };
    this.orders.push(order);
    if (crosses) this.fill(order, qty, fillPrice, this.takerFee, now);
    else if (timeInForce === 'IOC') order.status = 'EXPIRED';
    return order;
  }

  cancelOrder(symbol: string | undefined, clientOrderId: string | undefined, orderId: string | undefined, now: number): FakeOrder {
    const order = this.findOrder(symbol, clientOrderId, orderId);
    // Binance answers -2011 both for an id it never saw and for an order already final.
    if (!order || !OPEN.has(order.status)) reject(BINANCE_ERRORS.unknownOrder());
    order.status = 'CANCELED';
    order.updateTime = now;
    return order;
  }

  /** Fills (part of) a resting order at its limit price, as a maker; for the "late fill" fault. */
  fillOpenOrder(clientOrderId: string, now: number, quantity?: string): FakeOrder {
    const order = this.orders.find((o) => o.clientOrderId === clientOrderId);
    if (!order || !OPEN.has(order.status)) throw new Error(`fake binance: no open order ${clientOrderId}`);
    const remaining = order.origQty.sub(order.executedQty);
    const qty = quantity === undefined ? remaining : Decimal.min(remaining, Decimal.from(quantity));
    this.fill(order, qty, order.type === 'LIMIT' ? order.price : this.mid(order.symbol), this.makerFee, now);
    return order;
  }

  private positionIntent(p: NewOrderParams, side: Side): { positionSide: PositionSide; reduceOnly: boolean; closing: boolean } {
    const reduceOnly = p.reduceOnly === 'true';
    if (p.reduceOnly !== undefined && p.reduceOnly !== 'true' && p.reduceOnly !== 'false') reject(BINANCE_ERRORS.badParam('reduceOnly'));
    if (this.dualSidePosition) {
      if (p.positionSide !== 'LONG' && p.positionSide !== 'SHORT') reject(BINANCE_ERRORS.positionSideMismatch());
      // Binance refuses reduceOnly in hedge mode: the position side already says what closes.
      if (p.reduceOnly !== undefined) reject(BINANCE_ERRORS.notRequired('reduceonly'));
      const closing = (p.positionSide === 'LONG' && side === 'SELL') || (p.positionSide === 'SHORT' && side === 'BUY');
      return { positionSide: p.positionSide, reduceOnly: false, closing };
    }
    if (p.positionSide !== undefined && p.positionSide !== 'BOTH') reject(BINANCE_ERRORS.positionSideMismatch());
    return { positionSide: 'BOTH', reduceOnly, closing: reduceOnly };
  }

  private fill(order: FakeOrder, qty: Decimal, price: Decimal, feeRate: Decimal, now: number): void {
    if (qty.sign() <= 0) return;
    const notional = qty.mul(price);
    this.wallet = this.wallet.sub(notional.mul(feeRate));
    this.applyToPosition(order.symbol, order.positionSide, order.side === 'BUY' ? qty : qty.neg(), price, now);
    order.executedQty = order.executedQty.add(qty);
    order.cumQuote = order.cumQuote.add(notional);
    order.status = order.executedQty.eq(order.origQty) ? 'FILLED' : 'PARTIALLY_FILLED';
    order.updateTime = now;
  }

  private applyToPosition(symbol: string, positionSide: PositionSide, delta: Decimal, price: Decimal, now: number): void {
    const pos = this.position(symbol, positionSide);
    const amount = pos.amount;
    if (amount.isZero() || amount.sign() === delta.sign()) {
      const size = amount.abs().add(delta.abs());
      pos.entryPrice = amount.abs().mul(pos.entryPrice).add(delta.abs().mul(price)).divToStep(size, AVG_STEP, 'half-up');
      pos.amount = amount.add(delta);
    } else {
      const closed = Decimal.min(amount.abs(), delta.abs());
      const pnlPerUnit = amount.sign() > 0 ? price.sub(pos.entryPrice) : pos.entryPrice.sub(price);
      this.wallet = this.wallet.add(pnlPerUnit.mul(closed));
      pos.amount = amount.add(delta);
      if (pos.amount.isZero()) pos.entryPrice = Decimal.ZERO;
      else if (pos.amount.sign() !== amount.sign()) pos.entryPrice = price; // flipped: the rest opened at this price
    }
    pos.updateTime = now;
    this.positions.set(`${symbol}:${positionSide}`, pos);
  }

  // ---- positions and balance ---------------------------------------------------------

  position(symbol: string, positionSide: PositionSide): FakePosition {
    return this.positions.get(`${symbol}:${positionSide}`) ?? { symbol, positionSide, amount: Decimal.ZERO, entryPrice: Decimal.ZERO, updateTime: 0 };
  }

  openPositions(): FakePosition[] {
    return [...this.positions.values()].filter((p) => !p.amount.isZero());
  }

  /** Every position slot of the mode (Binance lists flat ones too in v2). */
  positionSlots(symbol: string): FakePosition[] {
    const sides: PositionSide[] = this.dualSidePosition ? ['LONG', 'SHORT'] : ['BOTH'];
    return sides.map((side) => this.position(symbol, side));
  }

  unrealisedPnl(p: FakePosition): Decimal {
    return this.mid(p.symbol).sub(p.entryPrice).mul(p.amount);
  }

  positionMargin(p: FakePosition): Decimal {
    return this.initialMargin(p.symbol, p.amount.abs(), this.mid(p.symbol));
  }

  private initialMargin(symbol: string, qty: Decimal, price: Decimal): Decimal {
    return qty.mul(price).divToStep(this.leverage(symbol), AVG_STEP, 'ceil');
  }

  openOrderMargin(): Decimal {
    let total = Decimal.ZERO;
    for (const o of this.orders) {
      if (!OPEN.has(o.status) || o.reduceOnly) continue;
      total = total.add(this.initialMargin(o.symbol, o.origQty.sub(o.executedQty), o.price));
    }
    return total;
  }

  totalUnrealisedPnl(): Decimal {
    return this.openPositions().reduce((sum, p) => sum.add(this.unrealisedPnl(p)), Decimal.ZERO);
  }

  totalPositionMargin(): Decimal {
    return this.openPositions().reduce((sum, p) => sum.add(this.positionMargin(p)), Decimal.ZERO);
  }

  availableBalance(): Decimal {
    return this.wallet.add(this.totalUnrealisedPnl()).sub(this.totalPositionMargin()).sub(this.openOrderMargin());
  }

  /** Average fill price, rounded half-up to 8 places ("0" before any fill, as Binance shows). */
  static averagePrice(o: FakeOrder): Decimal {
    return o.executedQty.isZero() ? Decimal.ZERO : o.cumQuote.divToStep(o.executedQty, AVG_STEP, 'half-up');
  }
}

function parseDecimal(text: string, name: string): Decimal {
  if (!/^\d+(\.\d+)?$/.test(text)) reject(BINANCE_ERRORS.badParam(name));
  return Decimal.from(text);
}
