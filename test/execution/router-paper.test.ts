/**
 * The router over real paper venues on a ManualClock: the behaviours the issue names,
 * with the venue model (latency, slow fills, partial fills, down, rejections) doing the
 * misbehaving instead of a script.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import { seededRandom } from '../../src/core/random.ts';
import type { Venue } from '../../src/core/venue.ts';
import { DEFAULT_ROUTING, route, type RoutingSettings } from '../../src/execution/router.ts';
import { createStaticFeed } from '../../src/marketdata/static.ts';
import { createPaperVenue, type PaperVenue, type PaperVenueSettingsInput } from '../../src/venues/paper/index.ts';
import { drive } from './scripted-venue.ts';

const TRX = 'TRX/USDT:USDT';
const T0 = Date.UTC(2026, 0, 1, 1);
const SIGNAL = 'sig_abcdefghijklmnopqrst';

async function setup(venues: Record<string, Partial<PaperVenueSettingsInput>>, routing: Partial<RoutingSettings> = {}) {
  const clock = new ManualClock(T0);
  const market = createStaticFeed({ [TRX]: 0.24 }, { clock });
  const map = new Map<string, PaperVenue>();
  for (const [id, s] of Object.entries(venues)) {
    const v = createPaperVenue({ id, kind: 'paper', ...s }, { clock, market, random: seededRandom(7) });
    await v.start();
    map.set(id, v);
  }
  const journal: string[] = [];
  const saveLeg = async (l: OrderLeg) => void journal.push(`${l.leg}:${l.venue}:${l.status}`);
  const settings: RoutingSettings = { ...DEFAULT_ROUTING, order: Object.keys(venues), ...routing };
  const place = (amount: number, side: 'buy' | 'sell' = 'sell') =>
    drive(clock, route({ clock, venues: map as Map<string, Venue>, saveLeg }, settings, {
      signalId: SIGNAL, account: 'main', firstLeg: 0,
      intent: { symbol: TRX, side, amount, reduceOnly: false, referencePrice: 0.24, notional: amount * 0.24 },
    }), 5);
  return { clock, venues: map, journal, place };
}

test('paper failover: a slow primary (fills after 800 ms) is cancelled at 500 ms and the backup fills', async () => {
  const { venues, place } = await setup({ primary: { latencyMs: 20, fillDelayMs: 800 }, backup: { latencyMs: 40 } });
  const r = await place(10_000);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.filled]), [['primary', 'canceled', 0], ['backup', 'filled', 10_000]]);
  assert.equal(r.legs[1]!.latencyMs, 40);
  assert.equal(venues.get('primary')!.totals().fees, 0, 'nothing filled on the cancelled primary');
  assert.equal(r.complete, true);
});

test('paper failover: a venue that is down costs no time; one that refuses (rejectRate 1) neither', async () => {
  const { clock, place } = await setup({ a: { down: true }, b: { rejectRate: 1 }, c: {} });
  const r = await place(5_000);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status, l.error?.code ?? null]), [
    ['a', 'failed', 'HH_ERR_VENUE_UNAVAILABLE'],
    ['b', 'failed', r.legs[1]!.error!.code],
    ['c', 'filled', null],
  ]);
  assert.equal(clock.now(), T0);
});

test('paper partial fills: what the primary filled before the deadline stays, the rest goes to the backup', async () => {
  const { place } = await setup({ primary: { partialFillRatio: 0.25, partialFillIntervalMs: 200 }, backup: {} });
  const r = await place(10_000);
  const [p, b] = r.legs;
  // 25% at once, 25% more at 200 ms and 400 ms; cancelled at 500 ms with 75% filled.
  assert.equal(p!.venue, 'primary');
  assert.equal(p!.filled, 7_500);
  assert.equal(p!.status, 'canceled');
  assert.deepEqual([b!.venue, b!.amount, b!.filled], ['backup', 2_500, 2_500]);
  assert.equal(r.filled, 10_000);
});

test('paper race: the faster venue wins; the slower one had filled too and is unwound reduce-only', async () => {
  const { clock, venues, place } = await setup({ fast: { latencyMs: 10 }, slow: { latencyMs: 30 } }, { mode: 'race' });
  const r = await place(10_000);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.purpose, l.side, l.filled]), [
    ['fast', 'hedge', 'sell', 10_000],
    ['slow', 'hedge', 'sell', 10_000],
    ['slow', 'unwind', 'buy', 10_000],
  ]);
  assert.equal(r.filled, 10_000);
  const slow = await drive(clock, venues.get('slow')!.positions([TRX]));
  assert.equal(slow.reduce((n, p) => n + p.size, 0), 0, 'the slow venue is flat again');
  const fast = await drive(clock, venues.get('fast')!.positions([TRX]));
  assert.equal(fast.reduce((n, p) => n + p.size, 0), -10_000);
});
