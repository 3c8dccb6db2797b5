import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import type { Bar, Ticker } from '../../src/core/market.ts';
import { seededRandom } from '../../src/core/random.ts';
import { createReplayFeed, openReplayFeed } from '../../src/marketdata/replay.ts';
import { createSimulatedFeed } from '../../src/marketdata/simulated.ts';
import { createStaticFeed } from '../../src/marketdata/static.ts';
import { sampleDataMissing, sampleFile } from '../support/env.ts';

const TRX = 'TRX/USDT:USDT';
const T0 = Date.UTC(2026, 0, 1);

function collect(feed: { onTicker(l: (t: Ticker) => void): () => void }): Ticker[] {
  const seen: Ticker[] = [];
  feed.onTicker((t) => seen.push(t));
  return seen;
}

test('simulated: labelled as simulated, starts at 0.24 for TRX, one price per interval on the clock', async () => {
  const clock = new ManualClock(T0);
  const feed = createSimulatedFeed({ intervalMs: 1000 }, { clock, random: seededRandom(1) });
  assert.equal(feed.kind, 'simulated');
  assert.match(feed.description, /SIMULATED/);
  assert.match(feed.description, /35% annualised/);
  const seen = collect(feed);
  await feed.start([TRX]);
  assert.deepEqual(seen, [{ symbol: TRX, time: T0, last: 0.24 }]);
  clock.advance(2999);
  assert.deepEqual(seen.map((t) => t.time), [T0, T0 + 1000, T0 + 2000]);
  for (const t of seen) assert.equal(Number(t.last.toFixed(5)), t.last, `on the tick grid: ${t.last}`);
  assert.notEqual(seen[1]!.last, seen[2]!.last);
  assert.equal(feed.lastPrice(TRX), seen.at(-1)!.last);
  await feed.close();
  clock.advance(10_000);
  assert.equal(seen.length, 3);
  assert.equal(clock.pendingTimers(), 0);
});

test('simulated: the realised volatility of the walk is the configured one (hourly steps, fixed seed)', async () => {
  const clock = new ManualClock(T0);
  const feed = createSimulatedFeed({ intervalMs: 3600_000 }, { clock, random: seededRandom(11) });
  const seen = collect(feed);
  await feed.start([TRX]);
  clock.advance(3000 * 3600_000);
  const returns = seen.slice(1).map((t, i) => Math.log(t.last / seen[i]!.last));
  const mean = returns.reduce((a, b) => a + b, 0) / returns.length;
  const variance = returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (returns.length - 1);
  const annualised = Math.sqrt(variance * 24 * 365);
  // Standard error of the estimate with 3 000 returns is about 1.3% of 35%.
  assert.ok(annualised > 0.33 && annualised < 0.37, `annualised volatility ${annualised}`);
});

test('simulated: same seed, same prices; another seed, other prices; unknown symbol needs a start price', async () => {
  const run = async (seed: number) => {
    const clock = new ManualClock(T0);
    const feed = createSimulatedFeed({ startPrices: { 'BTC/USDT:USDT': 90000 }, tickSizes: { 'BTC/USDT:USDT': '0.1' } }, { clock, random: seededRandom(seed) });
    const seen = collect(feed);
    await feed.start([TRX, 'BTC/USDT:USDT']);
    clock.advance(20_000);
    return seen;
  };
  const a = await run(5);
  assert.equal(a.length, 42);
  assert.deepEqual(a, await run(5));
  assert.notDeepEqual(a, await run(6));
  const feed = createSimulatedFeed({}, { clock: new ManualClock(), random: seededRandom(1) });
  await assert.rejects(feed.start(['DOGE/USDT:USDT']), /no start price for DOGE\/USDT:USDT/);
});

const BARS: Bar[] = [
  { time: T0, open: 1, high: 1.5, low: 0.8, close: 1.2, volume: 10 }, // up bar
  { time: T0 + 60_000, open: 1.2, high: 1.3, low: 0.9, close: 1.0, volume: 10 }, // down bar
  { time: T0 + 120_000, open: 1.0, high: 1.1, low: 0.95, close: 1.05, volume: 10 },
];

test('replay, stepped: each close at the end of its bar, data time, never ahead', () => {
  const feed = createReplayFeed({ bars: BARS, speed: 0, source: 'bars.csv' }, { clock: new ManualClock() });
  assert.equal(feed.kind, 'replay');
  assert.equal(feed.description, 'replay of bars.csv (3 bars, close), stepped by the caller');
  assert.equal(feed.nextTime(), T0 + 60_000);
  assert.equal(feed.advanceTo(T0 + 59_999), 0);
  assert.equal(feed.lastPrice(TRX), undefined);
  assert.equal(feed.advanceTo(T0 + 120_000), 2);
  assert.deepEqual(feed.ticker(TRX), { symbol: TRX, time: T0 + 120_000, last: 1.0 });
  assert.deepEqual(feed.step(), { symbol: TRX, time: T0 + 180_000, last: 1.05 });
  assert.equal(feed.step(), undefined);
  assert.equal(feed.done, true);
});

test('replay, ohlc path: up bar O→L→H→C, down bar O→H→L→C, at +0, ⅓, ⅔ and the end of the bar', () => {
  const feed = createReplayFeed({ bars: BARS.slice(0, 2), speed: Infinity, path: 'ohlc' }, { clock: new ManualClock() });
  const seen = collect(feed);
  while (feed.step());
  assert.deepEqual(seen.map((t) => [t.time - T0, t.last]), [
    [0, 1], [20_000, 0.8], [40_000, 1.5], [60_000, 1.2],
    [60_000, 1.2], [80_000, 1.3], [100_000, 0.9], [120_000, 1.0],
  ]);
});

test('replay, clocked at 60x: one bar per second of the clock, stamped with the clock; stops at the end or loops', async () => {
  const clock = new ManualClock(T0 + 999_000_000);
  const feed = createReplayFeed({ bars: BARS, speed: 60, source: 'bars.csv' }, { clock });
  assert.equal(feed.description, 'replay of bars.csv (3 bars, close) at 60x');
  const seen = collect(feed);
  await feed.start([TRX]);
  assert.deepEqual(seen.map((t) => t.last), [1.2]);
  assert.equal(seen[0]!.time, clock.now());
  clock.advance(999);
  assert.equal(seen.length, 1);
  clock.advance(1);
  assert.deepEqual(seen.map((t) => t.last), [1.2, 1.0]);
  clock.advance(5000);
  assert.deepEqual(seen.map((t) => t.last), [1.2, 1.0, 1.05]);
  assert.equal(clock.pendingTimers(), 0);
  assert.throws(() => feed.step(), /stepped replay/);

  const loopClock = new ManualClock(0);
  const looping = createReplayFeed({ bars: BARS, speed: 60, loop: true }, { clock: loopClock });
  const again = collect(looping);
  await looping.start([TRX]);
  loopClock.advance(5000);
  assert.deepEqual(again.map((t) => [t.time, t.last]), [[0, 1.2], [1000, 1.0], [2000, 1.05], [3000, 1.2], [4000, 1.0], [5000, 1.05]]);
  await looping.close();
  assert.equal(loopClock.pendingTimers(), 0);
});

test('replay of a sample file, stepped as the backtest does', { skip: sampleDataMissing('trxusdt-perp-1h-20250501-20251231.csv') }, async () => {
  const feed = await openReplayFeed({ file: sampleFile('trxusdt-perp-1h-20250501-20251231.csv'), speed: 0 }, { clock: new ManualClock() });
  assert.match(feed.description, /^replay of trxusdt-perp-1h-20250501-20251231\.csv \(5880 bars, close\)/);
  // The first close (0.24706) becomes known at the end of the first hour.
  assert.equal(feed.advanceTo(Date.UTC(2025, 4, 1, 1)), 1);
  assert.equal(feed.lastPrice(TRX), 0.24706);
  assert.equal(feed.advanceTo(Date.UTC(2026, 0, 1)), 5879);
  assert.equal(feed.lastPrice(TRX), 0.28436);
});

test('static: prices known at once, set publishes to listeners; a throwing listener does not silence the others', () => {
  const clock = new ManualClock(T0);
  const feed = createStaticFeed({ [TRX]: 0.24 }, { clock });
  assert.equal(feed.kind, 'static');
  assert.equal(feed.lastPrice(TRX), 0.24);
  const seen: number[] = [];
  feed.onTicker(() => {
    throw new Error('listener bug');
  });
  const off = feed.onTicker((t) => seen.push(t.last));
  clock.advance(5);
  assert.throws(() => feed.set(TRX, 0.25, { bid: 0.2499, ask: 0.2501 }), /listener bug/);
  assert.deepEqual(seen, [0.25]);
  assert.deepEqual(feed.ticker(TRX), { symbol: TRX, time: T0 + 5, last: 0.25, bid: 0.2499, ask: 0.2501 });
  off();
  try {
    feed.set(TRX, 0.26);
  } catch {
    // the first listener still throws
  }
  assert.deepEqual(seen, [0.25]);
});

test('offline market-data settings: defaults, one line per mistake, and the feed they open', async () => {
  const { offlineMarketDataSchema, openOfflineMarketData } = await import('../../src/marketdata/offline.ts');
  const simulated = offlineMarketDataSchema.parse({ kind: 'simulated', seed: 9 });
  assert.deepEqual(simulated, { kind: 'simulated', volatility: 0.35, drift: 0, intervalMs: 1000, seed: 9 });
  const bad = offlineMarketDataSchema.safeParse({ kind: 'replay', speed: -1 });
  assert.deepEqual(bad.error?.issues.map((i) => i.path.join('.')).sort(), ['file', 'speed']);
  const clock = new ManualClock(T0);
  const a = await openOfflineMarketData(simulated, { clock, random: () => 0.5 });
  const b = await openOfflineMarketData(simulated, { clock, random: () => 0.1 });
  assert.equal(a.kind, 'simulated');
  await a.start([TRX]);
  await b.start([TRX]);
  clock.advance(10_000);
  assert.equal(a.lastPrice(TRX), b.lastPrice(TRX), 'the seed wins over the random source');
  await assert.rejects(openOfflineMarketData(offlineMarketDataSchema.parse({ kind: 'replay', file: '/nonexistent/p.csv' }), { clock, random: Math.random }),
    (err: { code?: string }) => err.code === 'HH_ERR_FILE_NOT_FOUND');
});
