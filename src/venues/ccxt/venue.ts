/**
 * The Venue port over a real exchange through ccxt (binanceusdm, okx, bybit…).
 *
 * - ccxt's rate limiter is on; every request has a short timeout (settings.timeoutMs).
 * - An order is sent exactly once: ccxt retries nothing unless `maxRetriesOnFailure` is set,
 *   and it is forced to 0 here; this adapter never repeats a submit either. What to do after
 *   an ambiguous failure (look the order up by client order id) is the router's call.
 * - Sizes and prices must already be on the instrument's grid (src/core/instrument.ts is where
 *   rounding happens); an off-grid value is refused here rather than silently truncated by
 *   ccxt's amountToPrecision.
 * - Exchange specifics (parameter names, hedge-mode rules, error codes, test URLs) live in the
 *   exchange's profile (./exchanges/<ccxt id>.ts).
 * - Keys come from the environment only — HEDGEHOOK_<ID>_API_KEY, HEDGEHOOK_<ID>_SECRET and
 *   (OKX) HEDGEHOOK_<ID>_PASSWORD, <ID> the venue id upper-cased (./settings.ts) — are handed
 *   to ccxt and never logged or put in an error message.
 */
import ccxt, { type Exchange, type MarketInterface, type Order, type Position } from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { HedgehookError } from '../../core/errors.ts';
import type { InstrumentSpec } from '../../core/instrument.ts';
import type { OrderBook, Ticker } from '../../core/market.ts';
import {
  VenueError,
  type OrderRequest,
  type PositionSideParam,
  type Venue,
  type VenueBalance,
  type VenueOrder,
  type VenuePosition,
} from '../../core/venue.ts';
import { abortError, classifyError, type ErrorContext, type VenueOperation } from './classify-error.ts';
import { profileFor } from './exchanges/index.ts';
import { instrumentFromMarket } from './market-spec.ts';
import { toVenueOrder, type OrderFallback } from './order-view.ts';
import { hedgePositionSide, type ExchangeProfile, type PositionMode } from './profile.ts';
import { RequestTracer } from './request-trace.ts';
import { credentialEnvNames, credentialsFromEnv, parseCcxtVenueSettings, type CcxtVenueSettings, type CcxtVenueSettingsInput } from './settings.ts';

export interface CcxtVenueDeps {
  /** Where the keys are read from (the wiring passes process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** Fallback time for answers without one. */
  clock: Clock;
  /** One line per start-up step worth knowing (never a key). */
  log?: (message: string) => void;
}

/** The client order id every exchange accepts (see OrderRequest). */
const CLIENT_ORDER_ID = /^[A-Za-z0-9]{1,32}$/;

export class CcxtVenue implements Venue {
  readonly id: string;
  readonly kind: string;
  /** The ccxt instance, for tests and diagnostics; do not trade through it directly. */
  readonly exchange: Exchange;
  private readonly settings: CcxtVenueSettings;
  private readonly profile: ExchangeProfile;
  private readonly tracer: RequestTracer;
  private readonly errors: ErrorContext;
  private readonly specs = new Map<string, InstrumentSpec>();
  private mode: PositionMode = 'one-way';
  private started = false;

  constructor(
    settings: CcxtVenueSettings,
    private readonly deps: CcxtVenueDeps,
  ) {
    this.settings = settings;
    this.id = settings.id;
    this.kind = settings.exchange;
    this.profile = profileFor(settings.exchange);
    const names = credentialEnvNames(settings.id);
    this.errors = { venue: settings.id, profile: this.profile, credentialHint: `${names.apiKey} / ${names.secret}` };
    this.exchange = this.construct();
    this.tracer = new RequestTracer(this.exchange);
  }

  private construct(): Exchange {
    const s = this.settings;
    const Class = exchangeClass(s);
    const credentials = credentialsFromEnv(s.id, this.deps.env);
    const exchange = new Class({
      ...credentials,
      enableRateLimit: true,
      // A rolling window (ccxt's budget: 60 s ÷ rateLimit of weight) instead of the leaky
      // bucket: the bucket makes every request wait for the weight of the one before, so the
      // first hedge after start-up (leverage, margin, position-mode reads) would sit ~1.5 s
      // in the limiter. Exchanges count weight per minute too (Binance: 2400), so spending
      // the budget in bursts is what they allow.
      rateLimiterAlgorithm: 'rollingWindow',
      rollingWindowSize: 60_000,
      timeout: s.timeoutMs,
      // Explicit even though it is ccxt's default: a retried submit could place the order twice.
      options: { ...this.profile.ccxtOptions, maxRetriesOnFailure: 0 },
    });
    const names = credentialEnvNames(s.id);
    const missing = Object.entries(exchange.requiredCredentials)
      .filter(([key, needed]) => needed && (key === 'apiKey' || key === 'secret' || key === 'password') && !credentials[key])
      .map(([key]) => names[key as 'apiKey' | 'secret' | 'password']);
    if (missing.length > 0) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `venues[${s.id}] (${s.exchange}): set ${missing.join(' and ')} in the environment`);
    }
    if (s.sandbox) {
      if (this.profile.enableTestEnvironment) this.profile.enableTestEnvironment(exchange);
      else exchange.setSandboxMode(true);
    }
    const api: Record<string, unknown> = { ...(exchange.urls.api as Record<string, unknown>) };
    if (s.baseUrl) Object.assign(api, this.profile.apiUrls(s.baseUrl.replace(/\/+$/, '')));
    if (s.urls) Object.assign(api, s.urls);
    exchange.urls = { ...exchange.urls, api } as Exchange['urls'];
    return exchange;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  async start(): Promise<void> {
    const s = this.settings;
    // Reload: ccxt keeps a failed load's rejected promise and hands it back to every later
    // call, so a start tried again after an outage would fail without asking the exchange.
    await this.call('setup', undefined, () => this.exchange.loadMarkets(true));
    for (const symbol of s.symbols) this.instrumentOrThrow(symbol);
    const first = s.symbols[0]!;
    this.mode = await this.applyPositionMode(first);
    for (const symbol of s.symbols) {
      if (this.profile.applyMarginAndLeverage) {
        const wanted = { mode: this.mode, ...(s.marginMode ? { marginMode: s.marginMode } : {}), ...(s.leverage !== undefined ? { leverage: s.leverage } : {}) };
        await this.call('setup', undefined, () => this.profile.applyMarginAndLeverage!(this.exchange, symbol, wanted));
        continue;
      }
      if (s.marginMode) await this.applyMarginMode(s.marginMode, symbol);
      if (s.leverage !== undefined) await this.call('setup', undefined, () => this.exchange.setLeverage(s.leverage!, symbol));
    }
    this.started = true;
    const applied = [`${this.mode} position mode`, s.marginMode && `${s.marginMode} margin`, s.leverage && `leverage ${s.leverage}x`]
      .filter(Boolean)
      .join(', ');
    this.deps.log?.(`venue ${this.id} (${this.kind}) ready: ${s.symbols.join(', ')}; ${applied}`);
  }

  /** Sets the configured mode when the account differs; with none configured, follows the account's. */
  private async applyPositionMode(symbol: string): Promise<PositionMode> {
    const wanted = this.settings.positionMode;
    const canRead = Boolean(this.exchange.has.fetchPositionMode);
    const current = canRead
      ? (await this.call('setup', undefined, () => this.exchange.fetchPositionMode(symbol))).hedged
        ? 'hedge'
        : 'one-way'
      : undefined;
    if (wanted === undefined) {
      if (current === undefined) this.deps.log?.(`venue ${this.id}: cannot read the position mode; assuming one-way`);
      return current ?? 'one-way';
    }
    if (current !== wanted) {
      await this.tolerateNoChange(() => this.call('setup', undefined, () => this.exchange.setPositionMode(wanted === 'hedge', symbol)));
    }
    return wanted;
  }

  private async applyMarginMode(marginMode: 'cross' | 'isolated', symbol: string): Promise<void> {
    await this.tolerateNoChange(() => this.call('setup', undefined, () => this.exchange.setMarginMode(marginMode, symbol)));
  }

  /** "Already set" answers (e.g. Binance -4046, -4059) are success for a setting we apply. */
  private async tolerateNoChange(apply: () => Promise<unknown>): Promise<void> {
    try {
      await apply();
    } catch (err) {
      if (err instanceof VenueError && err.exchangeCode !== undefined && this.profile.noChangeCodes.has(err.exchangeCode)) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.exchange.close();
  }

  // ---- instruments -----------------------------------------------------------------------

  instrument(symbol: string): InstrumentSpec | undefined {
    const known = this.specs.get(symbol);
    if (known) return known;
    const market = this.exchange.markets?.[symbol];
    if (!market) return undefined;
    const spec = instrumentFromMarket(this.id, market, this.exchange.precisionMode ?? ccxt.TICK_SIZE, this.profile.minNotionalExemptReduceOnly);
    this.specs.set(symbol, spec);
    return spec;
  }

  private instrumentOrThrow(symbol: string): InstrumentSpec {
    const spec = this.instrument(symbol);
    if (!spec) throw new VenueError('HH_ERR_VENUE_REJECTED', this.id, 'rejected', `${this.kind} lists no market ${symbol}`);
    return spec;
  }

  private market(symbol: string): MarketInterface {
    this.instrumentOrThrow(symbol);
    return this.exchange.markets?.[symbol] as MarketInterface;
  }

  fees(symbol: string): { taker: number; maker: number } {
    if (this.settings.fees) return this.settings.fees;
    const market = this.exchange.markets?.[symbol];
    return { taker: market?.taker ?? 0, maker: market?.maker ?? 0 };
  }

  // ---- orders ----------------------------------------------------------------------------

  async submit(request: OrderRequest, signal?: AbortSignal): Promise<VenueOrder> {
    this.assertStarted();
    this.validate(request);
    const positionSide = this.mode === 'hedge' ? (request.positionSide ?? hedgePositionSide(request.side, request.reduceOnly)) : undefined;
    const params = this.profile.orderParams(request, this.mode, positionSide, this.settings.marginMode);
    const price = request.type === 'limit' ? request.price : undefined;
    const order = await this.call('submit', signal, () =>
      this.exchange.createOrder(request.symbol, request.type, request.side, request.amount, price, params),
    );
    return (await this.confirmAck(request.symbol, request.clientOrderId, signal)) ?? this.view(order, request);
  }

  /** Refuses what the exchange would round or misread, before anything is sent. */
  private validate(r: OrderRequest): void {
    const refuse = (why: string) => {
      throw new VenueError('HH_ERR_VENUE_REJECTED', this.id, 'rejected', `order ${r.clientOrderId}: ${why}`);
    };
    if (!CLIENT_ORDER_ID.test(r.clientOrderId)) refuse('client order id must be 1–32 letters or digits');
    const spec = this.instrumentOrThrow(r.symbol);
    if (!(r.amount > 0) || !Decimal.from(r.amount).isMultipleOf(spec.stepSize)) refuse(`amount ${r.amount} is not a positive multiple of the step ${spec.stepSize}`);
    if (r.type === 'limit') {
      if (r.price === undefined || !(r.price > 0)) refuse('a limit order needs a price');
      else if (!Decimal.from(r.price).isMultipleOf(spec.tickSize)) refuse(`price ${r.price} is not on the tick ${spec.tickSize}`);
    }
    if (r.positionSide && this.mode !== 'hedge') refuse('a position side is only meaningful in hedge mode');
  }

  async cancel(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder> {
    this.assertStarted();
    try {
      const order = await this.call('cancel', signal, () => this.exchange.cancelOrder(NO_ID, symbol, this.profile.lookupParams(clientOrderId)));
      return (await this.confirmAck(symbol, clientOrderId, signal)) ?? this.view(order, { symbol, clientOrderId });
    } catch (err) {
      // Exchanges answer "unknown order" for an order that is already final (Binance -2011):
      // the cancel lost the race against a fill, or it was cancelled before. Its final view is the answer.
      if (!(err instanceof VenueError) || err.code !== 'HH_ERR_VENUE_ORDER_NOT_FOUND') throw err;
      const order = await this.fetchOrder(symbol, clientOrderId, signal);
      if (!order) throw err;
      return order;
    }
  }

  async fetchOrder(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder | undefined> {
    this.assertStarted();
    try {
      const order = await this.call('fetchOrder', signal, () => this.exchange.fetchOrder(NO_ID, symbol, this.profile.lookupParams(clientOrderId)));
      return this.view(order, { symbol, clientOrderId });
    } catch (err) {
      if (err instanceof VenueError && err.code === 'HH_ERR_VENUE_ORDER_NOT_FOUND') return undefined;
      throw err;
    }
  }

  /**
   * Where the exchange answers a create or a cancel with the ids only, the order as it is
   * now. The request already succeeded: a failed look-up is not its failure (undefined).
   */
  private async confirmAck(symbol: string, clientOrderId: string, signal?: AbortSignal): Promise<VenueOrder | undefined> {
    if (!this.profile.ackOnlyAnswers) return undefined;
    return this.fetchOrder(symbol, clientOrderId, signal).catch(() => undefined);
  }

  private view(order: Order, known: OrderFallback | OrderRequest): VenueOrder {
    return toVenueOrder(order, known, {
      venue: this.id,
      fees: this.fees(known.symbol),
      contractSize: this.market(known.symbol).contractSize ?? 1,
      now: this.deps.clock.now(),
      reduces: this.profile.reducesPosition?.(order),
    });
  }

  // ---- account and market ------------------------------------------------------------------

  async positions(symbols?: readonly string[], signal?: AbortSignal): Promise<VenuePosition[]> {
    this.assertStarted();
    const wanted = [...(symbols ?? this.settings.symbols)];
    const list = await this.call('read', signal, () => this.exchange.fetchPositions(wanted));
    return list.filter((p) => (p.contracts ?? 0) > 0 && p.symbol !== undefined).map((p) => this.position(p));
  }

  private position(p: Position): VenuePosition {
    const symbol = p.symbol as string;
    const contractSize = p.contractSize ?? this.exchange.markets?.[symbol]?.contractSize ?? 1;
    const base = Decimal.from(p.contracts ?? 0).mul(contractSize);
    const out: VenuePosition = { symbol, size: (p.side === 'short' ? base.neg() : base).toNumber() };
    if (p.entryPrice !== undefined) out.entryPrice = p.entryPrice;
    const leverage = p.leverage ?? this.settings.leverage;
    if (leverage !== undefined) out.leverage = leverage;
    if (p.hedged && (p.side === 'long' || p.side === 'short')) out.positionSide = p.side as PositionSideParam;
    if (p.unrealizedPnl !== undefined) out.unrealisedPnl = p.unrealizedPnl;
    if (p.liquidationPrice !== undefined) out.liquidationPrice = p.liquidationPrice;
    if (p.marginMode === 'cross' || p.marginMode === 'isolated') out.marginMode = p.marginMode;
    return out;
  }

  async balance(signal?: AbortSignal): Promise<VenueBalance> {
    this.assertStarted();
    const currency = this.market(this.settings.symbols[0]!).settle ?? 'USDT';
    const balance = await this.call('read', signal, () => this.exchange.fetchBalance());
    const account = balance[currency] as { total?: number; free?: number } | undefined;
    return { currency, equity: account?.total ?? 0, available: account?.free ?? 0 };
  }

  async ticker(symbol: string, signal?: AbortSignal): Promise<Ticker> {
    const t = await this.call('read', signal, () => this.exchange.fetchTicker(symbol));
    const last = t.last ?? t.close;
    if (last === undefined) throw new VenueError('HH_ERR_VENUE_UNAVAILABLE', this.id, 'retryable', `no last price for ${symbol}`);
    const out: Ticker = { symbol, time: t.timestamp ?? this.deps.clock.now(), last };
    if (t.bid !== undefined) out.bid = t.bid;
    if (t.ask !== undefined) out.ask = t.ask;
    return out;
  }

  async orderBook(symbol: string, depth = 20, signal?: AbortSignal): Promise<OrderBook> {
    const book = await this.call('read', signal, () => this.exchange.fetchOrderBook(symbol, this.profile.bookLimit(depth)));
    const levels = (side: typeof book.bids): [number, number][] =>
      side.slice(0, depth).map(([price, amount]) => [Number(price), Number(amount)] as [number, number]);
    return { symbol, time: book.timestamp ?? this.deps.clock.now(), bids: levels(book.bids), asks: levels(book.asks) };
  }

  // ---- plumbing --------------------------------------------------------------------------

  private assertStarted(): void {
    if (!this.started) throw new VenueError('HH_ERR_VENUE_UNAVAILABLE', this.id, 'retryable', 'venue not started (markets and account settings not loaded yet)');
  }

  /**
   * One ccxt call, classed on failure. An abort rejects at once: before the request left
   * it is retryable (and the tracer makes sure it never leaves), after it a submit is ambiguous.
   */
  private call<T>(op: VenueOperation, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(this.id, op, false));
    const { trace, result } = this.tracer.run(signal, run);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abortError(this.id, op, trace.sent));
      signal?.addEventListener('abort', onAbort, { once: true });
      result
        .then(resolve, (err: unknown) => reject(classifyError(this.errors, op, err, trace)))
        .finally(() => signal?.removeEventListener('abort', onAbort));
    });
  }
}

/** ccxt's own "no exchange id" for lookups by client order id (the id is then ignored). */
const NO_ID = undefined as unknown as string;

function exchangeClass(s: CcxtVenueSettings): new (config: Record<string, unknown>) => Exchange {
  const classes = ccxt as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>;
  if (!ccxt.exchanges.includes(s.exchange) || typeof classes[s.exchange] !== 'function') {
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', `venues[${s.id}].exchange: ccxt has no exchange "${s.exchange}"`);
  }
  return classes[s.exchange]!;
}

/**
 * Builds a ccxt venue from its `venues[]` entry. Throws HH_ERR_CONFIG_INVALID (one line)
 * for an unknown exchange or missing keys; call `start()` before trading.
 */
export function createCcxtVenue(settings: CcxtVenueSettingsInput | CcxtVenueSettings, deps: CcxtVenueDeps): CcxtVenue {
  return new CcxtVenue(parseCcxtVenueSettings(settings), deps);
}
