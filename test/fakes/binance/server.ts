/**
 * A fake Binance USDⓈ-M futures REST API on a local port, for driving the real ccxt
 * `binanceusdm` client in tests. It speaks the endpoints hedgehook uses, with Binance's
 * request rules (SIGNED endpoints: X-MBX-APIKEY, HMAC-SHA256 signature over the raw
 * query + body, timestamp/recvWindow; see signature.ts) and its JSON answers and errors
 * (errors.ts). State lives in account.ts; faults are injected in-process (faults.ts).
 *
 * Point ccxt at it by overriding the fapi URLs with `fake.url + '/fapi/v1'` etc.
 * (`fapiUrls(fake.url)` below gives the map).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAccount, type AccountOptions, type FakeOrder, type FakePosition, type PositionSide } from './account.ts';
import { BINANCE_ERRORS, BinanceReject, type BinanceFailure } from './errors.ts';
import { exchangeInfo, DEFAULT_SYMBOLS, leverageBrackets, type FakeSymbol } from './exchange-info.ts';
import { FaultPlan, type Fault } from './faults.ts';
import { INTERVAL_MS, klineRow, selectKlines, type KlineBar } from './klines.ts';
import { checkSignedRequest, type ApiKeyPair } from './signature.ts';

export const FAKE_API_KEY = 'hedgehookFakeApiKey0000000000000000000000000000000000000000000001';
export const FAKE_SECRET = 'hedgehookFakeSecret000000000000000000000000000000000000000000001';

export interface FakeBinanceOptions extends Partial<Omit<AccountOptions, 'symbols'>> {
  symbols?: readonly FakeSymbol[];
  keys?: readonly ApiKeyPair[];
  /** The exchange's clock (default: the wall clock). */
  now?: () => number;
  /** Kline series per `${symbol}:${interval}`; other pairs are generated. */
  klines?: Readonly<Record<string, readonly KlineBar[]>>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  status: number;
}

/** ccxt `urls.api` entries of binanceusdm pointed at a base URL. */
export function fapiUrls(base: string): Record<string, string> {
  return {
    fapiPublic: `${base}/fapi/v1`,
    fapiPublicV2: `${base}/fapi/v2`,
    fapiPublicV3: `${base}/fapi/v3`,
    fapiPrivate: `${base}/fapi/v1`,
    fapiPrivateV2: `${base}/fapi/v2`,
    fapiPrivateV3: `${base}/fapi/v3`,
    fapiData: `${base}/futures/data`,
  };
}

type Handler = (params: Record<string, string>) => unknown;

interface Route {
  signed: boolean;
  handler: Handler;
}

const DEPTH_LIMITS = new Set([5, 10, 20, 50, 100, 500, 1000]);

export class FakeBinance {
  readonly account: FakeAccount;
  readonly requests: RecordedRequest[] = [];
  private readonly faults = new FaultPlan();
  private readonly keys: readonly ApiKeyPair[];
  private readonly clock: () => number;
  private clockOffsetMs = 0;
  private readonly klineSeries: Readonly<Record<string, readonly KlineBar[]>>;
  private readonly routes = new Map<string, Route>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private server: Server | undefined;
  private base = '';
  private weight = 0;

  private constructor(options: FakeBinanceOptions) {
    this.account = new FakeAccount({ ...options, symbols: options.symbols ?? DEFAULT_SYMBOLS });
    this.keys = options.keys ?? [{ apiKey: FAKE_API_KEY, secret: FAKE_SECRET }];
    this.clock = options.now ?? (() => Date.now());
    this.klineSeries = options.klines ?? {};
    this.defineRoutes();
  }

  static async start(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
    const fake = new FakeBinance(options);
    await fake.listen();
    return fake;
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return this.base;
  }

  now(): number {
    return this.clock() + this.clockOffsetMs;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((done) => {
      server.close(() => done());
      // Hung requests and kept-alive sockets would hold close() forever.
      server.closeAllConnections();
    });
  }

  // ---- control API (in-process) ----------------------------------------------------------

  /** Injects a fault on a route such as 'POST /fapi/v1/order' ('*' = every route). */
  inject(route: string, fault: Fault, times = 1): void {
    this.faults.add(route, fault, times);
  }

  /** 429 (or 418) with Binance's -1003 body and a Retry-After header. */
  rateLimit(route: string, status: 429 | 418 = 429, retryAfterSeconds = 2, times = 1): void {
    const failure = status === 429 ? BINANCE_ERRORS.tooManyRequests() : BINANCE_ERRORS.ipBanned(this.now() + retryAfterSeconds * 1000);
    this.inject(route, { kind: 'status', failure, retryAfterSeconds }, times);
  }

  /** The next order(s) are refused with -2019 "Margin is insufficient." whatever the balance. */
  insufficientMargin(times = 1): void {
    this.inject('POST /fapi/v1/order', { kind: 'status', failure: BINANCE_ERRORS.marginInsufficient() }, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** A fresh account and no faults or recorded requests; the account settings stay (see FakeAccount.reset). */
  reset(options: { walletBalance?: string } = {}): void {
    this.account.reset(options.walletBalance);
    this.faults.clear();
    this.requests.length = 0;
    this.clockOffsetMs = 0;
  }

  /** Moves the exchange's clock relative to `now` (for recvWindow tests). */
  setClockOffset(ms: number): void {
    this.clockOffsetMs = ms;
  }

  setPrice(symbol: string, price: string): void {
    this.account.setPrice(symbol, price, this.now());
  }

  /** Fills a resting order now (all of it, or `quantity`). */
  fillOrder(clientOrderId: string, quantity?: string): FakeOrder {
    return this.account.fillOpenOrder(clientOrderId, this.now(), quantity);
  }

  /** Fills a resting order `ms` from now: the late fill of an order the client may be cancelling. */
  fillLater(clientOrderId: string, ms: number, quantity?: string): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.account.fillOpenOrder(clientOrderId, this.now(), quantity);
    }, ms);
    this.timers.add(t);
  }

  order(clientOrderId: string): FakeOrder | undefined {
    return this.account.orders.find((o) => o.clientOrderId === clientOrderId);
  }

  position(symbol: string, side: PositionSide = 'BOTH'): FakePosition {
    return this.account.position(symbol, side);
  }

  /** The recorded requests to a route ('POST /fapi/v1/order'). */
  requestsTo(route: string): RecordedRequest[] {
    return this.requests.filter((r) => `${r.method} ${r.path}` === route);
  }

  // ---- HTTP ----------------------------------------------------------------------------

  private async listen(): Promise<void> {
    const server = createServer((req, res) => {
      void this.onRequest(req, res);
    });
    this.server = server;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    this.base = `http://127.0.0.1:${port}`;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
    const method = req.method ?? 'GET';
    const path = url.pathname;
    // Binance: a parameter sent in both the query string and the body takes the query's value.
    const params = { ...Object.fromEntries(new URLSearchParams(rawBody)), ...Object.fromEntries(url.searchParams) };
    const record: RecordedRequest = { method, path, params, status: 0 };
    this.requests.push(record);
    const routeKey = `${method} ${path}`;
    const fault = this.faults.take(routeKey);

    if (fault?.kind === 'latency' && fault.applied) {
      const early = this.handle(routeKey, path, method, req, rawQuery, rawBody, params);
      await this.sleep(fault.ms);
      record.status = early.status;
      if (!res.destroyed && !req.socket.destroyed) this.send(res, early.status, early.body);
      return;
    }
    if (fault?.kind === 'latency') await this.sleep(fault.ms);
    if ((fault?.kind === 'drop' || fault?.kind === 'hang' || fault?.kind === 'status') && !fault.applied) {
      return this.misbehave(fault, req, res, record);
    }
    const answer = this.handle(routeKey, path, method, req, rawQuery, rawBody, params);
    if (fault?.kind === 'drop' || fault?.kind === 'hang' || fault?.kind === 'status') {
      return this.misbehave(fault, req, res, record);
    }
    record.status = answer.status;
    this.send(res, answer.status, answer.body);
  }

  private misbehave(fault: Fault, req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    if (fault.kind === 'drop') {
      record.status = -1;
      req.socket.destroy();
    } else if (fault.kind === 'hang') {
      record.status = -2; // never answered; close() ends it
    } else if (fault.kind === 'status') {
      record.status = fault.failure.status;
      const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
      this.send(res, fault.failure.status, { code: fault.failure.code, msg: fault.failure.msg }, headers);
    }
  }

  private handle(
    routeKey: string,
    path: string,
    method: string,
    req: IncomingMessage,
    rawQuery: string,
    rawBody: string,
    params: Record<string, string>,
  ): { status: number; body: unknown } {
    const route = this.routes.get(routeKey);
    if (!route) return { status: 404, body: { code: -5000, msg: `Path ${path}, Method ${method} is invalid` } };
    try {
      if (route.signed) {
        const header = req.headers['x-mbx-apikey'];
        const refusal = checkSignedRequest(
          this.keys,
          { apiKeyHeader: Array.isArray(header) ? header[0] : header, rawQuery, rawBody, params },
          this.now(),
        );
        if (refusal) return failureAnswer(refusal);
      }
      return { status: 200, body: route.handler(params) };
    } catch (err) {
      if (err instanceof BinanceReject) return failureAnswer(err.failure);
      return failureAnswer(BINANCE_ERRORS.unknown());
    }
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    this.weight += 1;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      'X-MBX-USED-WEIGHT-1M': String(this.weight),
      ...headers,
    });
    res.end(text);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        done();
      }, ms);
      this.timers.add(t);
    });
  }

  // ---- endpoints -------------------------------------------------------------------------

  private defineRoutes(): void {
    const pub = (key: string, handler: Handler) => this.routes.set(key, { signed: false, handler });
    const signed = (key: string, handler: Handler) => this.routes.set(key, { signed: true, handler });
    const a = this.account;

    pub('GET /fapi/v1/ping', () => ({}));
    pub('GET /fapi/v1/time', () => ({ serverTime: this.now() }));
    pub('GET /fapi/v1/exchangeInfo', () => exchangeInfo([...a.symbols.values()], this.now()));
    pub('GET /fapi/v1/depth', (p) => {
      const s = a.symbol(p.symbol);
      const limit = p.limit === undefined ? 500 : Number(p.limit);
      if (!DEPTH_LIMITS.has(limit)) throw new BinanceReject(BINANCE_ERRORS.badParam('limit'));
      const now = this.now();
      return { lastUpdateId: now, E: now, T: now, ...a.book(s.symbol, Math.min(limit, 50)) };
    });
    const price = (s: FakeSymbol) => ({ symbol: s.symbol, price: a.mid(s.symbol).toString(), time: this.now() });
    const eachOrOne = <T>(p: Record<string, string>, f: (s: FakeSymbol) => T): T | T[] =>
      p.symbol === undefined ? [...a.symbols.values()].map(f) : f(a.symbol(p.symbol));
    pub('GET /fapi/v1/ticker/price', (p) => eachOrOne(p, price));
    pub('GET /fapi/v2/ticker/price', (p) => eachOrOne(p, price));
    pub('GET /fapi/v1/ticker/bookTicker', (p) =>
      eachOrOne(p, (s) => {
        const book = a.book(s.symbol, 1);
        return { symbol: s.symbol, bidPrice: book.bids[0]![0], bidQty: book.bids[0]![1], askPrice: book.asks[0]![0], askQty: book.asks[0]![1], time: this.now() };
      }),
    );
    pub('GET /fapi/v1/ticker/24hr', (p) => eachOrOne(p, (s) => this.ticker24h(s)));
    pub('GET /fapi/v1/premiumIndex', (p) =>
      eachOrOne(p, (s) => ({
        symbol: s.symbol,
        markPrice: a.mid(s.symbol).toString(),
        indexPrice: a.mid(s.symbol).toString(),
        estimatedSettlePrice: a.mid(s.symbol).toString(),
        lastFundingRate: '0.00010000',
        interestRate: '0.00010000',
        nextFundingTime: Math.ceil(this.now() / 28_800_000) * 28_800_000,
        time: this.now(),
      })),
    );
    pub('GET /fapi/v1/klines', (p) => {
      const s = a.symbol(p.symbol);
      const bars = selectKlines(p, this.now(), s.onboardDate, p.interval ? this.klineSeries[`${s.symbol}:${p.interval}`] : undefined);
      return bars.map((b) => klineRow(b, INTERVAL_MS[p.interval!]!));
    });

    signed('POST /fapi/v1/order', (p) => {
      const order = a.placeOrder(p, this.now(), () => `fake${this.now()}${a.orders.length}`);
      const view = orderView(order, false);
      // newOrderRespType ACK (Binance's default) acknowledges without the fill.
      return p.newOrderRespType === 'RESULT' ? view : { ...view, status: 'NEW', executedQty: '0', cumQty: '0', cumQuote: '0', avgPrice: '0.00' };
    });
    signed('DELETE /fapi/v1/order', (p) => orderView(a.cancelOrder(p.symbol, p.origClientOrderId, p.orderId, this.now()), false));
    signed('GET /fapi/v1/order', (p) => {
      const order = a.findOrder(p.symbol, p.origClientOrderId, p.orderId);
      if (!order) throw new BinanceReject(BINANCE_ERRORS.orderDoesNotExist());
      return orderView(order, true);
    });
    signed('GET /fapi/v1/openOrders', (p) => {
      const symbol = p.symbol === undefined ? undefined : a.symbol(p.symbol).symbol;
      return a.orders
        .filter((o) => (o.status === 'NEW' || o.status === 'PARTIALLY_FILLED') && (symbol === undefined || o.symbol === symbol))
        .map((o) => orderView(o, true));
    });
    signed('GET /fapi/v1/leverageBracket', (p) => {
      const all = leverageBrackets([...a.symbols.values()]);
      return p.symbol === undefined ? all : all.filter((b) => b.symbol === p.symbol);
    });
    signed('POST /fapi/v1/leverage', (p) => a.setLeverage(p.symbol, p.leverage));
    signed('POST /fapi/v1/marginType', (p) => a.setMarginType(p.symbol, p.marginType));
    signed('GET /fapi/v1/positionSide/dual', () => ({ dualSidePosition: a.dualSidePosition }));
    signed('POST /fapi/v1/positionSide/dual', (p) => a.setDualSidePosition(p.dualSidePosition));
    signed('GET /fapi/v2/positionRisk', (p) => this.positionRisk(p.symbol, 'v2'));
    signed('GET /fapi/v3/positionRisk', (p) => this.positionRisk(p.symbol, 'v3'));
    signed('GET /fapi/v2/account', () => this.accountInfo());
    signed('GET /fapi/v3/account', () => this.accountInfo());
    signed('GET /fapi/v2/balance', () => [this.assetBalance()]);
    signed('GET /fapi/v3/balance', () => [this.assetBalance()]);
  }

  private ticker24h(s: FakeSymbol) {
    const last = this.account.mid(s.symbol).toString();
    const now = this.now();
    return {
      symbol: s.symbol,
      priceChange: '0',
      priceChangePercent: '0.000',
      weightedAvgPrice: last,
      lastPrice: last,
      lastQty: s.minQty,
      openPrice: last,
      highPrice: last,
      lowPrice: last,
      volume: '0',
      quoteVolume: '0',
      openTime: now - 86_400_000,
      closeTime: now,
      firstId: 1,
      lastId: 1,
      count: 1,
    };
  }

  /** v2 lists every position slot of the mode; v3 only the open ones (as Binance does). */
  private positionRisk(symbol: string | undefined, version: 'v2' | 'v3') {
    const a = this.account;
    const symbols = symbol === undefined ? [...a.symbols.keys()] : [a.symbol(symbol).symbol];
    const slots = symbols.flatMap((s) => a.positionSlots(s)).filter((p) => version === 'v2' || !p.amount.isZero());
    return slots.map((p) => {
      const mark = a.mid(p.symbol);
      const isolated = a.marginType(p.symbol) === 'ISOLATED';
      const margin = a.positionMargin(p).toString();
      const common = {
        symbol: p.symbol,
        positionSide: p.positionSide,
        positionAmt: p.amount.toString(),
        entryPrice: p.entryPrice.toString(),
        breakEvenPrice: p.entryPrice.toString(),
        markPrice: mark.toString(),
        unRealizedProfit: a.unrealisedPnl(p).toString(),
        liquidationPrice: '0',
        isolatedMargin: isolated ? margin : '0',
        notional: p.amount.mul(mark).toString(),
        isolatedWallet: isolated ? margin : '0',
        updateTime: p.updateTime,
      };
      if (version === 'v2') {
        return {
          ...common,
          leverage: String(a.leverage(p.symbol)),
          maxNotionalValue: '50000',
          marginType: isolated ? 'isolated' : 'cross',
          isAutoAddMargin: 'false',
        };
      }
      return {
        ...common,
        marginAsset: 'USDT',
        initialMargin: margin,
        maintMargin: '0',
        positionInitialMargin: margin,
        openOrderInitialMargin: '0',
        adl: 0,
        bidNotional: '0',
        askNotional: '0',
      };
    });
  }

  private assetBalance() {
    const a = this.account;
    return {
      accountAlias: 'fake',
      asset: 'USDT',
      balance: a.wallet.toString(),
      crossWalletBalance: a.wallet.toString(),
      crossUnPnl: a.totalUnrealisedPnl().toString(),
      availableBalance: a.availableBalance().toString(),
      maxWithdrawAmount: a.availableBalance().toString(),
      marginAvailable: true,
      updateTime: this.now(),
    };
  }

  private accountInfo() {
    const a = this.account;
    const upnl = a.totalUnrealisedPnl();
    const margin = a.wallet.add(upnl);
    const initial = a.totalPositionMargin().add(a.openOrderMargin());
    const asset = {
      asset: 'USDT',
      walletBalance: a.wallet.toString(),
      unrealizedProfit: upnl.toString(),
      marginBalance: margin.toString(),
      maintMargin: '0',
      initialMargin: initial.toString(),
      positionInitialMargin: a.totalPositionMargin().toString(),
      openOrderInitialMargin: a.openOrderMargin().toString(),
      crossWalletBalance: a.wallet.toString(),
      crossUnPnl: upnl.toString(),
      availableBalance: a.availableBalance().toString(),
      maxWithdrawAmount: a.availableBalance().toString(),
      updateTime: this.now(),
    };
    return {
      totalInitialMargin: initial.toString(),
      totalMaintMargin: '0',
      totalWalletBalance: a.wallet.toString(),
      totalUnrealizedProfit: upnl.toString(),
      totalMarginBalance: margin.toString(),
      totalPositionInitialMargin: a.totalPositionMargin().toString(),
      totalOpenOrderInitialMargin: a.openOrderMargin().toString(),
      totalCrossWalletBalance: a.wallet.toString(),
      totalCrossUnPnl: upnl.toString(),
      availableBalance: a.availableBalance().toString(),
      maxWithdrawAmount: a.availableBalance().toString(),
      assets: [asset],
      positions: a.openPositions().map((p) => ({
        symbol: p.symbol,
        positionSide: p.positionSide,
        positionAmt: p.amount.toString(),
        unrealizedProfit: a.unrealisedPnl(p).toString(),
        isolatedMargin: '0',
        notional: p.amount.mul(a.mid(p.symbol)).toString(),
        isolatedWallet: '0',
        initialMargin: a.positionMargin(p).toString(),
        maintMargin: '0',
        updateTime: p.updateTime,
      })),
    };
  }
}

function failureAnswer(f: BinanceFailure): { status: number; body: unknown } {
  return { status: f.status, body: { code: f.code, msg: f.msg } };
}

/** An order as Binance's order endpoints show it (`time` only on queries). */
function orderView(o: FakeOrder, withTime: boolean) {
  const view = {
    orderId: o.orderId,
    symbol: o.symbol,
    status: o.status,
    clientOrderId: o.clientOrderId,
    price: o.price.toString(),
    avgPrice: FakeAccount.averagePrice(o).toString(),
    origQty: o.origQty.toString(),
    executedQty: o.executedQty.toString(),
    cumQty: o.executedQty.toString(),
    cumQuote: o.cumQuote.toString(),
    timeInForce: o.timeInForce,
    type: o.type,
    reduceOnly: o.reduceOnly,
    closePosition: false,
    side: o.side,
    positionSide: o.positionSide,
    stopPrice: '0',
    workingType: 'CONTRACT_PRICE',
    priceProtect: false,
    origType: o.type,
    priceMatch: 'NONE',
    selfTradePreventionMode: 'EXPIRE_MAKER',
    goodTillDate: 0,
    updateTime: o.updateTime,
  };
  return withTime ? { ...view, time: o.time } : view;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}
