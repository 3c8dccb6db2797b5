import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { isVenueError, type VenueOrder } from '../../../src/core/venue.ts';
import { createSimulatedFeed } from '../../../src/marketdata/simulated.ts';
import { createPaperVenue, type PaperEvent } from '../../../src/venues/paper/index.ts';
import { flush, order, paperSetup, rejectsWith, START, TRX } from './setup.ts';

/** Tracks a promise's outcome without awaiting it. */
function watch<T>(p: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  p.then((value) => Object.assign(state, { value, settled: true }), (error) => Object.assign(state, { error, settled: true }));
  return state;
}

test('latency 0: answered in a microtask with no timer', async () => {
  const { venue, clock } = await paperSetup();
  const before = clock.pendingTimers(); // the funding timer
  const p = venue.submit(order());
  assert.equal(clock.pendingTimers(), before);
  // Applied synchronously: the position exists before the answer is read.
  assert.equal(venue.totals().fees, 1.2001);
  assert.equal((await p).status, 'filled');
});

test('latency: applied halfway, answered after latencyMs on the clock', async () => {
  const { venue, clock } = await paperSetup({ latencyMs: 20 });
  const answer = watch(venue.submit(order({ clientOrderId: 'lat1' })));
  clock.advance(9);
  await flush();
  assert.equal(venue.totals().fees, 0, 'not arrived yet');
  clock.advance(1);
  await flush();
  assert.equal(venue.totals().fees, 1.2001, 'applied at 10 ms');
  assert.equal(answer.settled, false);
  clock.advance(10);
  await flush();
  assert.equal((answer.value as VenueOrder).status, 'filled');
  assert.equal((answer.value as VenueOrder).updatedAt, START + 10);
});

test('abort before the answer is ambiguous; by default the order is still applied and found later', async () => {
  const { venue, clock } = await paperSetup({ latencyMs: 40 });
  const controller = new AbortController();
  const submitted = venue.submit(order({ clientOrderId: 'amb1' }), controller.signal);
  clock.advance(5);
  controller.abort();
  await rejectsWith(submitted, 'HH_ERR_VENUE_TIMEOUT', 'ambiguous');
  // A lookup that overtakes the order (here on a faster connection, arriving at 7 ms)
  // is told the venue never saw it…
  venue.setFaults({ latencyMs: 4 });
  const early = watch(venue.fetchOrder(TRX, 'amb1'));
  clock.advance(4);
  await flush();
  assert.equal(early.settled, true);
  assert.equal(early.value, undefined);
  // …but the request had left: the order was applied at 20 ms.
  clock.advance(20);
  const late = watch(venue.fetchOrder(TRX, 'amb1'));
  clock.advance(4);
  await flush();
  assert.equal((late.value as VenueOrder).status, 'filled');
});

test("abortedRequests 'dropped': an abort before arrival means the order never existed", async () => {
  const { venue, clock } = await paperSetup({ latencyMs: 40, abortedRequests: 'dropped' });
  const controller = new AbortController();
  const submitted = venue.submit(order({ clientOrderId: 'drop1' }), controller.signal);
  clock.advance(10);
  controller.abort();
  await rejectsWith(submitted, 'HH_ERR_VENUE_TIMEOUT', 'ambiguous');
  clock.advance(100);
  assert.equal(venue.totals().fees, 0);
  const lookup = watch(venue.fetchOrder(TRX, 'drop1'));
  clock.advance(40);
  await flush();
  assert.deepEqual(lookup, { value: undefined, settled: true });
  // An abort after arrival still leaves the order in place.
  const c2 = new AbortController();
  const second = venue.submit(order({ clientOrderId: 'drop2' }), c2.signal);
  clock.advance(30);
  c2.abort();
  await rejectsWith(second, 'HH_ERR_VENUE_TIMEOUT', 'ambiguous');
  assert.equal(venue.totals().fees, 1.2001);
});

test('an aborted read is retryable, and a signal aborted before sending sends nothing', async () => {
  const { venue, clock } = await paperSetup({ latencyMs: 10 });
  const c = new AbortController();
  const read = venue.balance(c.signal);
  c.abort();
  await rejectsWith(read, 'HH_ERR_VENUE_TIMEOUT', 'retryable');
  await rejectsWith(venue.submit(order({ clientOrderId: 'pre1' }), AbortSignal.abort()), 'HH_ERR_VENUE_TIMEOUT', 'retryable');
  clock.advance(100);
  assert.equal(venue.totals().fees, 0);
});

test('down: every call rejects at once, retryable; back up, it works', async () => {
  const { venue } = await paperSetup({ down: true });
  await rejectsWith(venue.submit(order()), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.cancel(TRX, 'x1'), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.fetchOrder(TRX, 'x1'), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.positions(), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.balance(), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.ticker(TRX), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  await rejectsWith(venue.orderBook(TRX), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  venue.setFaults({ down: false });
  assert.equal((await venue.submit(order())).status, 'filled');
  assert.throws(() => venue.setFaults({ rejectRate: 2 }));
});

test('rejectRate: refusals follow the seeded random exactly, place nothing, and the id can be sent again', async () => {
  const { venue } = await paperSetup({ rejectRate: 0.3, balance: 1e9 }, { random: seededRandom(7) });
  const draws = seededRandom(7);
  let refused = 0;
  for (let i = 0; i < 40; i++) {
    const id = `rr${i}`;
    const expectRefusal = draws() < 0.3;
    try {
      await venue.submit(order({ clientOrderId: id, amount: 100 }));
      assert.equal(expectRefusal, false, `submit ${i} should have been refused`);
    } catch (err) {
      assert.ok(isVenueError(err) && err.code === 'HH_ERR_VENUE_UNAVAILABLE' && err.errorClass === 'retryable');
      assert.equal(expectRefusal, true, `submit ${i} should have been accepted`);
      assert.equal(await venue.fetchOrder(TRX, id), undefined);
      refused++;
    }
  }
  assert.ok(refused > 0 && refused < 40);
  venue.setFaults({ rejectRate: 0 });
  assert.equal((await venue.submit(order({ clientOrderId: 'rr0', amount: 100 }))).clientOrderId, 'rr0');
});

test('partial fills: a share now, the rest on the clock', async () => {
  const { venue, clock } = await paperSetup({ partialFillRatio: 0.25, partialFillIntervalMs: 100 });
  const first = await venue.submit(order({ clientOrderId: 'part1', amount: 1001 }));
  assert.deepEqual([first.status, first.filled], ['open', 250]);
  clock.advance(100);
  assert.equal((await venue.fetchOrder(TRX, 'part1'))!.filled, 500);
  clock.advance(300);
  const done = (await venue.fetchOrder(TRX, 'part1'))!;
  assert.deepEqual([done.status, done.filled], ['filled', 1001]);
  assert.equal(clock.pendingTimers(), 1, 'only the funding timer is left');
});

test("partial fills with partialFillRest 'expire': the rest expires; a cancel keeps what filled", async () => {
  const { venue, clock } = await paperSetup({ partialFillRatio: 0.5, partialFillRest: 'expire' });
  const r = await venue.submit(order({ amount: 1000 }));
  assert.deepEqual([r.status, r.filled], ['expired', 500]);
  venue.setFaults({ partialFillRest: 'later' });
  await venue.submit(order({ clientOrderId: 'part2', amount: 1000 }));
  const canceled = await venue.cancel(TRX, 'part2');
  assert.deepEqual([canceled.status, canceled.filled], ['canceled', 500]);
  clock.advance(1000);
  assert.equal((await venue.positions())[0]!.size, 1000);
});

test('partial fills of a resting limit: one share per crossing ticker', async () => {
  const { venue, market } = await paperSetup({ partialFillRatio: 0.5 });
  await venue.submit(order({ clientOrderId: 'plim', type: 'limit', price: 0.239, amount: 1000 }));
  market.set(TRX, 0.2389);
  assert.equal((await venue.fetchOrder(TRX, 'plim'))!.filled, 500);
  market.set(TRX, 0.2388);
  assert.equal((await venue.fetchOrder(TRX, 'plim'))!.status, 'filled');
});

test('fillDelayMs: a slow venue keeps a market order open; a cancel in time leaves nothing filled', async () => {
  const { venue, clock, market } = await paperSetup({ fillDelayMs: 500 });
  const placed = await venue.submit(order({ clientOrderId: 'slow1' }));
  assert.deepEqual([placed.status, placed.filled], ['open', 0]);
  clock.advance(499);
  const canceled = await venue.cancel(TRX, 'slow1');
  assert.deepEqual([canceled.status, canceled.filled], ['canceled', 0]);
  clock.advance(10);
  assert.deepEqual(await venue.positions(), []);
  // Not canceled: it fills at the price of the moment it fills.
  await venue.submit(order({ clientOrderId: 'slow2' }));
  market.set(TRX, 0.25);
  clock.advance(500);
  const filled = (await venue.fetchOrder(TRX, 'slow2'))!;
  assert.deepEqual([filled.status, filled.averagePrice, filled.updatedAt], ['filled', 0.25002, START + 1009]);
  assert.equal((await venue.cancel(TRX, 'slow2')).status, 'filled');
});

test('funding every 8 h at the configured rate: longs pay, shorts receive', async () => {
  const { venue, clock, market } = await paperSetup({ fundingRate: 0.0001 });
  const events: PaperEvent[] = [];
  venue.onEvent((e) => events.push(e));
  await venue.submit(order({ amount: 10000 }));
  clock.advance(7 * 3600_000 - 1); // 07:59:59.999
  assert.equal(venue.totals().funding, 0);
  clock.advance(1); // 08:00
  assert.equal(venue.totals().funding, 0.24); // 10 000 × 0.24 × 0.01%
  market.set(TRX, 0.25);
  await venue.submit(order({ side: 'sell', amount: 20000 })); // now short 10 000
  clock.advance(16 * 3600_000); // 16:00 and 00:00
  assert.equal(venue.totals().funding, 0.24 - 0.25 - 0.25);
  const funding = events.filter((e) => e.type === 'funding');
  assert.deepEqual(funding.map((e) => e.time - Date.UTC(2026, 0, 1)), [8, 16, 24].map((h) => h * 3600_000));
  assert.deepEqual(funding.map((e) => e.payment), [0.24, -0.25, -0.25]);
});

test('funding from a callback (the backtest passes its funding file): undefined = no settlement', async () => {
  const asked: number[] = [];
  const rates = new Map([[Date.UTC(2026, 0, 1, 8), -0.0002]]);
  const { venue, clock } = await paperSetup({}, {
    fundingRate: (symbol, time) => {
      assert.equal(symbol, TRX);
      asked.push(time);
      return rates.get(time);
    },
  });
  await venue.submit(order({ amount: 10000 }));
  clock.advance(15 * 3600_000);
  assert.deepEqual(asked, [Date.UTC(2026, 0, 1, 8), Date.UTC(2026, 0, 1, 16)]);
  assert.equal(venue.totals().funding, -0.48); // received 10 000 × 0.24 × 0.02%
});

async function scriptedRun(seed: number) {
  const clock = new ManualClock(START);
  const market = createSimulatedFeed({ intervalMs: 1000 }, { clock, random: seededRandom(seed) });
  const venue = createPaperVenue(
    { id: 'paper1', kind: 'paper', latencyMs: 5, rejectRate: 0.2, partialFillRatio: 0.5, partialFillIntervalMs: 700 },
    { clock, market, random: seededRandom(seed + 1) },
  );
  await market.start([TRX]);
  await venue.start();
  const events: PaperEvent[] = [];
  venue.onEvent((e) => events.push(e));
  const outcomes: string[] = [];
  for (let i = 0; i < 30; i++) {
    const p = venue.submit(order({ clientOrderId: `det${i}`, side: i % 3 === 0 ? 'sell' : 'buy', amount: 1000 + i }));
    clock.advance(5);
    await p.then((o) => outcomes.push(`${o.status}:${o.filled}`), (e: { code: string }) => outcomes.push(e.code));
    clock.advance(1000);
  }
  return { events, outcomes, totals: venue.totals() };
}

test('determinism: the same seeds give the same fills, prices and refusals', async () => {
  const a = await scriptedRun(3);
  const b = await scriptedRun(3);
  const c = await scriptedRun(4);
  assert.ok(a.events.length > 30);
  assert.ok(a.outcomes.includes('HH_ERR_VENUE_UNAVAILABLE'));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.events, c.events);
});
