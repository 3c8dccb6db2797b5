/**
 * `fetchKlines` through the real ccxt binanceusdm client against the fake Binance
 * (test/fakes/binance): paging, the range ends, gaps, transient failures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock, systemClock } from '../../src/core/clock.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { createCcxtClient } from '../../src/marketdata/ccxt-client.ts';
import { fetchKlines, type OhlcvClient } from '../../src/marketdata/fetch-klines.ts';
import { formatPriceFile } from '../../src/marketdata/price-file-writer.ts';
import { parsePriceText } from '../../src/marketdata/price-file.ts';
import { BINANCE_ERRORS } from '../fakes/binance/errors.ts';
import { readPriceCsv, type KlineBar } from '../fakes/binance/klines.ts';
import { FakeBinance } from '../fakes/binance/server.ts';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const SAMPLE = 'trxusdt-perp-1m-20230703-20230817.csv';
const MINUTE = 60_000;
const SYMBOL = 'TRX/USDT:USDT';

/** The expected file, written independently of the writer: JS's own number formatting. */
function expectedCsv(bars: readonly KlineBar[]): string {
  const rows = bars.map((b) => [b.openTime, b.open, b.high, b.low, b.close, b.volume].map((v) => String(Number(v))).join(','));
  return ['open_time,open,high,low,close,volume', ...rows, ''].join('\n');
}

async function withFake<T>(options: Parameters<typeof FakeBinance.start>[0], run: (fake: FakeBinance) => Promise<T>): Promise<T> {
  const fake = await FakeBinance.start(options);
  try {
    return await run(fake);
  } finally {
    await fake.close();
  }
}

test('a range of 1234 real minute bars comes back whole in three pages of 500, byte for byte', { skip: sampleDataMissing(SAMPLE) }, async () => {
  const series = readPriceCsv(sampleFile(SAMPLE));
  const from = 2000;
  const wanted = series.slice(from, from + 1234);
  const since = wanted[0]!.openTime;
  const until = wanted[wanted.length - 1]!.openTime + MINUTE;
  await withFake({ klines: { 'TRXUSDT:1m': series } }, async (fake) => {
    const client = createCcxtClient('binanceusdm', { url: fake.url });
    const bars = await fetchKlines(client, { symbol: SYMBOL, timeframe: '1m', intervalMs: MINUTE, since, until, pageSize: 500 }, { clock: systemClock });
    assert.equal(formatPriceFile(bars), expectedCsv(wanted));
    const pages = fake.requestsTo('GET /fapi/v1/klines');
    assert.deepEqual(pages.map((r) => r.params.limit), ['500', '500', '500']);
    // Each page starts one minute after the last bar of the previous one: no overlap, no hole.
    assert.deepEqual(pages.map((r) => Number(r.params.startTime)), [since, since + 500 * MINUTE, since + 1000 * MINUTE]);
    assert.ok(pages.every((r) => Number(r.params.endTime) === until - 1));
    // What the writer wrote reads back as the same bars through the price-file reader.
    assert.deepEqual(parsePriceText(formatPriceFile(bars)), bars);
  });
});

test('a gap in the exchange data stays a gap: nothing is invented around it', { skip: sampleDataMissing(SAMPLE) }, async () => {
  const all = readPriceCsv(sampleFile(SAMPLE)).slice(5000, 5700);
  // 37 minutes missing at the exchange, across a page boundary (the 500th bar).
  const series = [...all.slice(0, 480), ...all.slice(517)];
  await withFake({ klines: { 'TRXUSDT:1m': series } }, async (fake) => {
    const client = createCcxtClient('binanceusdm', { url: fake.url });
    const since = all[0]!.openTime;
    const until = all[all.length - 1]!.openTime + MINUTE;
    const bars = await fetchKlines(client, { symbol: SYMBOL, timeframe: '1m', intervalMs: MINUTE, since, until, pageSize: 500 }, { clock: systemClock });
    assert.equal(formatPriceFile(bars), expectedCsv(series));
    assert.equal(bars[480]!.time - bars[479]!.time, 38 * MINUTE);
  });
});

test('without --until the fetch stops at the last closed bar: the bar still forming is left out', async () => {
  // Thirty seconds into a minute: that minute's bar is not final yet.
  const now = Date.UTC(2026, 0, 5, 12, 0, 30);
  const clock = new ManualClock(now);
  await withFake({ now: () => now }, async (fake) => {
    const client = createCcxtClient('binanceusdm', { url: fake.url });
    const since = Date.UTC(2026, 0, 5, 10, 0);
    const bars = await fetchKlines(client, { symbol: SYMBOL, timeframe: '1m', intervalMs: MINUTE, since, pageSize: 50 }, { clock });
    assert.equal(bars.length, 120);
    assert.equal(bars[0]!.time, since);
    assert.equal(bars[bars.length - 1]!.time, Date.UTC(2026, 0, 5, 11, 59));
    assert.ok(bars.every((b, i) => i === 0 || b.time - bars[i - 1]!.time === MINUTE));
    assert.equal(fake.requestsTo('GET /fapi/v1/klines').length, 3);
  });
});

test('a 5xx or a 429 on one page is waited out and the page asked again; a bad symbol is not retried', async () => {
  const now = Date.UTC(2026, 0, 5, 12, 0, 0);
  await withFake({ now: () => now }, async (fake) => {
    const client = createCcxtClient('binanceusdm', { url: fake.url });
    const since = now - 90 * MINUTE;
    fake.inject('GET /fapi/v1/klines', { kind: 'status', failure: BINANCE_ERRORS.unknown() });
    fake.rateLimit('GET /fapi/v1/klines', 429, 1);
    const pauses: number[] = [];
    const clock = { now: () => now, setTimer: (ms: number, fn: () => void) => (pauses.push(ms), systemClock.setTimer(0, fn)) };
    const bars = await fetchKlines(client, { symbol: SYMBOL, timeframe: '1m', intervalMs: MINUTE, since, pageSize: 500 }, { clock, backoffMs: 100 });
    assert.equal(bars.length, 90);
    assert.deepEqual(pauses, [100, 200]);
    assert.deepEqual(fake.requestsTo('GET /fapi/v1/klines').map((r) => r.status), [500, 429, 200]);

    await assert.rejects(
      fetchKlines(client, { symbol: 'NOPE/USDT:USDT', timeframe: '1m', intervalMs: MINUTE, since, pageSize: 500 }, { clock }),
      (err: unknown) => isHedgehookError(err) && err.code === 'HH_ERR_USAGE' && /binanceusdm/.test(err.message),
    );
  });
});

test('pages that overlap are merged: each bar once, as first received', async () => {
  // Some exchanges answer a page with bars from before `since`; this one repeats the last two.
  const bar = (t: number, close: number) => [t, 1, 2, 0.5, close, 10];
  const pages = [
    [bar(0, 1), bar(1, 1), bar(2, 1), bar(3, 1)],
    [bar(2, 1), bar(3, 9), bar(4, 1), bar(5, 1)],
    [bar(4, 1), bar(5, 1)],
  ];
  const asked: number[] = [];
  const client: OhlcvClient = {
    id: 'scripted',
    fetchOHLCV: async (_s, _tf, since) => {
      asked.push(since!);
      return (pages.shift() ?? []).map((b) => b.map((v, i) => (i === 0 ? (v as number) * MINUTE : v)));
    },
  };
  const bars = await fetchKlines(client, { symbol: SYMBOL, timeframe: '1m', intervalMs: MINUTE, since: 0, until: 6 * MINUTE, pageSize: 4 }, { clock: new ManualClock(1e12) });
  assert.deepEqual(bars.map((b) => b.time / MINUTE), [0, 1, 2, 3, 4, 5]);
  assert.equal(bars[3]!.close, 1);
  assert.deepEqual(asked.map((t) => t / MINUTE), [0, 4]);
});
