import { test } from 'node:test';
import assert from 'node:assert/strict';
import { order, paperSetup, rejectsWith, TRX } from './setup.ts';

// At mid 0.24 with the defaults (spread 1 bp, levels 1 bp apart, 10 000 USDT per level):
// asks 0.24002 (41 663 TRX), 0.24005 (41 657), 0.24007 (41 654); bids 0.23998 (41 670), 0.23995 (41 675).

test('the synthetic book around the market price: spread, level step and depth per level', async () => {
  const { venue } = await paperSetup();
  const book = await venue.orderBook(TRX, 3);
  assert.deepEqual(book.asks, [[0.24002, 41663], [0.24005, 41657], [0.24007, 41654]]);
  assert.deepEqual(book.bids.slice(0, 2), [[0.23998, 41670], [0.23995, 41675]]);
  const ticker = await venue.ticker(TRX);
  assert.deepEqual([ticker.bid, ticker.last, ticker.ask], [0.23998, 0.24, 0.24002]);
});

test('a market buy fills at once at the best ask with the taker fee, exactly', async () => {
  const { venue } = await paperSetup();
  const filled = await venue.submit(order({ clientOrderId: 'buy1', amount: 10000 }));
  assert.equal(filled.status, 'filled');
  assert.equal(filled.filled, 10000);
  assert.equal(filled.averagePrice, 0.24002);
  assert.equal(filled.fee, 1.2001); // 2400.2 USDT × 0.05%
  assert.equal(filled.venue, 'paper1');
  assert.equal(filled.clientOrderId, 'buy1');
  assert.ok(filled.exchangeOrderId);
  const [pos] = await venue.positions();
  assert.deepEqual({ size: pos!.size, entryPrice: pos!.entryPrice, unrealisedPnl: pos!.unrealisedPnl }, { size: 10000, entryPrice: 0.24002, unrealisedPnl: -0.2 });
  const totals = venue.totals();
  assert.equal(totals.wallet, 99998.7999);
  assert.equal(totals.equity, 99998.5999);
  assert.equal(totals.fees, 1.2001);
  assert.equal(totals.slippage, 0.2);
  assert.deepEqual(venue.fees(TRX), { taker: 0.0005, maker: 0.0002 });
});

test('a big order walks the book: slippage over two levels, volume-weighted average', async () => {
  const { venue } = await paperSetup();
  const filled = await venue.submit(order({ amount: 50000 }));
  // 41 663 × 0.24002 + 8 337 × 0.24005 = 12 001.25011
  assert.equal(filled.status, 'filled');
  assert.equal(filled.averagePrice, 0.2400250022);
  assert.equal(filled.fee, 6.000625055);
  assert.equal(venue.totals().slippage, 1.25011);
});

test('what the book cannot absorb expires, like an IOC', async () => {
  const { venue } = await paperSetup({ levels: 2 });
  const result = await venue.submit(order({ amount: 100000 }));
  assert.equal(result.status, 'expired');
  assert.equal(result.filled, 41663 + 41657);
  assert.equal((await venue.positions())[0]!.size, 83320);
});

test('a sell closes a long with realised PnL; a larger sell flips it (one-way mode)', async () => {
  const { venue, market } = await paperSetup();
  await venue.submit(order({ amount: 10000 }));
  market.set(TRX, 0.25); // bid 0.24998
  const sold = await venue.submit(order({ side: 'sell', amount: 4000 }));
  assert.equal(sold.averagePrice, 0.24998);
  // 4 000 × (0.24998 − 0.24002) = 39.84
  assert.equal(venue.totals().realisedPnl, 39.84);
  await venue.submit(order({ side: 'sell', amount: 10000 }));
  const [pos] = await venue.positions();
  assert.equal(pos!.size, -4000);
  assert.equal(pos!.entryPrice, 0.24998);
  assert.equal(venue.totals().realisedPnl, 99.6); // 39.84 + 6 000 × 0.00996
});

test('reduce-only: refused when it would increase or there is nothing to reduce; capped, never flips', async () => {
  const { venue } = await paperSetup();
  await rejectsWith(venue.submit(order({ side: 'sell', amount: 1000, reduceOnly: true })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-2022');
  await venue.submit(order({ amount: 10000 }));
  await rejectsWith(venue.submit(order({ side: 'buy', amount: 1000, reduceOnly: true })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-2022');
  const closed = await venue.submit(order({ side: 'sell', amount: 15000, reduceOnly: true }));
  assert.equal(closed.status, 'expired');
  assert.equal(closed.filled, 10000);
  assert.equal(closed.reduceOnly, true);
  assert.deepEqual(await venue.positions(), []);
  // 10 000 × (0.23998 − 0.24002)
  assert.equal(venue.totals().realisedPnl, -0.4);
});

test('a resting limit order fills at its price with the maker fee when a new ticker reaches it', async () => {
  const { venue, market } = await paperSetup();
  const placed = await venue.submit(order({ clientOrderId: 'lim1', type: 'limit', price: 0.239, amount: 1000 }));
  assert.equal(placed.status, 'open');
  assert.equal(placed.filled, 0);
  market.set(TRX, 0.2395);
  assert.equal((await venue.fetchOrder(TRX, 'lim1'))!.status, 'open');
  market.set(TRX, 0.2389);
  const filled = (await venue.fetchOrder(TRX, 'lim1'))!;
  assert.equal(filled.status, 'filled');
  assert.equal(filled.averagePrice, 0.239);
  assert.equal(filled.fee, 0.0478); // 239 USDT × 0.02%
  assert.deepEqual(venue.openOrders(), []);
});

test('a marketable limit takes what is at or better than its price, then rests the rest', async () => {
  const { venue, market } = await paperSetup();
  const placed = await venue.submit(order({ clientOrderId: 'lim2', type: 'limit', price: 0.24002, amount: 50000 }));
  assert.equal(placed.status, 'open');
  assert.equal(placed.filled, 41663);
  assert.equal(placed.fee, 4.99997663); // 9 999.95326 USDT × 0.05%
  market.set(TRX, 0.24001);
  const done = (await venue.fetchOrder(TRX, 'lim2'))!;
  assert.equal(done.status, 'filled');
  assert.equal(done.averagePrice, 0.24002);
  // + 8 337 × 0.24002 × 0.02% = 0.400209348 as maker
  assert.equal(done.fee, 5.400185978);
});

test('cancel: an open order becomes canceled and is still found by client id; a filled one answers filled; unknown ids are not found', async () => {
  const { venue } = await paperSetup();
  await venue.submit(order({ clientOrderId: 'rest1', type: 'limit', price: 0.2, amount: 1000 }));
  const canceled = await venue.cancel(TRX, 'rest1');
  assert.equal(canceled.status, 'canceled');
  assert.equal((await venue.fetchOrder(TRX, 'rest1'))!.status, 'canceled');
  await venue.submit(order({ clientOrderId: 'done1' }));
  assert.equal((await venue.cancel(TRX, 'done1')).status, 'filled');
  await rejectsWith(venue.cancel(TRX, 'never'), 'HH_ERR_VENUE_ORDER_NOT_FOUND', 'rejected');
  assert.equal(await venue.fetchOrder(TRX, 'never'), undefined);
  assert.equal(await venue.fetchOrder('BTC/USDT:USDT', 'done1'), undefined);
});

test('the exchange filters: duplicate id, step, tick, minimum notional, client id, symbol, margin', async () => {
  const { venue } = await paperSetup({ balance: 100, leverage: 10 });
  await venue.submit(order({ clientOrderId: 'dup1', amount: 100 }));
  await rejectsWith(venue.submit(order({ clientOrderId: 'dup1', amount: 100 })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-4116');
  await rejectsWith(venue.submit(order({ amount: 100.5 })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-1111');
  await rejectsWith(venue.submit(order({ type: 'limit', price: 0.239995, amount: 100 })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-4014');
  await rejectsWith(venue.submit(order({ amount: 20 })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-4164'); // 4.8 USDT < 5
  await rejectsWith(venue.submit(order({ clientOrderId: 'has-dash' })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-1100');
  await rejectsWith(venue.submit(order({ symbol: 'DOGE/USDT:USDT' })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-1121');
  await rejectsWith(venue.submit(order({ positionSide: 'long' })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-4061');
  // 100 USDT at 10x carries about 1 000 USDT: 10 000 TRX (2 400 USDT) is too much.
  await rejectsWith(venue.submit(order({ amount: 10000 })), 'HH_ERR_VENUE_INSUFFICIENT_MARGIN', 'rejected', '-2019');
  // Rejected orders are not kept: the id is free.
  assert.equal(await venue.fetchOrder(TRX, 'has-dash'), undefined);
});

test('hedge mode keeps a long and a short apart; closing orders never open the other side', async () => {
  const { venue } = await paperSetup({ positionMode: 'hedge' });
  await venue.submit(order({ side: 'buy', amount: 1000 })); // opens long by default
  await venue.submit(order({ side: 'sell', amount: 3000, positionSide: 'short' }));
  const sides = (await venue.positions()).map((p) => [p.positionSide, p.size]).sort();
  assert.deepEqual(sides, [['long', 1000], ['short', -3000]]);
  const closed = await venue.submit(order({ side: 'sell', amount: 2000, positionSide: 'long' }));
  assert.equal(closed.filled, 1000);
  assert.equal(closed.status, 'expired');
  await rejectsWith(venue.submit(order({ side: 'sell', amount: 1000, positionSide: 'long' })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-2022');
  await venue.submit(order({ side: 'buy', amount: 1000, reduceOnly: true })); // reduce-only buy → closes the short
  assert.deepEqual((await venue.positions()).map((p) => [p.positionSide, p.size]), [['short', -2000]]);
});

test('no price yet: retryable, nothing placed', async () => {
  const { venue } = await paperSetup({ instruments: [{ symbol: 'BTC/USDT:USDT', tickSize: '0.1', stepSize: '0.001', minNotional: '5' }] });
  await rejectsWith(venue.submit(order({ clientOrderId: 'nop1', symbol: 'BTC/USDT:USDT', amount: 0.01 })), 'HH_ERR_MARKET_DATA_UNAVAILABLE', 'retryable');
  assert.equal(venue.instrument('BTC/USDT:USDT')?.tickSize, '0.1');
  assert.equal(venue.instrument(TRX), undefined);
});

test('a long run forgets the oldest final orders beyond maxKeptOrders, never an open one', async () => {
  const { venue } = await paperSetup({ maxKeptOrders: 100, balance: 1e9 });
  await venue.submit(order({ clientOrderId: 'keepOpen', type: 'limit', price: 0.2, amount: 1000 }));
  for (let i = 0; i < 120; i++) await venue.submit(order({ clientOrderId: `old${i}`, side: i % 2 ? 'sell' : 'buy', amount: 100 }));
  assert.equal(await venue.fetchOrder(TRX, 'old0'), undefined);
  assert.equal((await venue.fetchOrder(TRX, 'old119'))!.status, 'filled');
  assert.equal((await venue.fetchOrder(TRX, 'keepOpen'))!.status, 'open');
});
