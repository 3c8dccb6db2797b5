/**
 * Exchange faults through the real ccxt client, each classed as the Venue port says
 * (retryable / rejected / ambiguous), and the ambiguous submit resolved by client order id
 * without a second order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { VenueError, type OrderRequest, type VenueErrorClass } from '../../../src/core/venue.ts';
import type { ErrorCode } from '../../../src/core/errors.ts';
import { BINANCE_ERRORS, INTERNAL_ERROR_503, UNKNOWN_EXECUTION_503 } from '../../fakes/binance/errors.ts';
import { cid, fakeVenue, type FakeVenue } from './fake-venue.ts';

const TRX = 'TRX/USDT:USDT';
const ORDER = 'POST /fapi/v1/order';
// One venue for the file, with a short timeout; each test starts from a fresh fake account.
let shared: FakeVenue;
before(async () => {
  shared = await fakeVenue({ settings: { timeoutMs: 300 } });
});
after(() => shared.close());
function fresh(): FakeVenue {
  shared.fake.reset();
  return shared;
}

const buy = (amount = 100): OrderRequest => ({ clientOrderId: cid(), symbol: TRX, side: 'buy', amount, type: 'market', reduceOnly: false });

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), 'condition not reached within 2 s');
}

async function failure(p: Promise<unknown>): Promise<VenueError> {
  const err = await p.then(
    () => assert.fail('expected a VenueError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VenueError, `not a VenueError: ${String(err)}`);
  assert.doesNotMatch(err.message, /\n|signature=|https?:\/\//);
  return err;
}

function assertClass(err: VenueError, code: ErrorCode, errorClass: VenueErrorClass): void {
  assert.equal(err.code, code, err.message);
  assert.equal(err.errorClass, errorClass, err.message);
  assert.equal(err.retryable, errorClass === 'retryable');
}

test('a 5xx answer: retryable on a read; on a submit ambiguous unless Binance documents it as a failure', async () => {
  const { fake, venue } = fresh();
  fake.inject('GET /fapi/v3/positionRisk', { kind: 'status', failure: { status: 502, code: -1000, msg: 'Bad Gateway' } });
  assertClass(await failure(venue.positions()), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');

  // "Unknown error, please check your request or try again later." — execution status UNKNOWN.
  fake.inject(ORDER, { kind: 'status', failure: UNKNOWN_EXECUTION_503 });
  const unknown = buy();
  const err = await failure(venue.submit(unknown));
  assertClass(err, 'HH_ERR_VENUE_UNAVAILABLE', 'ambiguous');
  assert.match(err.message, /look the order up/);
  assert.equal(await venue.fetchOrder(TRX, unknown.clientOrderId), undefined); // it had not been placed

  // "Internal error; unable to process your request. Please try again." — a certain failure.
  fake.inject(ORDER, { kind: 'status', failure: INTERNAL_ERROR_503 });
  assertClass(await failure(venue.submit(buy())), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  fake.inject(ORDER, { kind: 'status', failure: { status: 503, code: -1, msg: 'Service Unavailable.' } });
  assertClass(await failure(venue.submit(buy())), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');

  // ccxt did not retry any of them: one POST each.
  assert.equal(fake.requestsTo(ORDER).length, 3);
  assert.equal(venue.exchange.options.maxRetriesOnFailure, 0);
});

test('a 503 after the order was applied is ambiguous, and the look-up finds the order', async () => {
  const { fake, venue } = fresh();
  fake.inject(ORDER, { kind: 'status', failure: UNKNOWN_EXECUTION_503, applied: true });
  const req = buy();
  assertClass(await failure(venue.submit(req)), 'HH_ERR_VENUE_UNAVAILABLE', 'ambiguous');
  const found = await venue.fetchOrder(TRX, req.clientOrderId);
  assert.equal(found?.status, 'filled');
  assert.equal(found?.filled, 100);
});

test('429 and 418 are rate limits, retryable, with the Retry-After the exchange asked for', async () => {
  const { fake, venue } = fresh();
  fake.rateLimit(ORDER, 429, 3);
  const limited = await failure(venue.submit(buy()));
  assertClass(limited, 'HH_ERR_VENUE_RATE_LIMITED', 'retryable');
  assert.equal(limited.retryAfterMs, 3000);
  assert.equal(limited.exchangeCode, '-1003');

  fake.rateLimit('GET /fapi/v1/order', 418, 120);
  const banned = await failure(venue.fetchOrder(TRX, 'any1'));
  assertClass(banned, 'HH_ERR_VENUE_RATE_LIMITED', 'retryable');
  assert.equal(banned.retryAfterMs, 120_000);
  assert.match(banned.message, /IP banned/);
});

test('no answer within the timeout: ambiguous on a submit, retryable on a read', async () => {
  const { fake, venue } = fresh();
  fake.inject(ORDER, { kind: 'hang', applied: true });
  const req = buy();
  const err = await failure(venue.submit(req));
  assertClass(err, 'HH_ERR_VENUE_TIMEOUT', 'ambiguous');
  assert.equal((await venue.fetchOrder(TRX, req.clientOrderId))?.status, 'filled'); // it was placed after all

  fake.inject('GET /fapi/v1/depth', { kind: 'hang' });
  assertClass(await failure(venue.orderBook(TRX, 5)), 'HH_ERR_VENUE_TIMEOUT', 'retryable');
});

test('a connection dropped after the order was applied: ambiguous, then found by client id, never sent twice', async () => {
  const { fake, venue } = fresh();
  fake.inject(ORDER, { kind: 'drop', applied: true });
  const req = buy(500);
  const err = await failure(venue.submit(req));
  assertClass(err, 'HH_ERR_VENUE_UNAVAILABLE', 'ambiguous');
  assert.match(err.message, /connection lost on submit/);

  // What the router does with an ambiguous leg: look it up before sending anything again.
  const found = await venue.fetchOrder(TRX, req.clientOrderId);
  assert.equal(found?.status, 'filled');
  assert.equal(found?.filled, 500);
  assert.equal(fake.requestsTo(ORDER).length, 1);
  assert.equal(fake.account.orders.filter((o) => o.clientOrderId === req.clientOrderId).length, 1);
  assert.equal(fake.position('TRXUSDT').amount.toString(), '500');
});

test('a connection dropped before the order was applied: ambiguous too, and the look-up finds nothing', async () => {
  const { fake, venue } = fresh();
  fake.inject(ORDER, { kind: 'drop', applied: false });
  const req = buy();
  assertClass(await failure(venue.submit(req)), 'HH_ERR_VENUE_UNAVAILABLE', 'ambiguous');
  assert.equal(await venue.fetchOrder(TRX, req.clientOrderId), undefined);
  // Now it is safe to send the same leg again, with the same client id.
  assert.equal((await venue.submit(req)).status, 'filled');
  assert.equal(fake.account.orders.length, 1);
});

test('aborting a submit in flight is ambiguous: the exchange may still place it', async () => {
  const { fake, venue } = fresh();
  fake.inject(ORDER, { kind: 'latency', ms: 200 });
  const req = buy();
  const controller = new AbortController();
  const pending = venue.submit(req, controller.signal);
  await until(() => fake.requestsTo(ORDER).length === 1); // the request is on the exchange's side
  controller.abort();
  assertClass(await failure(pending), 'HH_ERR_VENUE_TIMEOUT', 'ambiguous');
  await until(() => fake.order(req.clientOrderId) !== undefined); // placed once its latency passed
  assert.equal((await venue.fetchOrder(TRX, req.clientOrderId))?.status, 'filled');
});

test('aborting a submit still queued behind the rate limiter is retryable, and it never leaves', async () => {
  const { fake, venue } = fresh();
  // The venue spends its rate budget in bursts (a rolling window, see venue.ts); shrink the
  // window's budget to one positions() call so the submit behind it has to queue.
  const throttle = (venue.exchange as unknown as { throttler: { config: { maxWeight: number } } }).throttler.config;
  const budget = throttle.maxWeight;
  throttle.maxWeight = 5;
  try {
    await venue.positions(); // weight 5: the budget is spent and the next request waits in ccxt's limiter
    const controller = new AbortController();
    const pending = venue.submit(buy(), controller.signal);
    setTimeout(() => controller.abort(), 20);
    const err = await failure(pending);
    assertClass(err, 'HH_ERR_VENUE_TIMEOUT', 'retryable');
    assert.match(err.message, /before the request was sent/);
    assertClass(await failure(venue.submit(buy(), AbortSignal.abort())), 'HH_ERR_VENUE_TIMEOUT', 'retryable');
    assert.equal(fake.requestsTo(ORDER).length, 0);
  } finally {
    throttle.maxWeight = budget;
  }
  await venue.balance(); // queued after the aborted submit: once it is answered, the submit's turn has passed
  assert.equal(fake.requestsTo(ORDER).length, 0);
});

test('an exchange that cannot be reached is retryable, even for a submit', async () => {
  const { fake, venue, close } = await fakeVenue();
  await fake.close(); // the port now refuses connections
  try {
    // A pooled keep-alive socket learns of the close only when written to ("other side
    // closed": ambiguous for a submit). Let a read find out first, as the next submit then would.
    await venue.balance().catch(() => {});
    assertClass(await failure(venue.submit(buy())), 'HH_ERR_VENUE_UNAVAILABLE', 'retryable');
  } finally {
    await close();
  }
});

test('codes ccxt maps only for the official hosts are still classed: margin, reduce-only, duplicate id', async () => {
  const { fake, venue } = fresh();
  const cases: [ReturnType<(typeof BINANCE_ERRORS)[keyof typeof BINANCE_ERRORS]>, ErrorCode][] = [
    [BINANCE_ERRORS.marginInsufficient(), 'HH_ERR_VENUE_INSUFFICIENT_MARGIN'],
    [BINANCE_ERRORS.reduceOnlyRejected(), 'HH_ERR_VENUE_REJECTED'],
    [BINANCE_ERRORS.clientOrderIdDuplicated(), 'HH_ERR_VENUE_REJECTED'],
    [BINANCE_ERRORS.positionSideMismatch(), 'HH_ERR_VENUE_REJECTED'],
  ];
  for (const [f, code] of cases) {
    fake.inject(ORDER, { kind: 'status', failure: f });
    const err = await failure(venue.submit(buy()));
    assertClass(err, code, 'rejected');
    assert.equal(err.exchangeCode, String(f.code));
    assert.ok(err.message.includes(f.msg), err.message);
  }
});
