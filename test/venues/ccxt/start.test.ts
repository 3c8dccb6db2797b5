import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isHedgehookError } from '../../../src/core/errors.ts';
import { VenueError } from '../../../src/core/venue.ts';
import { FAKE_SECRET, FakeBinance } from '../../fakes/binance/server.ts';
import { cid, fakeVenue, KEYS_ENV, venueOn } from './fake-venue.ts';

test('start reads the instrument spec from exchangeInfo, exactly', async () => {
  const { venue, close } = await fakeVenue({ settings: { symbols: ['TRX/USDT:USDT', 'BTC/USDT:USDT'] } });
  try {
    assert.deepEqual(venue.instrument('TRX/USDT:USDT'), {
      symbol: 'TRX/USDT:USDT',
      tickSize: '0.00001',
      stepSize: '1',
      minNotional: '5',
      contractSize: '1',
      minNotionalExemptReduceOnly: true,
    });
    assert.deepEqual(venue.instrument('BTC/USDT:USDT'), {
      symbol: 'BTC/USDT:USDT',
      tickSize: '0.1',
      stepSize: '0.001',
      minNotional: '100',
      contractSize: '1',
      minNotionalExemptReduceOnly: true,
    });
    assert.equal(venue.instrument('ETH/USDT:USDT'), undefined);
    assert.deepEqual(venue.fees('TRX/USDT:USDT'), { taker: 0.0005, maker: 0.0002 });
    assert.equal(venue.kind, 'binanceusdm');
  } finally {
    await close();
  }
});

test('start applies leverage, margin mode and hedge mode, and accepts them already set', async () => {
  const settings = { leverage: 7, marginMode: 'isolated' as const, positionMode: 'hedge' as const };
  const { fake, venue, close } = await fakeVenue({ settings });
  try {
    assert.equal(fake.account.leverage('TRXUSDT'), 7);
    assert.equal(fake.account.marginType('TRXUSDT'), 'ISOLATED');
    assert.equal(fake.account.dualSidePosition, true);
    assert.equal(fake.requestsTo('POST /fapi/v1/positionSide/dual')[0]?.params.dualSidePosition, 'true');
    // A restart finds everything in place: Binance answers -4046 for the margin type, and the
    // position mode is read first so it is not set again.
    const again = venueOn(fake, settings);
    await again.start();
    assert.equal(fake.requestsTo('POST /fapi/v1/positionSide/dual').length, 1);
    assert.equal(fake.requestsTo('POST /fapi/v1/marginType').length, 2);
    await again.close();
  } finally {
    await close();
  }
});

test('without a configured position mode the account mode is read and followed', async () => {
  const { fake, venue, close } = await fakeVenue({ fake: { dualSidePosition: true } });
  try {
    assert.equal(fake.requestsTo('POST /fapi/v1/positionSide/dual').length, 0);
    const order = await venue.submit({ clientOrderId: 'follow1', symbol: 'TRX/USDT:USDT', side: 'buy', amount: 100, type: 'market', reduceOnly: false });
    assert.equal(order.status, 'filled');
    assert.equal(fake.requestsTo('POST /fapi/v1/order')[0]?.params.positionSide, 'LONG');
  } finally {
    await close();
  }
});

test("a wrong secret gets Binance's -1022 and becomes HH_ERR_VENUE_AUTH with one clear line", async () => {
  const fake = await FakeBinance.start();
  const venue = venueOn(fake, {}, { ...KEYS_ENV, HEDGEHOOK_BINANCE_SECRET: 'not-the-secret-0123456789' });
  try {
    const err = await venue.start().then(
      () => assert.fail('start should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof VenueError);
    assert.equal(err.code, 'HH_ERR_VENUE_AUTH');
    assert.equal(err.errorClass, 'rejected');
    assert.equal(err.retryable, false);
    assert.equal(err.exchangeCode, '-1022');
    assert.equal(
      err.message,
      'binance: the exchange refused the request signature: check the API secret (binanceusdm -1022: Signature for this request is not valid.); keys from HEDGEHOOK_BINANCE_API_KEY / HEDGEHOOK_BINANCE_SECRET',
    );
    assert.doesNotMatch(err.message, /\n/);
    assert.ok(!err.message.includes('not-the-secret') && !err.message.includes(FAKE_SECRET));
    // The signature was really checked: the request reached the signed endpoint and was refused.
    assert.equal(fake.requests.at(-1)?.status, 400);
  } finally {
    await venue.close();
    await fake.close();
  }
});

test('an unknown API key gets -2015, also HH_ERR_VENUE_AUTH', async () => {
  const fake = await FakeBinance.start();
  const venue = venueOn(fake, {}, { ...KEYS_ENV, HEDGEHOOK_BINANCE_API_KEY: 'someone-else' });
  try {
    await assert.rejects(venue.start(), (e: unknown) => e instanceof VenueError && e.code === 'HH_ERR_VENUE_AUTH' && e.exchangeCode === '-2015');
  } finally {
    await venue.close();
    await fake.close();
  }
});

test('a clock outside the recvWindow gets -1021 and a hint to check the clock', async () => {
  const fake = await FakeBinance.start();
  fake.setClockOffset(60_000); // the exchange is a minute ahead of us
  const venue = venueOn(fake);
  try {
    await assert.rejects(
      venue.start(),
      (e: unknown) => e instanceof VenueError && e.exchangeCode === '-1021' && e.errorClass === 'rejected' && /system clock/.test(e.message),
    );
  } finally {
    await venue.close();
    await fake.close();
  }
});

test('missing keys or an unknown exchange are configuration errors naming what to fix', () => {
  assert.throws(
    () => venueOn({ url: 'http://127.0.0.1:9' } as FakeBinance, {}, {}),
    (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_CONFIG_INVALID' && /HEDGEHOOK_BINANCE_API_KEY and HEDGEHOOK_BINANCE_SECRET/.test(e.message),
  );
  assert.throws(
    () => venueOn({ url: 'http://127.0.0.1:9' } as FakeBinance, { exchange: 'nosuchexchange' }),
    (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_CONFIG_INVALID' && /ccxt has no exchange "nosuchexchange"/.test(e.message),
  );
});

test('a symbol the exchange does not list fails start', async () => {
  const { venue, close } = await fakeVenue({ settings: { symbols: ['DOGE/USDT:USDT'] }, start: false });
  try {
    await assert.rejects(venue.start(), /binance: binanceusdm lists no market DOGE\/USDT:USDT/);
  } finally {
    await close();
  }
});

test('a start that failed can be tried again on the same venue: the markets are loaded afresh', async () => {
  const { fake, venue, close } = await fakeVenue({ start: false });
  try {
    fake.inject('GET /fapi/v1/exchangeInfo', { kind: 'drop', applied: false });
    await assert.rejects(venue.start(), (err: unknown) => err instanceof VenueError && err.retryable);
    await assert.rejects(venue.submit({ clientOrderId: cid(), symbol: 'TRX/USDT:USDT', side: 'sell', amount: 100, type: 'market', reduceOnly: false }), (err: unknown) => err instanceof VenueError && err.code === 'HH_ERR_VENUE_UNAVAILABLE');
    await venue.start();
    assert.equal(venue.instrument('TRX/USDT:USDT')?.stepSize, '1');
  } finally {
    await close();
  }
});
