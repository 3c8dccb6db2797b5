/**
 * The live ticker feed through the real ccxt binanceusdm client against the fake Binance
 * (test/fakes/binance), its polling driven by a ManualClock: no real waiting.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import type { Ticker } from '../../src/core/market.ts';
import { createCcxtClient } from '../../src/marketdata/ccxt-client.ts';
import { CcxtTickerFeed, createCcxtTickerFeed, type CcxtTickerFeedOptions, type TickerFeedStatus } from '../../src/marketdata/ccxt-tickers.ts';
import { BINANCE_ERRORS } from '../fakes/binance/errors.ts';
import { FakeBinance } from '../fakes/binance/server.ts';

const TRX = 'TRX/USDT:USDT';
const BTC = 'BTC/USDT:USDT';

async function setup(options: CcxtTickerFeedOptions = {}) {
  const fake = await FakeBinance.start();
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const statuses: TickerFeedStatus[] = [];
  const feed = createCcxtTickerFeed('binanceusdm', clock, {
    url: fake.url,
    pollMs: 1000,
    maxBackoffMs: 4000,
    staleAfterMs: 2500,
    maxAgeMs: 6000,
    onStatus: (s) => statuses.push(s),
    ...options,
  });
  const polls = () => fake.requestsTo('GET /fapi/v1/ticker/24hr').length;
  /** Moves the clock and lets the poll it started finish. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await feed.settled();
  };
  return { fake, clock, feed, statuses, polls, advance, close: async () => (await feed.close(), await fake.close()) };
}

test('start polls once, then every pollMs of the clock; listeners hear each new price, lastPrice answers at once', async () => {
  const { fake, clock, feed, polls, advance, close } = await setup();
  try {
    assert.equal(feed.kind, 'live');
    assert.match(feed.description, /binanceusdm tickers/);
    assert.equal(feed.lastPrice(TRX), undefined);
    await feed.start([TRX]);
    assert.equal(polls(), 1);
    assert.equal(feed.lastPrice(TRX), 0.2412);
    assert.equal(feed.ticker(TRX)?.symbol, TRX);
    assert.deepEqual(feed.status(), { state: 'live', consecutiveFailures: 0, lastSuccessAt: clock.now(), ageMs: 0, nextPollAt: clock.now() + 1000 });

    const heard: Ticker[] = [];
    const unsubscribe = feed.onTicker((t) => heard.push(t));
    fake.setPrice('TRXUSDT', '0.25000');
    await advance(999);
    assert.equal(polls(), 1, 'not before pollMs');
    await advance(1);
    assert.equal(polls(), 2);
    assert.equal(feed.lastPrice(TRX), 0.25);
    assert.equal(heard.at(-1)?.last, 0.25);
    // The ticker carries the exchange's time, not ours.
    assert.ok(Math.abs(heard.at(-1)!.time - Date.now()) < 60_000);

    unsubscribe();
    fake.setPrice('TRXUSDT', '0.26000');
    const before = heard.length;
    await advance(1000);
    assert.equal(feed.lastPrice(TRX), 0.26);
    assert.equal(heard.length, before);
  } finally {
    await close();
  }
});

test('several symbols are polled one light request each (never the heavy all-symbols ticker)', async () => {
  const { fake, feed, polls, advance, close } = await setup();
  try {
    await feed.start([TRX, BTC]);
    await advance(1000);
    assert.equal(polls(), 4);
    assert.ok(fake.requestsTo('GET /fapi/v1/ticker/24hr').every((r) => r.params.symbol !== undefined));
    assert.equal(feed.lastPrice(TRX), 0.2412);
    assert.equal(feed.lastPrice(BTC), 95000);
  } finally {
    await close();
  }
});

test('failures back off (2×, 4×, capped), prices go stale then unknown, and the feed recovers by itself', async () => {
  const { fake, clock, feed, statuses, polls, advance, close } = await setup();
  try {
    await feed.start([TRX]);
    const t0 = clock.now();
    fake.inject('GET /fapi/v1/ticker/24hr', { kind: 'status', failure: BINANCE_ERRORS.unknown() }, 4);
    await advance(1000); // poll 2 fails → next in 2000
    assert.equal(polls(), 2);
    assert.equal(feed.status().consecutiveFailures, 1);
    assert.equal(feed.status().nextPollAt, t0 + 3000);
    assert.match(feed.status().lastError ?? '', /unknown error/i);
    assert.equal(feed.lastPrice(TRX), 0.2412, 'the last price is kept while fresh enough');
    await advance(1999);
    assert.equal(polls(), 2, 'backing off');
    await advance(1); // poll 3 fails at t0+3000 → next in 4000
    assert.equal(polls(), 3);
    assert.equal(feed.status().state, 'stale');
    assert.equal(feed.status().nextPollAt, t0 + 7000);
    await advance(4000); // poll 4 fails at t0+7000 → capped at 4000
    assert.equal(feed.status().nextPollAt, t0 + 11_000);
    assert.equal(feed.lastPrice(TRX), undefined, 'older than maxAgeMs: no price rather than a wrong one');
    await advance(4000); // poll 5 fails
    await advance(4000); // poll 6 succeeds at t0+15000
    assert.equal(polls(), 6);
    assert.equal(feed.lastPrice(TRX), 0.2412);
    assert.deepEqual(
      { state: feed.status().state, failures: feed.status().consecutiveFailures, next: feed.status().nextPollAt },
      { state: 'live', failures: 0, next: t0 + 16_000 },
    );
    assert.deepEqual(statuses.map((s) => `${s.state}:${s.consecutiveFailures}`), ['live:0', 'live:1', 'stale:2', 'stale:3', 'stale:4', 'live:0']);
  } finally {
    await close();
  }
});

test('start refuses an unknown symbol or an unreachable exchange, so the wiring can fall back; close stops polling', async () => {
  const { clock, feed, advance, polls, close } = await setup();
  try {
    await assert.rejects(feed.start(['NOPE/USDT:USDT']), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MARKET_DATA_UNAVAILABLE' && /NOPE/.test(e.message));
    await feed.start([TRX]);
    await feed.close();
    assert.equal(clock.pendingTimers(), 0);
    await advance(5000);
    assert.equal(polls(), 1);
  } finally {
    await close();
  }
  const down = new CcxtTickerFeed(createCcxtClient('binanceusdm', { url: 'http://127.0.0.1:9' }), new ManualClock(0));
  await assert.rejects(down.start([TRX]), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MARKET_DATA_UNAVAILABLE' && /binanceusdm/.test(e.message));
});
