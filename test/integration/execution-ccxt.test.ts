/**
 * Execution through the real ccxt client against fake Binance USDⓈ-M exchanges
 * (test/fakes/binance): failover when the primary never answers, a race whose loser had
 * filled too (unwound reduce-only), and a service killed with SIGKILL while its order was
 * on the wire, restarted on the same data dir and reconciled without a second order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import type { Venue } from '../../src/core/venue.ts';
import { reconcileLegs } from '../../src/execution/reconcile.ts';
import { DEFAULT_ROUTING, route, type RoutingSettings } from '../../src/execution/router.ts';
import { createCcxtVenue, type CcxtVenue } from '../../src/venues/ccxt/index.ts';
import { FAKE_API_KEY, FAKE_SECRET, FakeBinance } from '../fakes/binance/server.ts';
import { signedWebhook, startServiceProcess, writeConfig } from '../helpers/service-process.ts';

const TRX = 'TRX/USDT:USDT';
const GUARD = { timeout: 60_000 };
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
});

const env = (id: string) => ({ [`HEDGEHOOK_${id.toUpperCase()}_API_KEY`]: FAKE_API_KEY, [`HEDGEHOOK_${id.toUpperCase()}_SECRET`]: FAKE_SECRET });

async function venues(ids: string[]): Promise<{ fakes: Map<string, FakeBinance>; venues: Map<string, CcxtVenue> }> {
  const fakes = new Map<string, FakeBinance>();
  const map = new Map<string, CcxtVenue>();
  for (const id of ids) {
    const fake = await FakeBinance.start();
    const venue = createCcxtVenue({ id, kind: 'ccxt', exchange: 'binanceusdm', baseUrl: fake.url, timeoutMs: 5_000, positionMode: 'one-way' }, { env: env(id), clock: systemClock });
    await venue.start();
    fakes.set(id, fake);
    map.set(id, venue);
    cleanup.push(async () => {
      await venue.close();
      await fake.close();
    });
  }
  return { fakes, venues: map };
}

let signalNo = 0;
function place(map: Map<string, CcxtVenue>, settings: Partial<RoutingSettings>, amount: number) {
  const legs: string[] = [];
  signalNo++;
  const signalId = `sig_${'abcdefghijklmnopqr'}${'ab'[signalNo % 2]}${'cdefghijklmnopqrstuvwxyz'[signalNo]}`;
  const saveLeg = async (l: OrderLeg) => void legs.push(`${l.leg}:${l.venue}:${l.status}`);
  return route(
    { clock: systemClock, venues: map as Map<string, Venue>, saveLeg },
    { ...DEFAULT_ROUTING, order: [...map.keys()], ...settings },
    { signalId, account: 'main', firstLeg: 0, intent: { symbol: TRX, side: 'sell', amount, reduceOnly: false, referencePrice: 0.1, notional: amount * 0.1 } },
  );
}

const ordersOn = (fake: FakeBinance) => fake.requestsTo('POST /fapi/v1/order').length;

/**
 * Polls until `check` gives a value, or fails the test after 45 s: an endless wait would
 * outlive the test's own timeout and hold the file open.
 */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type SignalDto = { state: string; reason: string | null; orders: { clientOrderId: string; status: string; filled: number }[] };

/** The signal's view once it has left received and processing. */
function settled(url: string, id: string): Promise<SignalDto> {
  return until(`signal ${id} to settle`, async () => {
    const view = (await (await fetch(`${url}/api/signals/${id}`)).json()) as SignalDto;
    return ['received', 'processing'].includes(view.state) ? undefined : view;
  });
}

test('failover through ccxt: a primary that never answers is abandoned at the fill timeout and the backup fills', GUARD, async () => {
  const { fakes, venues: map } = await venues(['primary', 'backup']);
  fakes.get('primary')!.inject('POST /fapi/v1/order', { kind: 'hang', applied: false });
  const r = await place(map, { fillTimeoutMs: 500, cancelTimeoutMs: 2_000 }, 1_000);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.status]), [['primary', 'unknown'], ['backup', 'filled']]);
  assert.equal(r.legs[1]!.filled, 1_000);
  assert.equal(fakes.get('primary')!.account.orders.length, 0, 'the hung request never reached the primary book');
  assert.equal(fakes.get('backup')!.position('TRXUSDT', 'BOTH').amount.toNumber(), -1_000);
  assert.equal(r.complete, false, 'an unknown leg keeps the hedge open until reconciled');

  // The primary still does not know the id past the receive window: the leg never got there.
  const settled = await reconcileLegs({ clock: systemClock, venues: map as Map<string, Venue>, saveLeg: async () => {} }, { cancelTimeoutMs: 2_000, notFoundFinalAfterMs: 0 }, [r.legs[0]!]);
  assert.equal(settled[0]?.status, 'failed');
  assert.equal(ordersOn(fakes.get('primary')!), 1, 'reconciliation looked the order up; it sent nothing');
});

test('race through ccxt: the loser had filled before its cancel landed; the over-fill is unwound reduce-only', GUARD, async () => {
  const { fakes, venues: map } = await venues(['fast', 'slow']);
  // The slow venue fills at once but its answer arrives 400 ms later: the fast venue wins,
  // the router cancels the slow order and finds it already filled.
  fakes.get('slow')!.inject('POST /fapi/v1/order', { kind: 'latency', ms: 400, applied: true });
  const r = await place(map, { mode: 'race', fillTimeoutMs: 2_000 }, 2_000);
  assert.deepEqual(r.legs.map((l) => [l.venue, l.purpose, l.side, l.filled, l.reduceOnly]), [
    ['fast', 'hedge', 'sell', 2_000, false],
    ['slow', 'hedge', 'sell', 2_000, false],
    ['slow', 'unwind', 'buy', 2_000, true],
  ]);
  assert.equal(r.complete, true);
  assert.equal(fakes.get('fast')!.position('TRXUSDT', 'BOTH').amount.toNumber(), -2_000);
  assert.equal(fakes.get('slow')!.position('TRXUSDT', 'BOTH').amount.toNumber(), 0, 'the over-fill is gone');
  const unwind = fakes.get('slow')!.requestsTo('POST /fapi/v1/order').at(-1)!;
  assert.equal(unwind.params.reduceOnly, 'true');
  assert.equal(unwind.params.side, 'BUY');
});

test('a service killed while its order is on the wire is reconciled after restart: one order, hedged once', GUARD, async () => {
  const fake = await FakeBinance.start();
  cleanup.push(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'hh-exec-crash-'));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const config = writeConfig(dir, {
    logLevel: 'warn',
    venues: [{ id: 'binance', kind: 'ccxt', exchange: 'binanceusdm', baseUrl: fake.url, timeoutMs: 20_000, positionMode: 'one-way' }],
    // Long enough that the kill, not the router, ends the wait.
    routing: { fillTimeoutMs: 20_000 },
  });
  const keys = env('binance');
  // The exchange takes the order and never answers: the leg is journaled as pending.
  fake.inject('POST /fapi/v1/order', { kind: 'hang', applied: true });
  let service = await startServiceProcess({ dataDir: dir, config, env: keys });
  const payload = { symbol: 'TRXUSDT.P', action: 'open', strength: 0.8, price: 0.1, position: { side: 'long', size: 50_000, leverage: 10 } };
  const hook = signedWebhook(payload);
  const res = await fetch(`${service.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  assert.equal(res.status, 202);
  const { id } = (await res.json()) as { id: string };
  while (fake.account.orders.length === 0) await new Promise((r) => setTimeout(r, 20));
  service.child.kill('SIGKILL');
  await service.exited;
  assert.equal(ordersOn(fake), 1);
  const placed = fake.account.orders[0]!;
  assert.equal(placed.clientOrderId, `hh${id.slice(4)}00`, 'the client order id is derived from the signal');

  service = await startServiceProcess({ dataDir: dir, config, env: keys });
  cleanup.push(async () => {
    service.child.kill('SIGKILL');
    await service.exited;
  });
  const view = await settled(service.url, id);
  assert.equal(view.state, 'hedged', view.reason ?? '');
  assert.deepEqual(view.orders.map((o) => [o.clientOrderId, o.status, o.filled]), [[placed.clientOrderId, 'filled', Number(placed.executedQty)]]);
  assert.equal(ordersOn(fake), 1, 'no second order after the restart');
  assert.ok(fake.requestsTo('GET /fapi/v1/order').length >= 1, 'the restart looked the leg up by client order id');
  const positions = (await (await fetch(`${service.url}/api/positions`)).json()) as { positions: { netHedge: number }[] };
  assert.equal(positions.positions[0]!.netHedge, -Number(placed.executedQty));
});

/**
 * A fake Binance whose markets cannot be loaded (every connection for them dropped until
 * its faults are cleared), a service in front of it, and one webhook it took meanwhile.
 */
async function serviceBehindUnreachableExchange(name: string) {
  const fake = await FakeBinance.start();
  cleanup.push(() => fake.close());
  fake.inject('GET /fapi/v1/exchangeInfo', { kind: 'drop', applied: false }, 1_000);
  const dir = mkdtempSync(join(tmpdir(), name));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const config = writeConfig(dir, { logLevel: 'warn', venues: [{ id: 'binance', kind: 'ccxt', exchange: 'binanceusdm', baseUrl: fake.url, positionMode: 'one-way' }] });
  const service = await startServiceProcess({ dataDir: dir, config, env: env('binance') });
  const hook = signedWebhook({ symbol: 'TRXUSDT.P', action: 'open', strength: 0.8, price: 0.1, position: { side: 'long', size: 50_000, leverage: 10 } });
  const res = await fetch(`${service.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  assert.equal(res.status, 202, 'the webhook is journaled while the venue cannot be opened');
  const { id } = (await res.json()) as { id: string };
  await until('the failure to open the venue', () => (/could not be opened/.test(service.output()) ? true : undefined));
  return { fake, dir, config, service, id };
}

test('an exchange that cannot be reached at start-up holds back the processing, not the webhooks: journaled, then hedged once it answers', GUARD, async () => {
  const { fake, service, id } = await serviceBehindUnreachableExchange('hh-exec-down-');
  cleanup.push(async () => {
    service.child.kill('SIGKILL');
    await service.exited;
  });
  const market = (await (await fetch(`${service.url}/api/market`)).json()) as { kind: string; description: string };
  assert.equal(market.kind, 'starting');
  assert.match(market.description, /^not open yet, retrying: binance: /);
  const waiting = (await (await fetch(`${service.url}/api/signals/${id}`)).json()) as { state: string };
  assert.equal(waiting.state, 'received', 'nothing is processed before the venue is open');
  assert.equal(ordersOn(fake), 0);

  fake.clearFaults();
  const view = await settled(service.url, id);
  assert.equal(view.state, 'hedged', view.reason ?? '');
  assert.deepEqual(view.orders.map((o) => o.status), ['filled']);
  assert.equal(ordersOn(fake), 1);
  const open = (await (await fetch(`${service.url}/api/market`)).json()) as { kind: string; venues: { id: string; kind: string }[] };
  assert.deepEqual([open.kind, open.venues], ['simulated', [{ id: 'binance', kind: 'binanceusdm' }]]);
});

test('a service whose venue cannot be opened still stops cleanly on SIGTERM, its webhooks kept for the next start', GUARD, async () => {
  const { fake, dir, config, service: first, id } = await serviceBehindUnreachableExchange('hh-exec-down-stop-');
  // Stopped between two tries (the second is a second away): no wait for it.
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0);
  fake.clearFaults();
  const service = await startServiceProcess({ dataDir: dir, config, env: env('binance') });
  cleanup.push(async () => {
    service.child.kill('SIGKILL');
    await service.exited;
  });
  const view = await settled(service.url, id);
  assert.equal(view.state, 'hedged', view.reason ?? '');
  assert.equal(ordersOn(fake), 1);
});

test('a venue that cannot be opened at start-up does not hold back the others: the backup takes its orders until it opens', GUARD, async () => {
  const primary = await FakeBinance.start();
  const backup = await FakeBinance.start();
  cleanup.push(() => primary.close(), () => backup.close());
  primary.inject('GET /fapi/v1/exchangeInfo', { kind: 'drop', applied: false }, 1_000);
  const dir = mkdtempSync(join(tmpdir(), 'hh-exec-half-'));
  cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
  const config = writeConfig(dir, {
    logLevel: 'info',
    venues: [
      { id: 'primary', kind: 'ccxt', exchange: 'binanceusdm', baseUrl: primary.url, positionMode: 'one-way' },
      { id: 'backup', kind: 'ccxt', exchange: 'binanceusdm', baseUrl: backup.url, positionMode: 'one-way' },
    ],
    routing: { mode: 'failover', order: ['primary', 'backup'] },
  });
  const service = await startServiceProcess({ dataDir: dir, config, env: { ...env('primary'), ...env('backup') } });
  cleanup.push(async () => {
    service.child.kill('SIGKILL');
    await service.exited;
  });
  const send = async (size: number) => {
    const hook = signedWebhook({ symbol: 'TRXUSDT.P', action: 'update', strength: 0.8, price: 0.1, position: { side: 'long', size, leverage: 10 } });
    const res = await fetch(`${service.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
    assert.equal(res.status, 202);
    return settled(service.url, ((await res.json()) as { id: string }).id);
  };
  const first = await send(50_000);
  assert.equal(first.state, 'hedged', first.reason ?? '');
  assert.deepEqual(first.orders.map((o) => o.status), ['failed', 'filled'], 'the primary refuses (not open), the backup fills');
  assert.deepEqual([ordersOn(primary), ordersOn(backup)], [0, 1]);
  assert.match(service.output(), /venue could not be opened: the others take its orders/);

  primary.clearFaults();
  await until('the primary to open', () => (/venue opened: it takes orders again/.test(service.output()) ? true : undefined));
  const second = await send(100_000);
  assert.equal(second.state, 'hedged', second.reason ?? '');
  assert.deepEqual(second.orders.map((o) => o.status), ['filled'], 'the primary, open now, fills');
  assert.deepEqual([ordersOn(primary), ordersOn(backup)], [1, 1]);
});
