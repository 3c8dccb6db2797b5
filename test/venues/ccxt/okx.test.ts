/**
 * The ccxt venue on OKX: the real ccxt `okx` client, its real signing and parsing, against
 * the fake OKX v5 API (test/fakes/okx) on a local port. TRX-USDT-SWAP trades in contracts
 * of 1000 TRX stepping by 0.1, so every amount below is in contracts and every position
 * in TRX.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.ts';
import type { ErrorCode } from '../../../src/core/errors.ts';
import { roundAmount } from '../../../src/core/instrument.ts';
import { isVenueError, type OrderRequest, type VenueErrorClass } from '../../../src/core/venue.ts';
import { createCcxtVenue, type CcxtVenue } from '../../../src/venues/ccxt/index.ts';
import type { CcxtVenueSettingsInput } from '../../../src/venues/ccxt/settings.ts';
import { OKX_FAULTS } from '../../fakes/okx/faults.ts';
import { startFakeOkx, TEST_OKX_KEY, type FakeOkx } from '../../fakes/okx/server.ts';

const TRX = 'TRX/USDT:USDT';
const KEYS = {
  HEDGEHOOK_OKX_API_KEY: TEST_OKX_KEY.apiKey,
  HEDGEHOOK_OKX_SECRET: TEST_OKX_KEY.secret,
  HEDGEHOOK_OKX_PASSWORD: TEST_OKX_KEY.passphrase,
};

let counter = 0;
const cid = () => `hhokx${++counter}x${process.pid}`;

function order(side: 'buy' | 'sell', amount: number, extra: Partial<OrderRequest> = {}): OrderRequest {
  return { clientOrderId: cid(), symbol: TRX, side, amount, type: 'market', reduceOnly: false, ...extra };
}

async function okxVenue(settings: Partial<CcxtVenueSettingsInput> = {}, env: Record<string, string> = KEYS) {
  const fake = await startFakeOkx();
  const venue: CcxtVenue = createCcxtVenue(
    { id: 'okx', kind: 'ccxt', exchange: 'okx', baseUrl: fake.url, timeoutMs: 1500, leverage: 5, ...settings },
    { env, clock: new ManualClock(0) },
  );
  return {
    fake,
    venue,
    async close() {
      await venue.close();
      await fake.close();
    },
  };
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode, errorClass: VenueErrorClass, exchangeCode?: string): Promise<string> {
  let message = '';
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVenueError(err), `expected a VenueError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.errorClass, errorClass, err.message);
    if (exchangeCode !== undefined) assert.equal(err.exchangeCode, exchangeCode, err.message);
    assert.ok(!err.message.includes('\n'));
    message = err.message;
    return true;
  });
  return message;
}

const sentOrders = (fake: FakeOkx) => fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v5/trade/order');

test('start loads the swap, applies one-way mode and cross leverage; the instrument is in contracts of 1000 TRX', async () => {
  const { fake, venue, close } = await okxVenue({ positionMode: 'one-way', marginMode: 'cross' });
  try {
    fake.account.posMode = 'long_short_mode';
    await venue.start();
    assert.equal(fake.account.posMode, 'net_mode');
    const spec = venue.instrument(TRX);
    assert.deepEqual(spec, { symbol: TRX, tickSize: '0.00001', stepSize: '0.1', minNotional: '0', contractSize: '1000', minNotionalExemptReduceOnly: false });
    // A hedge of 12 345 TRX is 12.345 contracts: rounded down to the 0.1 step, 12.3 contracts = 12 300 TRX.
    assert.equal(roundAmount(spec!, 12345 / 1000), 12.3);
    const instruments = fake.requests.filter((r) => r.path === '/api/v5/public/instruments');
    assert.deepEqual(instruments.map((r) => r.query.instType), ['SWAP']);
    const leverage = fake.requests.filter((r) => r.path === '/api/v5/account/set-leverage');
    assert.deepEqual(leverage.map((r) => r.body), [{ lever: 5, mgnMode: 'cross', instId: 'TRX-USDT-SWAP' }]);
    assert.equal(fake.account.leverOf('TRX-USDT-SWAP', 'cross', 'net'), '5');
    assert.deepEqual(venue.fees(TRX), { taker: 0.0005, maker: 0.0002 });
  } finally {
    await close();
  }
});

test('a market order fills at once and is reported filled; a reduce-only order reduces; positions are in TRX', async () => {
  const { fake, venue, close } = await okxVenue();
  try {
    await venue.start();
    const sell = order('sell', 2.5);
    const filled = await venue.submit(sell);
    assert.equal(filled.status, 'filled');
    assert.equal(filled.clientOrderId, sell.clientOrderId);
    assert.equal(filled.amount, 2.5);
    assert.equal(filled.filled, 2.5);
    assert.equal(filled.averagePrice, 0.2412); // the fake's best bid
    assert.ok(filled.exchangeOrderId);
    // 2.5 contracts × 1000 TRX × 0.2412 × 0.05% taker, as OKX charged it.
    assert.equal(filled.fee, 0.3015);
    const [first] = sentOrders(fake);
    assert.deepEqual(first!.body, { instId: 'TRX-USDT-SWAP', side: 'sell', ordType: 'market', sz: '2.5', tdMode: 'cross', clOrdId: sell.clientOrderId });

    const cover = order('buy', 1, { reduceOnly: true });
    const reduced = await venue.submit(cover);
    assert.equal(reduced.status, 'filled');
    assert.equal(reduced.reduceOnly, true);
    assert.equal(sentOrders(fake)[1]!.body && (sentOrders(fake)[1]!.body as Record<string, unknown>).reduceOnly, true);
    const [position] = await venue.positions();
    assert.equal(position?.symbol, TRX);
    assert.equal(position?.size, -1500);
    assert.equal(position?.entryPrice, 0.2412);
    assert.equal(position?.leverage, 5);
    assert.equal(position?.marginMode, 'cross');

    // Reduce-only beyond the position is refused by OKX, and said so.
    await rejectsWith(venue.submit(order('buy', 2, { reduceOnly: true })), 'HH_ERR_VENUE_REJECTED', 'rejected', '51112');
    const balance = await venue.balance();
    assert.equal(balance.currency, 'USDT');
    assert.ok(balance.equity < 10000 && balance.equity > 9999, String(balance.equity));
  } finally {
    await close();
  }
});

test('a limit order rests, is found by client order id, and is cancelled; a cancel that lost to a fill returns the fill', async () => {
  const { fake, venue, close } = await okxVenue();
  try {
    await venue.start();
    const bid = order('buy', 1.2, { type: 'limit', price: 0.2 });
    const resting = await venue.submit(bid);
    assert.equal(resting.status, 'open');
    assert.equal(resting.filled, 0);
    const body = sentOrders(fake)[0]!.body as Record<string, unknown>;
    assert.equal(body.px, '0.2');
    assert.equal(body.ordType, 'limit');

    const found = await venue.fetchOrder(TRX, bid.clientOrderId);
    assert.equal(found?.status, 'open');
    assert.equal(found?.amount, 1.2);
    assert.equal(found?.side, 'buy');

    const cancelled = await venue.cancel(TRX, bid.clientOrderId);
    assert.equal(cancelled.status, 'canceled');
    assert.equal(cancelled.filled, 0);
    assert.equal((await venue.fetchOrder(TRX, bid.clientOrderId))?.status, 'canceled');

    // Filled on the exchange between our decision and our cancel: OKX answers 51402, we answer the fill.
    const late = order('sell', 0.7, { type: 'limit', price: 0.25 });
    await venue.submit(late);
    fake.account.fill({ clOrdId: late.clientOrderId });
    const raced = await venue.cancel(TRX, late.clientOrderId);
    assert.equal(raced.status, 'filled');
    assert.equal(raced.filled, 0.7);
    assert.equal(raced.averagePrice, 0.25);

    assert.equal(await venue.fetchOrder(TRX, 'neverSent1'), undefined);
    await rejectsWith(venue.cancel(TRX, 'neverSent2'), 'HH_ERR_VENUE_ORDER_NOT_FOUND', 'rejected', '51400');
  } finally {
    await close();
  }
});

test('a wrong passphrase or secret is HH_ERR_VENUE_AUTH with OKX’s code, naming the variables and never the keys', async () => {
  for (const [env, exchangeCode] of [
    [{ ...KEYS, HEDGEHOOK_OKX_PASSWORD: 'not-the-passphrase' }, '50105'],
    [{ ...KEYS, HEDGEHOOK_OKX_SECRET: 'not-the-secret' }, '50113'],
  ] as const) {
    const { venue, close } = await okxVenue({}, env);
    try {
      const message = await rejectsWith(venue.start(), 'HH_ERR_VENUE_AUTH', 'rejected', exchangeCode);
      assert.match(message, /HEDGEHOOK_OKX_API_KEY/);
      for (const secret of Object.values(env)) assert.ok(!message.includes(secret), `leaks ${secret}`);
    } finally {
      await close();
    }
  }
});

test('insufficient margin is refused for good (51008) and nothing is placed', async () => {
  const { fake, venue, close } = await okxVenue();
  try {
    await venue.start();
    // 300 contracts = 300 000 TRX ≈ 72 360 USDT at 5x: 14 472 USDT of margin against 10 000.
    await rejectsWith(venue.submit(order('buy', 300)), 'HH_ERR_VENUE_INSUFFICIENT_MARGIN', 'rejected', '51008');
    assert.equal(fake.account.orders.size, 0);
    assert.deepEqual(await venue.positions(), []);
  } finally {
    await close();
  }
});

test('hedge mode: posSide on every order, the reduce of a short is a buy on the short side without reduceOnly', async () => {
  const { fake, venue, close } = await okxVenue({ positionMode: 'hedge', marginMode: 'isolated' });
  try {
    await venue.start();
    assert.equal(fake.account.posMode, 'long_short_mode');
    // Isolated leverage in long/short mode is per side: two settings.
    const leverage = fake.requests.filter((r) => r.path === '/api/v5/account/set-leverage').map((r) => r.body);
    assert.deepEqual(leverage, [
      { lever: 5, mgnMode: 'isolated', instId: 'TRX-USDT-SWAP', posSide: 'long' },
      { lever: 5, mgnMode: 'isolated', instId: 'TRX-USDT-SWAP', posSide: 'short' },
    ]);
    await venue.submit(order('sell', 3));
    const cover = await venue.submit(order('buy', 1, { reduceOnly: true }));
    assert.equal(cover.reduceOnly, true);
    const [open, close1] = sentOrders(fake).map((r) => r.body as Record<string, unknown>);
    assert.equal(open!.posSide, 'short');
    assert.equal(open!.tdMode, 'isolated');
    assert.equal(close1!.posSide, 'short');
    assert.equal(close1!.side, 'buy');
    assert.equal(close1!.reduceOnly, undefined);
    const [position] = await venue.positions();
    assert.equal(position?.size, -2000);
    assert.equal(position?.positionSide, 'short');
  } finally {
    await close();
  }
});

test('faults on submit: 503 and 429 are retryable with nothing placed; a dropped answer or OKX’s 50004 is ambiguous and the order is found by client id', async () => {
  const { fake, venue, close } = await okxVenue();
  try {
    await venue.start();
    fake.faults.add('POST /api/v5/trade/order', OKX_FAULTS.unavailable());
    await rejectsWith(venue.submit(order('sell', 1)), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable', '50001');
    fake.faults.add('POST /api/v5/trade/order', OKX_FAULTS.rateLimited());
    await rejectsWith(venue.submit(order('sell', 1)), 'HH_ERR_VENUE_RATE_LIMITED', 'retryable', '50011');
    assert.equal(fake.account.orders.size, 0);

    const dropped = order('sell', 1);
    fake.faults.add('POST /api/v5/trade/order', { kind: 'drop', applied: true });
    await rejectsWith(venue.submit(dropped), 'HH_ERR_VENUE_UNAVAILABLE', 'ambiguous');
    const found = await venue.fetchOrder(TRX, dropped.clientOrderId);
    assert.equal(found?.status, 'filled');
    assert.equal(found?.filled, 1);

    const timedOut = order('sell', 1);
    fake.faults.add('POST /api/v5/trade/order', OKX_FAULTS.endpointTimeout(true));
    await rejectsWith(venue.submit(timedOut), 'HH_ERR_VENUE_TIMEOUT', 'ambiguous', '50004');
    assert.equal((await venue.fetchOrder(TRX, timedOut.clientOrderId))?.status, 'filled');
    // Sending the same client order id again is refused by OKX, so a blind retry cannot double the hedge.
    await rejectsWith(venue.submit(timedOut), 'HH_ERR_VENUE_REJECTED', 'rejected', '51016');
    assert.equal(fake.account.orders.size, 2);
  } finally {
    await close();
  }
});
