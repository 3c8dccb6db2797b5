import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { OrderIntent } from '../../src/core/decision.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import { VenueError, type Venue } from '../../src/core/venue.ts';
import { clientOrderId, parseClientOrderId } from '../../src/execution/client-order-id.ts';
import { rankByExpectedPrice } from '../../src/execution/best-price.ts';
import { reconcileLegs } from '../../src/execution/reconcile.ts';
import { DEFAULT_ROUTING, route, type RouteRequest, type RoutingSettings } from '../../src/execution/router.ts';
import { drive, ScriptedVenue, type Script } from './scripted-venue.ts';

const SIGNAL = 'sig_abcdefghijklmnopqrst';
const T0 = 1_700_000_000_000;

function intent(amount: number, side: 'buy' | 'sell' = 'sell', reduceOnly = false): OrderIntent {
  return { symbol: 'TRX/USDT:USDT', side, amount, reduceOnly, referencePrice: 0.24, notional: amount * 0.24 };
}

function setup(scripts: Record<string, Script>, settings: Partial<RoutingSettings> = {}) {
  const clock = new ManualClock(T0);
  const venues = new Map<string, ScriptedVenue>();
  for (const [id, s] of Object.entries(scripts)) venues.set(id, new ScriptedVenue(id, clock, s));
  const saves: { status: string; clientOrderId: string; at: number; submittedBefore: boolean }[] = [];
  const saveLeg = async (leg: OrderLeg) => {
    const v = venues.get(leg.venue)!;
    saves.push({ status: leg.status, clientOrderId: leg.clientOrderId, at: clock.now(), submittedBefore: v.orders.has(leg.clientOrderId) });
  };
  const routing: RoutingSettings = { ...DEFAULT_ROUTING, order: Object.keys(scripts), ...settings };
  const run = (req: Partial<RouteRequest> & { intent: OrderIntent }) =>
    drive(clock, route({ clock, venues: venues as Map<string, Venue>, saveLeg }, routing, { signalId: SIGNAL, account: 'main', firstLeg: 0, ...req }));
  return { clock, venues, saves, run };
}

test('client order ids are derived from the signal and the leg, and parse back', () => {
  const id = clientOrderId(SIGNAL, 37);
  assert.equal(id, 'hhabcdefghijklmnopqrst11');
  assert.match(id, /^[a-z0-9]{1,32}$/);
  assert.deepEqual(parseClientOrderId(id), { signalId: SIGNAL, leg: 37 });
  assert.equal(clientOrderId(SIGNAL, 37), id, 'the same leg always gets the same id');
  assert.notEqual(clientOrderId(SIGNAL, 38), id);
  assert.throws(() => clientOrderId(SIGNAL, 36 * 36), /at most 1296 legs/);
  assert.equal(parseClientOrderId('x-123'), undefined);
});

test('failover: the primary fills at once; the leg is journaled pending before the request leaves', async () => {
  const { venues, saves, run } = setup({ primary: {}, backup: {} });
  const r = await run({ intent: intent(1000) });
  assert.equal(r.complete, true);
  assert.equal(r.filled, 1000);
  assert.equal(r.legs.length, 1);
  assert.equal(r.legs[0]!.venue, 'primary');
  assert.equal(r.legs[0]!.status, 'filled');
  assert.equal(r.legs[0]!.latencyMs, 0);
  assert.deepEqual(saves[0], { status: 'pending', clientOrderId: clientOrderId(SIGNAL, 0), at: T0, submittedBefore: false });
  assert.equal(saves.at(-1)!.status, 'filled');
  assert.deepEqual(venues.get('backup')!.calls, []);
});

test('failover at fillTimeoutMs: an unfilled primary is cancelled at 500 ms and the backup takes the order', async () => {
  const { clock, venues, run } = setup({ primary: { fillAfterMs: Infinity }, backup: { submitLatencyMs: 40 } });
  const submittedAt: number[] = [];
  const backup = venues.get('backup')!;
  const orig = backup.submit.bind(backup);
  backup.submit = (req, signal) => {
    submittedAt.push(clock.now());
    return orig(req, signal);
  };
  const r = await run({ intent: intent(1000) });
  assert.equal(r.complete, true);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.filled]), [['primary', 'canceled', 0], ['backup', 'filled', 1000]]);
  assert.deepEqual(submittedAt, [T0 + 500], 'the backup is tried exactly when the fill timeout expires');
  assert.equal(r.legs[1]!.latencyMs, 40);
  assert.deepEqual(venues.get('primary')!.calls.filter((c) => c.startsWith('cancel')), [`cancel ${clientOrderId(SIGNAL, 0)}`]);
});

test('failover: a partial fill counts and only the rest goes to the backup', async () => {
  const { run } = setup({ primary: { partial: 0.4, fillAfterMs: Infinity }, backup: {} });
  const r = await run({ intent: intent(1000) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.amount, l.filled, l.status]), [['primary', 1000, 400, 'canceled'], ['backup', 600, 600, 'filled']]);
  assert.equal(r.filled, 1000);
  assert.equal(r.complete, true);
});

test('failover: a late fill (the cancel lost the race) is accounted for and nothing goes to the backup', async () => {
  const { venues, run } = setup({ primary: { fillAfterMs: Infinity, fillOnCancel: true }, backup: {} });
  const r = await run({ intent: intent(1000) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.filled]), [['primary', 'filled', 1000]]);
  assert.equal(r.complete, true);
  assert.deepEqual(venues.get('backup')!.calls, []);
});

test('failover: a venue that is down (retryable) is skipped at once', async () => {
  const down = () => new VenueError('HH_ERR_VENUE_UNAVAILABLE', 'primary', 'retryable', 'down');
  const { clock, run } = setup({ primary: { submitError: down }, backup: {} });
  const r = await run({ intent: intent(500) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status]), [['primary', 'failed'], ['backup', 'filled']]);
  assert.equal(r.legs[0]!.error!.code, 'HH_ERR_VENUE_UNAVAILABLE');
  assert.equal(clock.now(), T0, 'no time lost waiting on a venue that said no');
});

test('an ambiguous submit (answer lost after the order was applied) is looked up, not sent again', async () => {
  const lost = () => new VenueError('HH_ERR_VENUE_TIMEOUT', 'primary', 'ambiguous', 'socket hang up');
  const { venues, run } = setup({ primary: { lostAnswer: lost }, backup: {} });
  const r = await run({ intent: intent(1000) });
  assert.equal(r.complete, true);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.filled]), [['primary', 'filled', 1000]]);
  const primary = venues.get('primary')!;
  assert.equal(primary.calls.filter((c) => c.startsWith('submit')).length, 1, 'one submission only');
  assert.equal(primary.submitted().length, 1);
  assert.deepEqual(venues.get('backup')!.calls, []);
});

test('a submit that outlives the deadline and that the venue cannot confirm stays unresolved; the rest is placed elsewhere', async () => {
  const { run } = setup({ primary: { submitLatencyMs: 2000, applyAtEnd: true }, backup: {} });
  const r = await run({ intent: intent(1000) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status]), [['primary', 'unknown'], ['backup', 'filled']]);
  assert.equal(r.complete, false, 'an unknown leg never counts as done');
  assert.deepEqual(r.unresolved.map((l) => l.venue), ['primary']);
});

test('race: the first fill wins, the other is cancelled, and its over-fill is unwound reduce-only', async () => {
  const { venues, run } = setup({ primary: { submitLatencyMs: 10 }, backup: { submitLatencyMs: 30 } }, { mode: 'race' });
  const r = await run({ intent: intent(1000, 'sell') });
  assert.deepEqual(
    r.legs.map((l) => [l.venue, l.purpose, l.side, l.amount, l.filled, l.reduceOnly]),
    [
      ['primary', 'hedge', 'sell', 1000, 1000, false],
      ['backup', 'hedge', 'sell', 1000, 1000, false],
      ['backup', 'unwind', 'buy', 1000, 1000, true],
    ],
  );
  assert.equal(r.filled, 1000);
  assert.equal(r.overfill, 0);
  assert.equal(r.complete, true);
  assert.ok(venues.get('backup')!.calls.includes(`submit ${clientOrderId(SIGNAL, 2)} buy 1000 reduceOnly`));
});

test('race: a loser cancelled before it filled leaves nothing to unwind', async () => {
  const { run } = setup({ primary: { submitLatencyMs: 10 }, backup: { fillAfterMs: 100 } }, { mode: 'race' });
  const r = await run({ intent: intent(1000) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.filled]), [['primary', 'filled', 1000], ['backup', 'canceled', 0]]);
  assert.equal(r.complete, true);
});

test('best-price ranks venues by the expected price of the whole size, fees included', () => {
  const books = new Map([
    ['a', { symbol: 'X', time: 0, bids: [[0.2399, 10_000]] as [number, number][], asks: [[0.2401, 500], [0.2410, 10_000]] as [number, number][] }],
    ['b', { symbol: 'X', time: 0, bids: [[0.2398, 10_000]] as [number, number][], asks: [[0.2403, 10_000]] as [number, number][] }],
  ]);
  const fee = (id: string) => (id === 'a' ? 0.0005 : 0.0002);
  // Buy 1000: a averages (500×0.2401 + 500×0.2410)/1000 = 0.24055 ×1.0005; b 0.2403 ×1.0002 → b first.
  assert.deepEqual(rankByExpectedPrice(['a', 'b', 'c'], books, { side: 'buy', amount: 1000 }, fee), ['b', 'a', 'c']);
  // Buy 400: a 0.2401×1.0005 = 0.24022; b 0.2403×1.0002 = 0.24035 → a first.
  assert.deepEqual(rankByExpectedPrice(['a', 'b'], books, { side: 'buy', amount: 400 }, fee), ['a', 'b']);
  // Sell: a 0.2399×0.9995 = 0.23978 vs b 0.2398×0.9998 = 0.23975 → a first.
  assert.deepEqual(rankByExpectedPrice(['b', 'a'], books, { side: 'sell', amount: 1000 }, fee), ['a', 'b']);
});

test('best-price routes to the cheaper venue, falling back to failover order for one without a book', async () => {
  const book = (ask: number) => ({ symbol: 'X', time: 0, bids: [[ask - 0.0002, 1e6]] as [number, number][], asks: [[ask, 1e6]] as [number, number][] });
  const { run } = setup({ primary: { book: book(0.2405) }, backup: { book: book(0.2401) }, third: {} }, { mode: 'best-price' });
  const r = await run({ intent: intent(1000, 'buy') });
  assert.deepEqual(r.venueOrder, ['backup', 'primary', 'third']);
  assert.deepEqual(r.legs.map((l) => l.venue), ['backup']);
});

test('a reduce-only order goes only to venues holding the hedge, never more than they hold', async () => {
  const { venues, run } = setup({ primary: {}, backup: {} });
  const r = await run({ intent: intent(1000, 'buy', true), reduceCapacity: new Map([['backup', 700]]) });
  assert.deepEqual(r.legs.map((l) => [l.venue, l.amount, l.reduceOnly]), [['backup', 700, true]]);
  assert.equal(r.complete, false, 'only 700 could be reduced');
  assert.deepEqual(venues.get('primary')!.calls, []);
});

test('leg numbers continue from firstLeg, so a retry never reuses a client order id', async () => {
  const { run } = setup({ primary: {} });
  const r = await run({ intent: intent(100), firstLeg: 3 });
  assert.equal(r.legs[0]!.clientOrderId, clientOrderId(SIGNAL, 3));
  assert.equal(r.legs[0]!.leg, 3);
});

test('reconciliation: found legs take the venue view; not-found legs fail only after the receive window', async () => {
  const clock = new ManualClock(T0);
  const venue = new ScriptedVenue('primary', clock, {});
  await venue.submit({ clientOrderId: clientOrderId(SIGNAL, 0), symbol: 'TRX/USDT:USDT', side: 'sell', amount: 300, type: 'market', reduceOnly: false });
  const leg = (n: number): OrderLeg => ({
    clientOrderId: clientOrderId(SIGNAL, n), signalId: SIGNAL, account: 'main', leg: n, venue: 'primary', purpose: 'hedge',
    symbol: 'TRX/USDT:USDT', side: 'sell', amount: 300, type: 'market', reduceOnly: false, status: 'pending', filled: 0, fee: 0,
    createdAt: T0, updatedAt: T0,
  });
  const saved: string[] = [];
  const ports = { clock, venues: new Map([['primary', venue as Venue]]), saveLeg: async (l: OrderLeg) => void saved.push(`${l.leg}:${l.status}`) };
  const settings = { cancelTimeoutMs: 1000, notFoundFinalAfterMs: 10_000 };
  const legs = [leg(0), leg(1)];
  let settled = await reconcileLegs(ports, settings, legs);
  assert.deepEqual(settled.map((l) => l.leg), [0]);
  assert.equal(legs[0]!.status, 'filled');
  assert.equal(legs[0]!.filled, 300);
  assert.equal(legs[1]!.status, 'unknown', 'too early to say it never arrived');
  clock.advance(10_000);
  settled = await reconcileLegs(ports, settings, [legs[1]!]);
  assert.equal(legs[1]!.status, 'failed');
  assert.equal(legs[1]!.error!.code, 'HH_ERR_VENUE_ORDER_NOT_FOUND');
  assert.deepEqual(saved, ['0:filled', '1:unknown', '1:failed']);
  assert.equal(venue.calls.filter((c) => c.startsWith('submit')).length, 1, 'reconciliation never sends');
});
