import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VenueError, type OrderRequest } from '../../../src/core/venue.ts';
import { cid, fakeVenue, type FakeVenue } from './fake-venue.ts';

// One one-way venue for the file (starting one costs ccxt's rate-limit wait after the
// weight-30 position-mode read); each test resets the fake's account first.
let shared: FakeVenue;
before(async () => {
  shared = await fakeVenue();
});
after(() => shared.close());
function oneWay(options: { walletBalance?: string } = {}): FakeVenue {
  shared.fake.reset(options);
  return shared;
}

const TRX = 'TRX/USDT:USDT';
const market = (side: 'buy' | 'sell', amount: number, reduceOnly = false): OrderRequest => ({
  clientOrderId: cid(),
  symbol: TRX,
  side,
  amount,
  type: 'market',
  reduceOnly,
});
const limit = (side: 'buy' | 'sell', amount: number, price: number): OrderRequest => ({
  clientOrderId: cid(),
  symbol: TRX,
  side,
  amount,
  type: 'limit',
  price,
  reduceOnly: false,
});

test('a market order fills against the book, with our client order id', async () => {
  const { fake, venue } = oneWay();
  const req = market('buy', 1000);
  const order = await venue.submit(req);
  assert.equal(order.status, 'filled');
  assert.equal(order.filled, 1000);
  assert.equal(order.amount, 1000);
  assert.equal(order.averagePrice, 0.24121); // best ask: one tick above the 0.2412 mid
  assert.equal(order.clientOrderId, req.clientOrderId);
  assert.equal(order.venue, 'binance');
  assert.equal(order.reduceOnly, false);
  assert.ok(order.exchangeOrderId);
  assert.ok(Math.abs(order.fee - 1000 * 0.24121 * 0.0005) < 1e-12, `fee ${order.fee}`); // taker estimate
  const sent = fake.requestsTo('POST /fapi/v1/order');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.params.newClientOrderId, req.clientOrderId);
  assert.equal(sent[0]!.params.quantity, '1000');
  assert.equal(sent[0]!.params.reduceOnly, undefined);
  assert.equal(sent[0]!.params.positionSide, undefined);
  assert.equal(fake.position('TRXUSDT').amount.toString(), '1000');

  const [position] = await venue.positions();
  assert.equal(position?.symbol, TRX);
  assert.equal(position?.size, 1000);
  assert.equal(position?.entryPrice, 0.24121);
  assert.equal(position?.positionSide, undefined);
  const balance = await venue.balance();
  assert.equal(balance.currency, 'USDT');
  // wallet 10000 − fee 0.120605, plus unrealised (0.2412 − 0.24121) × 1000
  assert.equal(balance.equity, 9999.869395);
});

test('a limit order below the market rests open, is found by client id, then cancelled', async () => {
  const { fake, venue } = oneWay();
  const req = limit('buy', 100, 0.24);
  const placed = await venue.submit(req);
  assert.equal(placed.status, 'open');
  assert.equal(placed.filled, 0);
  assert.equal(placed.averagePrice, undefined);
  const found = await venue.fetchOrder(TRX, req.clientOrderId);
  assert.equal(found?.status, 'open');
  assert.equal(found?.exchangeOrderId, placed.exchangeOrderId);
  const cancelled = await venue.cancel(TRX, req.clientOrderId);
  assert.equal(cancelled.status, 'canceled');
  assert.equal(cancelled.filled, 0);
  assert.equal(fake.order(req.clientOrderId)?.status, 'CANCELED');
  assert.equal(fake.requestsTo('DELETE /fapi/v1/order')[0]?.params.origClientOrderId, req.clientOrderId);
});

test('a cancel that loses the race against a fill resolves with the filled order', async () => {
  const { fake, venue } = oneWay();
  const req = limit('sell', 100, 0.25);
  await venue.submit(req);
  fake.fillOrder(req.clientOrderId);
  const result = await venue.cancel(TRX, req.clientOrderId);
  assert.equal(result.status, 'filled');
  assert.equal(result.filled, 100);
  assert.equal(result.averagePrice, 0.25);
  assert.ok(Math.abs(result.fee - 100 * 0.25 * 0.0002) < 1e-12, `fee ${result.fee}`); // maker estimate
  // Binance said -2011 to the cancel; the adapter then looked the order up.
  assert.equal(fake.requestsTo('DELETE /fapi/v1/order')[0]?.status, 400);
  assert.equal(fake.requestsTo('GET /fapi/v1/order').length, 1);
});

test('a resting order filled later by the exchange (a late fill, or the market crossing it) is seen by fetchOrder', async () => {
  const { fake, venue } = oneWay();
  const late = limit('buy', 100, 0.241);
  await venue.submit(late);
  fake.fillLater(late.clientOrderId, 30, '40'); // part of it, after a while
  for (let i = 0; i < 200 && fake.order(late.clientOrderId)?.executedQty.isZero(); i++) await new Promise((r) => setTimeout(r, 5));
  const partly = await venue.fetchOrder(TRX, late.clientOrderId);
  assert.equal(partly?.status, 'open');
  assert.equal(partly?.filled, 40);
  fake.setPrice('TRXUSDT', '0.2405'); // the ask (0.24051) is now below the limit: the rest fills
  const done = await venue.fetchOrder(TRX, late.clientOrderId);
  assert.equal(done?.status, 'filled');
  assert.equal(done?.filled, 100);
  assert.equal(done?.averagePrice, 0.241);
});

test('unknown client ids: cancel rejects ORDER_NOT_FOUND, fetchOrder gives undefined', async () => {
  const { venue } = oneWay();
  assert.equal(await venue.fetchOrder(TRX, 'neverSent1'), undefined);
  await assert.rejects(venue.cancel(TRX, 'neverSent2'), (e: unknown) => e instanceof VenueError && e.code === 'HH_ERR_VENUE_ORDER_NOT_FOUND');
});

test('a client order id already used by an open order is refused by the exchange (-4116)', async () => {
  const { fake, venue } = oneWay();
  const req = limit('buy', 100, 0.24);
  await venue.submit(req);
  const err = await venue.submit({ ...req, price: 0.23 }).then(
    () => assert.fail('duplicate accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VenueError);
  assert.equal(err.code, 'HH_ERR_VENUE_REJECTED');
  assert.equal(err.errorClass, 'rejected');
  assert.equal(err.exchangeCode, '-4116');
  assert.match(err.message, /client order id already used \(binanceusdm -4116: ClientOrderId is duplicated\.\)/);
  assert.equal(fake.account.orders.filter((o) => o.clientOrderId === req.clientOrderId).length, 1);
});

test('one-way mode: reduceOnly is sent, and a reduce-only order with nothing to reduce is refused (-2022)', async () => {
  const { fake, venue } = oneWay();
  await assert.rejects(
    venue.submit(market('sell', 100, true)),
    (e: unknown) => e instanceof VenueError && e.exchangeCode === '-2022' && e.code === 'HH_ERR_VENUE_REJECTED',
  );
  await venue.submit(market('buy', 100));
  const close100 = await venue.submit(market('sell', 100, true));
  assert.equal(close100.status, 'filled');
  assert.equal(close100.reduceOnly, true);
  assert.equal(fake.requestsTo('POST /fapi/v1/order').at(-1)?.params.reduceOnly, 'true');
  assert.equal(fake.position('TRXUSDT').amount.toString(), '0');
  assert.deepEqual(await venue.positions(), []);
});

test('hedge mode: every order carries positionSide and never reduceOnly', async () => {
  const { fake, venue, close } = await fakeVenue({ settings: { positionMode: 'hedge' } });
  try {
    await venue.submit(market('buy', 300)); // opens LONG
    await venue.submit(market('sell', 200)); // opens SHORT, the long stays
    const reduce = await venue.submit(market('sell', 100, true)); // reduces LONG
    const sent = fake.requestsTo('POST /fapi/v1/order').map((r) => [r.params.side, r.params.positionSide, r.params.reduceOnly]);
    assert.deepEqual(sent, [
      ['BUY', 'LONG', undefined],
      ['SELL', 'SHORT', undefined],
      ['SELL', 'LONG', undefined],
    ]);
    assert.equal(reduce.reduceOnly, true); // read back from the position side
    assert.equal(fake.position('TRXUSDT', 'LONG').amount.toString(), '200');
    assert.equal(fake.position('TRXUSDT', 'SHORT').amount.toString(), '-200');
    const positions = await venue.positions();
    assert.deepEqual(
      positions.map((p) => [p.positionSide, p.size]).sort(),
      [
        ['long', 200],
        ['short', -200],
      ],
    );
    // An explicit position side wins over the derived one.
    await venue.submit({ ...market('buy', 50, true), positionSide: 'short' });
    assert.equal(fake.position('TRXUSDT', 'SHORT').amount.toString(), '-150');
  } finally {
    await close();
  }
});

test('insufficient margin is HH_ERR_VENUE_INSUFFICIENT_MARGIN (-2019), from the real check and from the fault', async () => {
  const { fake, venue } = oneWay({ walletBalance: '10' });
  fake.account.setLeverage('TRXUSDT', '2');
  try {
    const isMargin = (e: unknown) => e instanceof VenueError && e.code === 'HH_ERR_VENUE_INSUFFICIENT_MARGIN' && e.exchangeCode === '-2019' && !e.retryable;
    await assert.rejects(venue.submit(market('buy', 100)), isMargin); // 24.12 USDT at 2x needs 12.06 > 10
    fake.insufficientMargin();
    await assert.rejects(venue.submit(market('buy', 30)), isMargin); // 3.62 would fit: the fault refuses it
    assert.equal((await venue.submit(market('buy', 30))).status, 'filled'); // and once the fault is spent, it fits
  } finally {
    fake.account.setLeverage('TRXUSDT', '20');
  }
});

test('sizes and prices off the exchange grid are refused before anything is sent', async () => {
  const { fake, venue } = oneWay();
  const offGrid = [
    market('buy', 100.5),
    limit('buy', 100, 0.240005),
    { ...market('buy', 100), clientOrderId: 'has-dash' },
    { ...market('buy', 100), positionSide: 'long' as const },
  ];
  for (const req of offGrid) {
    await assert.rejects(venue.submit(req), (e: unknown) => e instanceof VenueError && e.code === 'HH_ERR_VENUE_REJECTED' && e.errorClass === 'rejected');
  }
  assert.equal(fake.requestsTo('POST /fapi/v1/order').length, 0);
});

test('ticker and order book are read from the exchange', async () => {
  const { fake, venue } = oneWay();
  fake.setPrice('TRXUSDT', '0.25');
  const ticker = await venue.ticker(TRX);
  assert.equal(ticker.last, 0.25);
  assert.equal(ticker.symbol, TRX);
  const book = await venue.orderBook(TRX, 3);
  assert.deepEqual(book.bids, [
    [0.24999, 10000],
    [0.24998, 10000],
    [0.24997, 10000],
  ]);
  assert.deepEqual(book.asks[0], [0.25001, 10000]);
  assert.equal(fake.requestsTo('GET /fapi/v1/depth')[0]?.params.limit, '5'); // the nearest depth Binance accepts
});
