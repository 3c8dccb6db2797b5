import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalPriceVolatility } from '../../src/model/signal-volatility.ts';
import { annualisedVolatility, ewmaUpdate, EWMA_INITIAL } from '../../src/model/volatility.ts';

const SETTINGS = { lambda: 0.94, barIntervalMs: 60_000, minReturns: 2 };
const BARS_PER_YEAR = 525_600; // 365 × 24 × 60 one-minute bars

test('a return over k bars enters as r² / k, still one EWMA step', () => {
  const s1 = ewmaUpdate(EWMA_INITIAL, 100, SETTINGS);
  const r = Math.log(103 / 100);
  assert.equal(ewmaUpdate(s1, 103, SETTINGS, 3).variance, (r * r) / 3);
  assert.equal(ewmaUpdate(s1, 103, SETTINGS, 3).returns, 1);
  assert.equal(ewmaUpdate(s1, 103, SETTINGS).variance, r * r);
  assert.throws(() => ewmaUpdate(s1, 103, SETTINGS, 0.5), /bars/);
});

test('prices are put on the bar grid: last price of a bar is its close, gaps scale, late prices are ignored', () => {
  const v = new SignalPriceVolatility(SETTINGS);
  v.observe('TRX', 100, 0);
  v.observe('TRX', 101, 30_000); // same bar: replaces the close
  assert.equal(v.lastPrice('TRX'), 101);
  v.observe('TRX', 102, 60_000); // bar 1: bar 0 closes at 101
  assert.equal(v.estimate('TRX'), undefined, 'one return (provisional) is below minReturns = 2');
  v.observe('TRX', 99, 240_000); // bar 4: bar 1 closes at 102; the pending bar is 3 bars later
  v.observe('TRX', 150, 120_000); // bar 2 < 4: late, ignored
  assert.equal(v.lastPrice('TRX'), 99);
  // By hand: r1 = ln(102/101) over 1 bar; r2 = ln(99/102) over 3 bars → r2²/3 per bar.
  // Warm-up (n < minReturns) is the equal-weight mean: v = (r1² + r2²/3) / 2.
  const r1 = Math.log(102 / 101);
  const r2 = Math.log(99 / 102);
  const variance = (r1 * r1 * 1 + (r2 * r2) / 3) / 2;
  assert.ok(Math.abs(v.estimate('TRX')! - Math.sqrt(variance * BARS_PER_YEAR)) < 1e-12);
  assert.equal(v.estimate('BTC'), undefined);
  assert.deepEqual(v.lastPrices(), { TRX: 99 });
});

test('one price per bar gives exactly the EWMA of that series', () => {
  const prices = [0.24, 0.2412, 0.2405, 0.2431, 0.2428, 0.2419, 0.2440, 0.2436, 0.2450, 0.2447, 0.2461, 0.2455];
  const v = new SignalPriceVolatility();
  prices.forEach((p, i) => v.observe('TRX', p, i * 60_000 + 5_000));
  assert.equal(v.estimate('TRX'), annualisedVolatility(prices));
  assert.ok(v.estimate('TRX')! > 0);
});

test('non-positive and non-finite prices are ignored', () => {
  const v = new SignalPriceVolatility(SETTINGS);
  v.observe('TRX', 0, 0);
  v.observe('TRX', Number.NaN, 0);
  v.observe('TRX', 1, Number.NaN);
  assert.equal(v.lastPrice('TRX'), undefined);
});
