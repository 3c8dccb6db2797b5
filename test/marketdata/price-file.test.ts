import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHedgehookError } from '../../src/core/errors.ts';
import {
  epochMs, parseFundingText, parsePriceSeries, parsePriceText, PriceFileError, readFundingFile, readPriceFile,
} from '../../src/marketdata/price-file.ts';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const PERP_1M = 'trxusdt-perp-1m-20230703-20230817.csv';
const PERP_1H = 'trxusdt-perp-1h-20250501-20251231.csv';
const FUNDING_2023 = 'trxusdt-perp-funding-20230704-20230817.csv';

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PriceFileError, `expected a PriceFileError, got ${String(err)}`);
    assert.equal(err.code, 'HH_ERR_PRICE_FILE_INVALID');
    assert.equal(err.retryable, false);
    return err.problems;
  }
  assert.fail('expected the text to be rejected');
}

test('reads the sample 1-minute perpetual file: every bar, sorted, first and last as in the file', { skip: sampleDataMissing(PERP_1M) }, async () => {
  const bars = await readPriceFile(sampleFile(PERP_1M));
  assert.equal(bars.length, 64066);
  assert.deepEqual(bars[0], { time: 1688426880000, open: 0.07718, high: 0.07718, low: 0.07718, close: 0.07718, volume: 1959 });
  assert.deepEqual(bars.at(-1), { time: 1692270780000, open: 0.07486, high: 0.07486, low: 0.07484, close: 0.07485, volume: 370172 });
  for (let i = 1; i < bars.length; i++) assert.equal(bars[i]!.time - bars[i - 1]!.time, 60_000, `gap at bar ${i}`);
});

test('reads the sample hourly file as the ohlcv format', { skip: sampleDataMissing(PERP_1H) }, async () => {
  const { readFile } = await import('node:fs/promises');
  const series = parsePriceSeries(await readFile(sampleFile(PERP_1H), 'utf8'));
  assert.equal(series.format, 'ohlcv');
  assert.equal(series.bars.length, 5880);
  assert.equal(series.bars[0]!.time, Date.UTC(2025, 4, 1));
  assert.equal(series.bars.at(-1)!.time, Date.UTC(2025, 11, 31, 23));
});

test('reads the sample funding file, flooring the jittered timestamps to the second', { skip: sampleDataMissing(FUNDING_2023) }, async () => {
  const rates = await readFundingFile(sampleFile(FUNDING_2023));
  assert.equal(rates.length, 133);
  // The file's first settlement is stamped 1688428800001.
  assert.deepEqual(rates[0], { time: 1688428800000, rate: 0.00002614 });
  for (const r of rates) assert.equal(r.time % 1000, 0);
  for (let i = 1; i < rates.length; i++) assert.equal(rates[i]!.time - rates[i - 1]!.time, 8 * 3600_000);
});

const KLINE_HEADER = 'open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore';
const kline = (t: number, o: number, h: number, l: number, c: number, closeT = t + 59_999) =>
  `${t},${o},${h},${l},${c},1000.5,${closeT},240.1,12,500,120.0,0`;

test('detects Binance 12-column klines with a header', () => {
  const text = `${KLINE_HEADER}\n${kline(1700000000000, 0.1, 0.11, 0.09, 0.105)}\n${kline(1700000060000, 0.105, 0.106, 0.1, 0.101)}\n`;
  const series = parsePriceSeries(text);
  assert.equal(series.format, 'binance-klines');
  assert.deepEqual(series.bars, [
    { time: 1700000000000, open: 0.1, high: 0.11, low: 0.09, close: 0.105, volume: 1000.5 },
    { time: 1700000060000, open: 0.105, high: 0.106, low: 0.1, close: 0.101, volume: 1000.5 },
  ]);
});

test('detects headerless Binance klines, and microsecond times (newer dumps) row by row', () => {
  const us = 1735689600000000; // 2025-01-01 in µs
  const text = [
    kline(1735689540000, 0.2, 0.21, 0.19, 0.2), // the last ms row of an older dump
    kline(us, 0.2, 0.22, 0.2, 0.21, us + 59_999_999),
  ].join('\r\n');
  const series = parsePriceSeries(text);
  assert.equal(series.format, 'binance-klines');
  assert.deepEqual(series.bars.map((b) => b.time), [1735689540000, 1735689600000]);
});

test('headerless six columns read as the ohlcv format', () => {
  const series = parsePriceSeries('1700000000000,1,2,0.5,1.5,10\n');
  assert.equal(series.format, 'ohlcv');
  assert.deepEqual(series.bars, [{ time: 1700000000000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 }]);
});

test('sorts bars and drops a row repeated verbatim (overlapping downloads)', () => {
  const text = [
    'open_time,open,high,low,close,volume',
    '1700000120000,3,3,3,3,1',
    '1700000000000,1,1,1,1,1',
    '1700000060000,2,2,2,2,1',
    '1700000000000,1,1,1,1,1',
    '',
  ].join('\n');
  assert.deepEqual(parsePriceText(text).map((b) => b.close), [1, 2, 3]);
});

test('one line per bad row, file:line: reason', () => {
  const text = [
    'open_time,open,high,low,close,volume', // 1
    '1700000000000,1,1,1,1,1', //              2 fine
    '1700000060000,1,1,1', //                  3 too few columns
    '1700000120000,abc,1,1,1,1', //            4 not a number
    '1700000180000,1,0.5,0.9,1,1', //          5 high below open
    '1700000240,1,1,1,1,1', //                 6 seconds, not ms
    '1700000300000,0,1,0,1,1', //              7 zero price
    '1700000360000,1,1,1,1,-5', //             8 negative volume
    '', //                                     9 blank: ignored
    '1700000000000,2,2,2,2,1', //             10 conflicts with line 2
  ].join('\n');
  const problems = problemsOf(() => parsePriceText(text, 'prices.csv'));
  assert.deepEqual(problems, [
    'prices.csv:3: expected 6 columns (ohlcv), found 4',
    'prices.csv:4: open is not a number: "abc"',
    'prices.csv:5: inconsistent bar: high 0.5 and low 0.9 must bound open 1 and close 1',
    'prices.csv:6: open_time 1700000240 is neither epoch milliseconds nor microseconds',
    'prices.csv:7: prices must be positive: open 0, high 1, low 0, close 1',
    'prices.csv:8: volume must not be negative: -5',
    'prices.csv:10: a different bar at 1700000000000 conflicts with line 2',
  ]);
});

test('rejects an unknown header, an empty file and a header without bars', () => {
  assert.deepEqual(problemsOf(() => parsePriceText('time,price\n1,2\n', 'x.csv')), [
    'x.csv:1: unrecognised header "time,price": expected open_time,open,high,low,close,volume or Binance\'s 12 kline columns',
  ]);
  assert.deepEqual(problemsOf(() => parsePriceText('\n\n', 'x.csv')), ['x.csv: empty file, no bars']);
  assert.deepEqual(problemsOf(() => parsePriceText('open_time,open,high,low,close,volume\n', 'x.csv')), ['x.csv: no bars after the header']);
  assert.deepEqual(problemsOf(() => parsePriceText(`${KLINE_HEADER}\n${kline(1700000000000, 1, 1, 1, 1, 1600000000000)}`, 'k.csv')), [
    'k.csv:2: close_time 1600000000000 is before open_time 1700000000000',
  ]);
});

test('the error message shows at most 20 lines and says how many more', () => {
  const rows = Array.from({ length: 25 }, (_, i) => `${1700000000000 + i * 60_000},x,1,1,1,1`);
  try {
    parsePriceText(`open_time,open,high,low,close,volume\n${rows.join('\n')}`, 'bad.csv');
    assert.fail('expected a rejection');
  } catch (err) {
    assert.ok(err instanceof PriceFileError);
    assert.equal(err.problems.length, 25);
    const lines = err.message.split('\n');
    assert.equal(lines.length, 21);
    assert.equal(lines[0], 'bad.csv:2: open is not a number: "x"');
    assert.equal(lines[20], '… and 5 more bad rows');
  }
});

test('funding: own format and Binance fundingRate dumps; bad rows reported', () => {
  assert.deepEqual(parseFundingText('funding_time,funding_rate\n1688457600000,0.0001\n1688428800001,2.614e-05\n'), [
    { time: 1688428800000, rate: 0.00002614 },
    { time: 1688457600000, rate: 0.0001 },
  ]);
  assert.deepEqual(parseFundingText('calc_time,funding_interval_hours,last_funding_rate\n1746057600000,8,-0.00002653\n'), [
    { time: 1746057600000, rate: -0.00002653 },
  ]);
  assert.deepEqual(problemsOf(() => parseFundingText('funding_time,funding_rate\n1688457600000,1.5\n1688457600000\n1688486400000,0.0001\n1688486400000,0.0002\n', 'f.csv')), [
    'f.csv:2: funding_rate 1.5 is not a fraction per period (0.0001 = 0.01%)',
    'f.csv:3: expected 2 columns, found 1',
    'f.csv:5: a different funding rate at 1688486400000 conflicts with line 4',
  ]);
});

test('a missing file is HH_ERR_FILE_NOT_FOUND in one line; a bad file names its path', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-prices-'));
  try {
    await assert.rejects(readPriceFile(join(dir, 'nope.csv')), (err: unknown) =>
      isHedgehookError(err) && err.code === 'HH_ERR_FILE_NOT_FOUND' && !err.message.includes('\n'));
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'open_time,open,high,low,close,volume\n1700000000000,1,1,1\n');
    await assert.rejects(readPriceFile(bad), (err: unknown) =>
      err instanceof PriceFileError && err.message === `${bad}:2: expected 6 columns (ohlcv), found 4`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('epochMs tells milliseconds from microseconds and refuses seconds', () => {
  assert.equal(epochMs(1700000000000), 1700000000000);
  assert.equal(epochMs(1700000000000123), 1700000000000);
  assert.equal(epochMs(1700000000), undefined);
  assert.equal(epochMs(1.5e12 + 0.5), undefined);
});
