/**
 * The instruments the fake lists, with Binance's real filters, and the
 * `GET /fapi/v1/exchangeInfo` document built from them (the shape ccxt's binance
 * `parseMarket` reads: contractType, status, filters, orderTypes, precisions…).
 */
export interface FakeSymbol {
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  stepSize: string;
  minQty: string;
  maxQty: string;
  marketMaxQty: string;
  /** MIN_NOTIONAL filter (`notional` on futures). */
  minNotional: string;
  pricePrecision: number;
  quantityPrecision: number;
  maxLeverage: number;
  /** Mid price the book starts around. */
  price: string;
  onboardDate: number;
}

/** TRXUSDT perpetual: tick 0.00001, step 1 TRX, min notional 5 USDT (as listed in 2024–2025). */
export const TRXUSDT: FakeSymbol = {
  symbol: 'TRXUSDT',
  baseAsset: 'TRX',
  quoteAsset: 'USDT',
  tickSize: '0.00001',
  minPrice: '0.00132',
  maxPrice: '20000',
  stepSize: '1',
  minQty: '1',
  maxQty: '5000000',
  marketMaxQty: '2000000',
  minNotional: '5',
  pricePrecision: 5,
  quantityPrecision: 0,
  maxLeverage: 75,
  price: '0.24120',
  onboardDate: 1569398400000,
};

/** BTCUSDT perpetual: tick 0.10, step 0.001 BTC, min notional 100 USDT. */
export const BTCUSDT: FakeSymbol = {
  symbol: 'BTCUSDT',
  baseAsset: 'BTC',
  quoteAsset: 'USDT',
  tickSize: '0.10',
  minPrice: '261.10',
  maxPrice: '809484',
  stepSize: '0.001',
  minQty: '0.001',
  maxQty: '1000',
  marketMaxQty: '120',
  minNotional: '100',
  pricePrecision: 2,
  quantityPrecision: 3,
  maxLeverage: 125,
  price: '95000.00',
  onboardDate: 1569398400000,
};

export const DEFAULT_SYMBOLS: readonly FakeSymbol[] = [TRXUSDT, BTCUSDT];

/** Binance lists perpetuals with this delivery date (year 2100). */
const PERPETUAL_DELIVERY = 4133404800000;

function symbolEntry(s: FakeSymbol) {
  return {
    symbol: s.symbol,
    pair: s.symbol,
    contractType: 'PERPETUAL',
    deliveryDate: PERPETUAL_DELIVERY,
    onboardDate: s.onboardDate,
    status: 'TRADING',
    maintMarginPercent: '2.5000',
    requiredMarginPercent: '5.0000',
    baseAsset: s.baseAsset,
    quoteAsset: s.quoteAsset,
    marginAsset: s.quoteAsset,
    pricePrecision: s.pricePrecision,
    quantityPrecision: s.quantityPrecision,
    baseAssetPrecision: 8,
    quotePrecision: 8,
    underlyingType: 'COIN',
    underlyingSubType: [],
    settlePlan: 0,
    triggerProtect: '0.0500',
    liquidationFee: '0.010000',
    marketTakeBound: '0.05',
    maxMoveOrderLimit: 10000,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: s.minPrice, maxPrice: s.maxPrice, tickSize: s.tickSize },
      { filterType: 'LOT_SIZE', minQty: s.minQty, maxQty: s.maxQty, stepSize: s.stepSize },
      { filterType: 'MARKET_LOT_SIZE', minQty: s.minQty, maxQty: s.marketMaxQty, stepSize: s.stepSize },
      { filterType: 'MAX_NUM_ORDERS', limit: 200 },
      { filterType: 'MAX_NUM_ALGO_ORDERS', limit: 10 },
      { filterType: 'MIN_NOTIONAL', notional: s.minNotional },
      { filterType: 'PERCENT_PRICE', multiplierUp: '1.0500', multiplierDown: '0.9500', multiplierDecimal: '4' },
    ],
    orderTypes: ['LIMIT', 'MARKET', 'STOP', 'STOP_MARKET', 'TAKE_PROFIT', 'TAKE_PROFIT_MARKET', 'TRAILING_STOP_MARKET'],
    timeInForce: ['GTC', 'IOC', 'FOK', 'GTX', 'GTD'],
  };
}

export function exchangeInfo(symbols: readonly FakeSymbol[], serverTime: number) {
  return {
    timezone: 'UTC',
    serverTime,
    futuresType: 'U_MARGINED',
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 2400 },
      { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
    ],
    exchangeFilters: [],
    assets: [{ asset: 'USDT', marginAvailable: true, autoAssetExchange: '-10000' }],
    symbols: symbols.map(symbolEntry),
  };
}

/** `GET /fapi/v1/leverageBracket` (ccxt loads it before reading positions). */
export function leverageBrackets(symbols: readonly FakeSymbol[]) {
  return symbols.map((s) => ({
    symbol: s.symbol,
    brackets: [
      { bracket: 1, initialLeverage: s.maxLeverage, notionalCap: 50000, notionalFloor: 0, maintMarginRatio: 0.01, cum: 0 },
      { bracket: 2, initialLeverage: 20, notionalCap: 500000, notionalFloor: 50000, maintMarginRatio: 0.025, cum: 750 },
      { bracket: 3, initialLeverage: 10, notionalCap: 5000000, notionalFloor: 500000, maintMarginRatio: 0.05, cum: 13250 },
    ],
  }));
}
