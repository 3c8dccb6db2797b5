/**
 * A Venue whose behaviour each test scripts: how long an answer takes (on the test's
 * ManualClock), whether a market order fills at once, later, in part, or never, and which
 * errors a call throws. It keeps orders by client order id like an exchange, so the router's
 * lookups and cancels see the truth. Router tests use it where the paper venue cannot be
 * told to misbehave at an exact moment (a fill racing a cancel, an answer lost after the
 * order was applied).
 */
import type { ManualClock } from '../../src/core/clock.ts';
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import type { OrderBook, Ticker } from '../../src/core/market.ts';
import { VenueError, type OrderRequest, type Venue, type VenueBalance, type VenueOrder, type VenuePosition } from '../../src/core/venue.ts';

export interface Script {
  /** Clock ms before submit answers (and the order is applied at the start unless applyAtEnd). */
  submitLatencyMs?: number;
  /** The order is applied only when the answer would be sent (so an abort before loses it). */
  applyAtEnd?: boolean;
  /** ms after acceptance at which the order fills; undefined = at once; Infinity = never. */
  fillAfterMs?: number;
  /** Fraction filled at once, the rest at fillAfterMs (if finite). */
  partial?: number;
  price?: number;
  /** Throw this from submit before anything is applied. */
  submitError?: () => Error;
  /** Apply the order, then throw this (the answer is lost). */
  lostAnswer?: () => Error;
  /** The cancel finds the order already filled (it fills just before the cancel lands). */
  fillOnCancel?: boolean;
  /** fetchOrder/cancel throw this. */
  lookupError?: () => Error;
  book?: OrderBook;
  takerFee?: number;
  /** The account's own position outside our orders (signed); positions() adds our fills. */
  basePosition?: number;
}

interface Held {
  view: VenueOrder;
  fillTimer?: () => void;
}

export class ScriptedVenue implements Venue {
  readonly kind = 'scripted';
  readonly orders = new Map<string, Held>();
  readonly calls: string[] = [];
  script: Script;

  constructor(readonly id: string, private readonly clock: ManualClock, script: Script = {}) {
    this.script = script;
  }

  instrument() {
    return TRX_USDT_PERP;
  }
  async start() {}
  async close() {}
  fees() {
    return { taker: this.script.takerFee ?? 0.0005, maker: 0.0002 };
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cancel = this.clock.setTimer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(new VenueError('HH_ERR_VENUE_TIMEOUT', this.id, 'ambiguous', 'request aborted in flight'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private fill(h: Held, amount: number) {
    const price = this.script.price ?? 0.24;
    const v = h.view;
    const total = Math.min(v.amount, v.filled + amount);
    v.averagePrice = price;
    v.fee = total * price * 0.0005;
    v.filled = total;
    if (v.filled >= v.amount) v.status = 'filled';
    v.updatedAt = this.clock.now();
  }

  private apply(req: OrderRequest): Held {
    if (this.orders.has(req.clientOrderId)) throw new VenueError('HH_ERR_VENUE_REJECTED', this.id, 'rejected', 'duplicate client order id');
    const h: Held = {
      view: {
        venue: this.id,
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        amount: req.amount,
        filled: 0,
        fee: 0,
        status: 'open',
        reduceOnly: req.reduceOnly,
        updatedAt: this.clock.now(),
      },
    };
    this.orders.set(req.clientOrderId, h);
    const s = this.script;
    if (s.partial !== undefined) this.fill(h, Math.floor(req.amount * s.partial));
    if (s.fillAfterMs === undefined) {
      if (s.partial === undefined) this.fill(h, req.amount);
    } else if (Number.isFinite(s.fillAfterMs)) {
      h.fillTimer = this.clock.setTimer(s.fillAfterMs, () => {
        if (h.view.status === 'open') this.fill(h, req.amount);
      });
    }
    return h;
  }

  async submit(req: OrderRequest, signal?: AbortSignal): Promise<VenueOrder> {
    this.calls.push(`submit ${req.clientOrderId} ${req.side} ${req.amount}${req.reduceOnly ? ' reduceOnly' : ''}`);
    const s = this.script;
    if (s.submitError) throw s.submitError();
    let h: Held | undefined;
    if (!s.applyAtEnd) h = this.apply(req);
    await this.wait(s.submitLatencyMs ?? 0, signal);
    if (s.applyAtEnd) h = this.apply(req);
    if (s.lostAnswer) throw s.lostAnswer();
    return { ...h!.view };
  }

  async cancel(_symbol: string, id: string): Promise<VenueOrder> {
    this.calls.push(`cancel ${id}`);
    if (this.script.lookupError) throw this.script.lookupError();
    const h = this.orders.get(id);
    if (!h) throw new VenueError('HH_ERR_VENUE_ORDER_NOT_FOUND', this.id, 'rejected', `unknown order ${id}`);
    if (h.view.status === 'open') {
      if (this.script.fillOnCancel) this.fill(h, h.view.amount);
      else {
        h.view.status = 'canceled';
        h.view.updatedAt = this.clock.now();
      }
      h.fillTimer?.();
    }
    return { ...h.view };
  }

  async fetchOrder(_symbol: string, id: string): Promise<VenueOrder | undefined> {
    this.calls.push(`fetch ${id}`);
    if (this.script.lookupError) throw this.script.lookupError();
    const h = this.orders.get(id);
    return h ? { ...h.view } : undefined;
  }

  /** One-way mode: the base position plus every fill of ours, netted. */
  async positions(): Promise<VenuePosition[]> {
    let size = this.script.basePosition ?? 0;
    for (const h of this.orders.values()) size += h.view.side === 'buy' ? h.view.filled : -h.view.filled;
    return size === 0 ? [] : [{ symbol: 'TRX/USDT:USDT', size, entryPrice: this.script.price ?? 0.24, leverage: 10 }];
  }
  async balance(): Promise<VenueBalance> {
    return { currency: 'USDT', equity: 10_000, available: 10_000 };
  }
  async ticker(symbol: string): Promise<Ticker> {
    return { symbol, time: this.clock.now(), last: this.script.price ?? 0.24 };
  }
  async orderBook(symbol: string): Promise<OrderBook> {
    if (!this.script.book) throw new VenueError('HH_ERR_VENUE_UNAVAILABLE', this.id, 'retryable', 'no book');
    return { ...this.script.book, symbol };
  }

  submitted(): VenueOrder[] {
    return [...this.orders.values()].map((h) => ({ ...h.view }));
  }
}

/** Runs `p` to completion, advancing the clock in `stepMs` steps while it is pending. */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs = 10, maxMs = 60_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      failed = true;
      error = e;
    },
  );
  for (let t = 0; t <= maxMs; t += stepMs) {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    if (done) break;
    clock.advance(stepMs);
  }
  if (!done) throw new Error(`still pending after ${maxMs} ms of clock time`);
  if (failed) throw error;
  return value as T;
}
