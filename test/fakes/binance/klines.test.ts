import { test } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { sampleDataMissing, sampleFile } from '../../support/env.ts';
import { BinanceReject } from './errors.ts';
import { readPriceCsv, selectKlines } from './klines.ts';
import { fapiUrls, FakeBinance } from './server.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

test('generated klines page like Binance: startTime onward, endTime backward, limit 1..1500', () => {
  const now = T0 + 10_000 * MIN;
  const fromStart = selectKlines({ interval: '1m', startTime: String(T0 + 30 * 1000), limit: '3' }, now, T0);
  assert.deepEqual(
    fromStart.map((b) => b.openTime),
    [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN], // the first bar opening at or after startTime
  );
  const toEnd = selectKlines({ interval: '1m', endTime: String(T0 + 100 * MIN), limit: '2' }, now, T0);
  assert.deepEqual(
    toEnd.map((b) => b.openTime),
    [T0 + 99 * MIN, T0 + 100 * MIN],
  );
  assert.equal(selectKlines({ interval: '1h' }, now, T0).length, 167); // hours 0..166 so far, under the default 500
  assert.deepEqual(selectKlines({ interval: '1m', startTime: String(T0), limit: '2' }, now, T0), selectKlines({ interval: '1m', startTime: String(T0), limit: '2' }, now, T0));
  assert.throws(() => selectKlines({ interval: '1m', limit: '1501' }, now, T0), (e: unknown) => e instanceof BinanceReject && e.failure.code === -1130);
  assert.throws(() => selectKlines({ interval: '7m' }, now, T0), (e: unknown) => e instanceof BinanceReject && e.failure.code === -1130);
  assert.throws(() => selectKlines({}, now, T0), (e: unknown) => e instanceof BinanceReject && e.failure.code === -1102);
});

const SAMPLE = 'trxusdt-perp-1m-20230703-20230817.csv';

test('ccxt fetchOHLCV pages through sample bars served by the fake', { skip: sampleDataMissing(SAMPLE) }, async () => {
  const bars = readPriceCsv(sampleFile(SAMPLE));
  const fake = await FakeBinance.start({ klines: { 'TRXUSDT:1m': bars } });
  const exchange = new ccxt.binanceusdm({ enableRateLimit: true, options: { fetchCurrencies: false } });
  exchange.urls = { ...exchange.urls, api: { ...(exchange.urls.api as Record<string, string>), ...fapiUrls(fake.url) } } as typeof exchange.urls;
  try {
    const since = bars[0]!.openTime;
    const first = await exchange.fetchOHLCV('TRX/USDT:USDT', '1m', since, 1000); // ccxt asks at most 1000 bars per page
    const second = await exchange.fetchOHLCV('TRX/USDT:USDT', '1m', first.at(-1)![0]! + MIN, 1000);
    assert.equal(first.length, 1000);
    assert.equal(second.length, 1000);
    assert.equal(second[0]![0], first.at(-1)![0]! + MIN); // contiguous pages
    assert.deepEqual(first[0], [since, Number(bars[0]!.open), Number(bars[0]!.high), Number(bars[0]!.low), Number(bars[0]!.close), Number(bars[0]!.volume)]);
    assert.equal(fake.requestsTo('GET /fapi/v1/klines')[0]?.params.startTime, String(since));
  } finally {
    await fake.close();
  }
});
