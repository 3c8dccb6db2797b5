/**
 * The trading account behind the fake OKX: orders, positions, USDT margin and the rules
 * OKX applies when it accepts or refuses an order, with OKX's sCode / sMsg per order.
 *
 * Every size is in contracts (`sz`), every price in USDT; a contract is `ctVal` TRX.
 * Arithmetic is exact (src/core/decimal.ts); averages are kept to 1e-12 USDT.
 * Fills happen at the fake's top of book: a market or marketable limit order takes the
 * whole size at the ask (buy) or bid (sell) as taker; a resting limit fills only when a
 * test calls `fill` (as maker). `marketFillLimit` makes market orders fill partially, the
 * rest cancelled, the way a thin book does.
 */
import { Decimal, dec } from '../../../src/core/decimal.ts';
import { TRX_USDT_SWAP, type OkxInstrument } from './instruments.ts';

export type PosMode = 'net_mode' | 'long_short_mode';
export type OkxSide = 'buy' | 'sell';
export type OkxPosSide = 'net' | 'long' | 'short';
export type OkxOrderState = 'live' | 'partially_filled' | 'filled' | 'canceled';

export interface OkxOrder {
  ordId: string;
  clOrdId: string;
  tag: string;
  instId: string;
  side: OkxSide;
  posSide: OkxPosSide;
  ordType: string;
  tdMode: 'cross' | 'isolated';
  sz: Decimal;
  px: Decimal | undefined;
  reduceOnly: boolean;
  state: OkxOrderState;
  accFillSz: Decimal;
  /** Σ fill size × fill price, for the average. */
  fillValue: Decimal;
  fillPx: Decimal | undefined;
  fillSz: Decimal;
  fillTime: number | undefined;
  tradeId: string;
  /** OKX sign: negative is a charge. */
  fee: Decimal;
  pnl: Decimal;
  lever: string;
  cTime: number;
  uTime: number;
}

export interface OkxPosition {
  instId: string;
  posSide: OkxPosSide;
  /** Contracts; signed in net mode (short < 0), positive per side in long/short mode. */
  pos: Decimal;
  avgPx: Decimal;
  mgnMode: 'cross' | 'isolated';
  posId: string;
  cTime: number;
  uTime: number;
}

export interface OrderRefusal {
  sCode: string;
  sMsg: string;
}

export interface MarketState {
  bid: Decimal;
  ask: Decimal;
  last: Decimal;
}

const TAKER = dec('0.0005');
const MAKER = dec('0.0002');
const AVG_STEP = dec('0.000000000001');
const CLORDID = /^[A-Za-z0-9]{1,32}$/;
const ORD_TYPES = new Set(['market', 'limit', 'post_only', 'fok', 'ioc', 'optimal_limit_ioc']);

const refuse = (sCode: string, sMsg: string): OrderRefusal => ({ sCode, sMsg });

function decimalParam(value: unknown): Decimal | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value)) return undefined;
  try {
    return dec(value);
  } catch {
    return undefined;
  }
}

function boolParam(value: unknown): boolean {
  return value === true || value === 'true';
}

export class OkxAccount {
  readonly instruments = new Map<string, OkxInstrument>([[TRX_USDT_SWAP.instId, TRX_USDT_SWAP]]);
  posMode: PosMode = 'net_mode';
  /** Wallet balance, USDT: deposits + realised PnL − fees. */
  cashBal: Decimal;
  market: MarketState;
  /** Contracts a market order can take before the book runs out; undefined = unlimited. */
  marketFillLimit: Decimal | undefined;
  readonly orders = new Map<string, OkxOrder>();
  private readonly byClOrdId = new Map<string, OkxOrder>();
  private readonly positions = new Map<string, OkxPosition>();
  private readonly leverage = new Map<string, string>();
  private nextOrdId = 690_000_000_000_000_000n;
  private nextTradeId = 1_000_000;

  constructor(
    private readonly now: () => number,
    options: { usdt?: string; bid?: string; ask?: string } = {},
  ) {
    this.cashBal = dec(options.usdt ?? '10000');
    const bid = dec(options.bid ?? '0.24120');
    const ask = dec(options.ask ?? '0.24121');
    this.market = { bid, ask, last: bid };
  }

  instrument(instId: string): OkxInstrument | undefined {
    return this.instruments.get(instId);
  }

  leverOf(instId: string, mgnMode: string, posSide: OkxPosSide): string {
    return this.leverage.get(`${instId}|${mgnMode}|${posSide}`) ?? this.leverage.get(`${instId}|${mgnMode}|net`) ?? '10';
  }

  setLeverage(params: Record<string, unknown>): { lever: string; mgnMode: string; instId: string; posSide: string } | OrderRefusal {
    const instId = String(params.instId ?? '');
    const inst = this.instrument(instId);
    if (!inst) return refuse('51001', "Instrument ID or Spread ID doesn't exist.");
    const mgnMode = String(params.mgnMode ?? '');
    if (mgnMode !== 'cross' && mgnMode !== 'isolated') return refuse('51000', 'Parameter mgnMode error');
    const lever = decimalParam(params.lever);
    if (!lever || lever.lt(1) || lever.gt(inst.lever)) return refuse('51000', 'Parameter lever error');
    const posSide = String(params.posSide ?? 'net');
    if (!['net', 'long', 'short'].includes(posSide)) return refuse('51000', 'Parameter posSide error');
    this.leverage.set(`${instId}|${mgnMode}|${posSide}`, lever.toString());
    return { lever: lever.toString(), mgnMode, instId, posSide };
  }

  setPositionMode(posMode: unknown): { posMode: PosMode } | OrderRefusal {
    if (posMode !== 'net_mode' && posMode !== 'long_short_mode') return refuse('51000', 'Parameter posMode error');
    const busy = [...this.positions.values()].some((p) => !p.pos.isZero()) || [...this.orders.values()].some((o) => isOpen(o));
    if (busy && posMode !== this.posMode) return refuse('59000', 'Settings failed. Close any open positions or orders before modifying settings.');
    this.posMode = posMode;
    return { posMode };
  }

  orderBy(ids: { ordId?: unknown; clOrdId?: unknown }): OkxOrder | undefined {
    if (typeof ids.ordId === 'string' && ids.ordId !== '') return this.orders.get(ids.ordId);
    if (typeof ids.clOrdId === 'string' && ids.clOrdId !== '') return this.byClOrdId.get(ids.clOrdId);
    return undefined;
  }

  /** POST /api/v5/trade/order (one entry of batch-orders): the order, or OKX's refusal. */
  placeOrder(params: Record<string, unknown>): OkxOrder | OrderRefusal {
    const instId = String(params.instId ?? '');
    const inst = this.instrument(instId);
    if (!inst) return refuse('51001', "Instrument ID or Spread ID doesn't exist.");
    const tdMode = params.tdMode;
    if (tdMode !== 'cross' && tdMode !== 'isolated') return refuse('51000', 'Parameter tdMode error');
    const side = params.side;
    if (side !== 'buy' && side !== 'sell') return refuse('51000', 'Parameter side error');
    const ordType = String(params.ordType ?? '');
    if (!ORD_TYPES.has(ordType)) return refuse('51000', 'Parameter ordType error');
    const clOrdId = params.clOrdId === undefined ? '' : String(params.clOrdId);
    if (clOrdId !== '' && !CLORDID.test(clOrdId)) return refuse('51000', 'Parameter clOrdId error');
    if (clOrdId !== '' && this.byClOrdId.has(clOrdId)) return refuse('51016', 'Duplicated clOrdId');
    const posSide = this.posSideOf(params.posSide);
    if (!posSide) return refuse('51000', 'Parameter posSide error');
    const sz = decimalParam(params.sz);
    if (!sz || sz.sign() <= 0) return refuse('51000', 'Parameter sz error');
    if (!sz.isMultipleOf(inst.lotSz)) return refuse('51121', `Order quantity must be a multiple of the lot size. lotSz: ${inst.lotSz}`);
    if (sz.lt(inst.minSz)) return refuse('51020', 'Your order should meet or exceed the minimum order amount.');
    const isMarket = ordType === 'market' || ordType === 'optimal_limit_ioc';
    if (isMarket && sz.gt(inst.maxMktSz)) return refuse('51202', 'Market order amount exceeds the maximum amount.');
    let px: Decimal | undefined;
    if (!isMarket) {
      px = decimalParam(params.px);
      if (!px || px.sign() <= 0 || !px.isMultipleOf(inst.tickSz)) return refuse('51000', 'Parameter px error');
    }
    const reduceOnly = boolParam(params.reduceOnly);
    const signed = side === 'buy' ? sz : sz.neg();
    const closing = this.closingPart(instId, posSide, side, reduceOnly);
    if (isRefusal(closing)) return closing;
    if (closing !== undefined && sz.gt(closing)) return refuse('51112', 'Close order size exceeds your available size.');
    const price = px ?? (side === 'buy' ? this.market.ask : this.market.bid);
    const lever = this.leverOf(instId, tdMode, posSide);
    const opening = this.openingPart(instId, posSide, signed);
    const required = opening.mul(inst.ctVal).mul(price).divToStep(lever, '0.00000001', 'up');
    if (required.gt(this.available())) return refuse('51008', 'Order failed. Insufficient USDT margin in account');

    const at = this.now();
    const order: OkxOrder = {
      ordId: String(this.nextOrdId++),
      clOrdId,
      tag: typeof params.tag === 'string' ? params.tag : '',
      instId,
      side,
      posSide,
      ordType,
      tdMode,
      sz,
      px,
      reduceOnly,
      state: 'live',
      accFillSz: Decimal.ZERO,
      fillValue: Decimal.ZERO,
      fillPx: undefined,
      fillSz: Decimal.ZERO,
      fillTime: undefined,
      tradeId: '',
      fee: Decimal.ZERO,
      pnl: Decimal.ZERO,
      lever,
      cTime: at,
      uTime: at,
    };
    this.orders.set(order.ordId, order);
    if (clOrdId !== '') this.byClOrdId.set(clOrdId, order);

    const touch = side === 'buy' ? this.market.ask : this.market.bid;
    const marketable = isMarket || (side === 'buy' ? px!.gte(touch) : px!.lte(touch));
    if (marketable && ordType === 'post_only') {
      order.state = 'canceled';
    } else if (marketable) {
      const size = isMarket && this.marketFillLimit !== undefined ? Decimal.min(sz, this.marketFillLimit) : sz;
      if (size.sign() > 0) this.applyFill(order, size, touch, TAKER);
      // Whatever a market / IOC order could not take is cancelled, not left resting.
      if (order.accFillSz.lt(sz) && ordType !== 'limit' && ordType !== 'post_only') order.state = 'canceled';
    }
    return order;
  }

  /** POST /api/v5/trade/cancel-order. */
  cancelOrder(params: Record<string, unknown>): OkxOrder | OrderRefusal {
    if (!this.instrument(String(params.instId ?? ''))) return refuse('51001', "Instrument ID or Spread ID doesn't exist.");
    const order = this.orderBy(params);
    if (!order) return refuse('51400', 'Order cancellation failed as the order has been filled, canceled or does not exist.');
    if (order.state === 'canceled') return refuse('51401', 'Order cancellation failed as the order has been canceled.');
    if (order.state === 'filled') return refuse('51402', 'Order cancellation failed as the order has been completed.');
    order.state = 'canceled';
    order.uTime = this.now();
    return order;
  }

  /** A test's hand on the matching engine: fills `sz` (default: the rest) of a resting order as maker. */
  fill(ids: { ordId?: string; clOrdId?: string }, sz?: string, px?: string): OkxOrder {
    const order = this.orderBy(ids);
    if (!order || !isOpen(order)) throw new Error(`fake okx: no open order ${JSON.stringify(ids)}`);
    const size = sz === undefined ? order.sz.sub(order.accFillSz) : dec(sz);
    this.applyFill(order, size, px === undefined ? order.px ?? this.market.last : dec(px), MAKER);
    return order;
  }

  /** Unrealised PnL of every position at the last price, USDT. */
  upl(): Decimal {
    let total = Decimal.ZERO;
    for (const p of this.positions.values()) total = total.add(this.uplOf(p));
    return total;
  }

  uplOf(p: OkxPosition): Decimal {
    const inst = this.instrument(p.instId)!;
    const signed = p.posSide === 'short' ? p.pos.neg() : p.pos;
    return this.market.last.sub(p.avgPx).mul(signed).mul(inst.ctVal);
  }

  imrOf(p: OkxPosition): Decimal {
    const inst = this.instrument(p.instId)!;
    return p.pos.abs().mul(inst.ctVal).mul(this.market.last).divToStep(this.leverOf(p.instId, p.mgnMode, p.posSide), '0.00000001', 'up');
  }

  imr(): Decimal {
    let total = Decimal.ZERO;
    for (const p of this.positions.values()) total = total.add(this.imrOf(p));
    return total;
  }

  /** Margin held by resting orders that would open exposure. */
  ordFrozen(): Decimal {
    let total = Decimal.ZERO;
    for (const o of this.orders.values()) {
      if (!isOpen(o) || o.px === undefined) continue;
      const inst = this.instrument(o.instId)!;
      const rest = o.sz.sub(o.accFillSz);
      const signed = o.side === 'buy' ? rest : rest.neg();
      const opening = this.openingPart(o.instId, o.posSide, signed);
      total = total.add(opening.mul(inst.ctVal).mul(o.px).divToStep(o.lever, '0.00000001', 'up'));
    }
    return total;
  }

  equity(): Decimal {
    return this.cashBal.add(this.upl());
  }

  available(): Decimal {
    return this.equity().sub(this.imr()).sub(this.ordFrozen());
  }

  openPositions(instIds?: readonly string[]): OkxPosition[] {
    return [...this.positions.values()].filter((p) => !p.pos.isZero() && (!instIds || instIds.includes(p.instId)));
  }

  private posSideOf(value: unknown): OkxPosSide | undefined {
    if (this.posMode === 'net_mode') return value === undefined || value === '' || value === 'net' ? 'net' : undefined;
    return value === 'long' || value === 'short' ? value : undefined;
  }

  /** Contracts an order may close, when it is a closing order; undefined when it opens. */
  private closingPart(instId: string, posSide: OkxPosSide, side: OkxSide, reduceOnly: boolean): Decimal | OrderRefusal | undefined {
    const noPosition = refuse('51169', "Order failed because you don't have any positions in this direction for this contract to reduce or close.");
    if (posSide === 'net') {
      if (!reduceOnly) return undefined;
      const pos = this.positions.get(`${instId}|net`)?.pos ?? Decimal.ZERO;
      if (pos.isZero() || (side === 'buy') === pos.sign() > 0) return noPosition;
      return pos.abs().sub(this.pendingClose(instId, 'net', side));
    }
    const closes = (posSide === 'long') === (side === 'sell');
    if (!closes) return undefined;
    const pos = this.positions.get(`${instId}|${posSide}`)?.pos ?? Decimal.ZERO;
    if (pos.isZero()) return noPosition;
    return pos.sub(this.pendingClose(instId, posSide, side));
  }

  /** Contracts already promised to resting closing orders (OKX's availPos excludes them). */
  private pendingClose(instId: string, posSide: OkxPosSide, side: OkxSide): Decimal {
    let total = Decimal.ZERO;
    for (const o of this.orders.values()) {
      if (isOpen(o) && o.instId === instId && o.posSide === posSide && o.side === side && (posSide !== 'net' || o.reduceOnly)) {
        total = total.add(o.sz.sub(o.accFillSz));
      }
    }
    return total;
  }

  private openingPart(instId: string, posSide: OkxPosSide, signed: Decimal): Decimal {
    if (posSide !== 'net') {
      const opens = (posSide === 'long') === signed.sign() > 0;
      return opens ? signed.abs() : Decimal.ZERO;
    }
    const pos = this.positions.get(`${instId}|net`)?.pos ?? Decimal.ZERO;
    if (pos.isZero() || pos.sign() === signed.sign()) return signed.abs();
    return Decimal.max(Decimal.ZERO, signed.abs().sub(pos.abs()));
  }

  private applyFill(order: OkxOrder, size: Decimal, price: Decimal, feeRate: Decimal): void {
    const inst = this.instrument(order.instId)!;
    const at = this.now();
    const key = `${order.instId}|${order.posSide}`;
    let p = this.positions.get(key);
    if (!p) {
      p = { instId: order.instId, posSide: order.posSide, pos: Decimal.ZERO, avgPx: Decimal.ZERO, mgnMode: order.tdMode, posId: String(this.nextOrdId++), cTime: at, uTime: at };
      this.positions.set(key, p);
    }
    // Long/short mode keeps each side positive: a sell on the long side reduces it.
    const delta = order.posSide === 'net' ? (order.side === 'buy' ? size : size.neg()) : (order.posSide === 'long') === (order.side === 'buy') ? size : size.neg();
    const before = p.pos;
    const after = before.add(delta);
    let realised = Decimal.ZERO;
    const sameWay = before.isZero() || before.sign() === delta.sign();
    if (sameWay) {
      p.avgPx = before.abs().mul(p.avgPx).add(size.mul(price)).divToStep(after.abs(), AVG_STEP, 'half-up');
    } else {
      const closed = Decimal.min(size, before.abs());
      const direction = order.posSide === 'short' ? -1 : before.sign();
      realised = price.sub(p.avgPx).mul(closed).mul(inst.ctVal).mul(direction);
      if (after.sign() !== 0 && after.sign() !== before.sign()) p.avgPx = price;
    }
    if (after.isZero()) p.avgPx = Decimal.ZERO;
    p.pos = after;
    p.uTime = at;
    const fee = size.mul(inst.ctVal).mul(price).mul(feeRate).roundToStep('0.00000001', 'half-up');
    this.cashBal = this.cashBal.add(realised).sub(fee);
    this.market.last = price;

    order.accFillSz = order.accFillSz.add(size);
    order.fillValue = order.fillValue.add(size.mul(price));
    order.fillPx = price;
    order.fillSz = size;
    order.fillTime = at;
    order.tradeId = String(this.nextTradeId++);
    order.fee = order.fee.sub(fee);
    order.pnl = order.pnl.add(realised);
    order.state = order.accFillSz.gte(order.sz) ? 'filled' : 'partially_filled';
    order.uTime = at;
  }
}

export function isOpen(o: OkxOrder): boolean {
  return o.state === 'live' || o.state === 'partially_filled';
}

export function isRefusal(x: unknown): x is OrderRefusal {
  return typeof x === 'object' && x !== null && 'sCode' in x;
}
