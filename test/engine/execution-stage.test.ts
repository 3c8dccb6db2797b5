/**
 * The execution stage through the worker, over the memory journal and the SQLite journal
 * (order legs in the same file): decision → router → venues → legs, ledger and outcome.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import type { OrderStore } from '../../src/core/orders.ts';
import { partitionKey, type IncomingSignal, type SignalPayload, type SignalView } from '../../src/core/signal.ts';
import { VenueError, type Venue } from '../../src/core/venue.ts';
import { createDecisionStage } from '../../src/engine/decision-stage.ts';
import { DecisionState, restoreDecisionState } from '../../src/engine/decision-state.ts';
import { createExecutionStage } from '../../src/engine/execution-stage.ts';
import type { OrderView } from '../../src/core/orders.ts';
import { Worker } from '../../src/engine/worker.ts';
import { clientOrderId } from '../../src/execution/client-order-id.ts';
import { DEFAULT_ROUTING, type RoutingSettings } from '../../src/execution/router.ts';
import { signalId } from '../../src/ingest/signal-id.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { openSqliteState } from '../../src/journal/sqlite/index.ts';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion } from '../../src/model/registry.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';
import { drive, ScriptedVenue } from '../execution/scripted-venue.ts';
import { ADAPTERS, type Adapter } from '../journal/fixtures.ts';

/** Tuesday 2026-11-24 01:30 UTC (the uplift window): ratio 0.7589…, target −37 945 TRX (see decision-stage.test.ts). */
const T = Date.UTC(2026, 10, 24, 1, 30);
const GUARD = { timeout: 20_000 };

const OPEN: SignalPayload = {
  account: 'main',
  symbol: 'TRX/USDT:USDT',
  action: 'open',
  type: 'breakout',
  strength: 0.8,
  price: 0.2412,
  time: T,
  position: { side: 'long', size: 50_000, leverage: 10 },
};
const CLOSE: SignalPayload = { account: 'main', symbol: 'TRX/USDT:USDT', action: 'close', price: 0.2412, time: T };

function rig(adapter: Adapter, options: { routing?: Partial<RoutingSettings>; maxAttempts?: number; positionVenue?: string } = {}) {
  const h = adapter.open();
  const clock = new ManualClock(T + 1_000);
  let orders: OrderStore = new MemoryOrderStore();
  let closeStores = () => {};
  if (h.path) {
    const stores = openSqliteState({ path: h.path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    orders = stores.orders;
    closeStores = () => stores.close();
  }
  const venues = new Map<string, ScriptedVenue>([
    ['primary', new ScriptedVenue('primary', clock, { price: 0.2412 })],
    ['backup', new ScriptedVenue('backup', clock, { price: 0.2413 })],
  ]);
  const state = new DecisionState();
  const makeStage = (s: DecisionState) => {
    const decision = createDecisionStage({
      clock,
      models: new InMemoryModelStore(),
      controls: new InMemoryControlStore(),
      state: s,
      account: { equity: 10_000, riskTolerance: 0.5 },
      limits: { ...DEFAULT_RISK_LIMITS, maxSignalAgeMs: 3_600_000 },
    });
    return createExecutionStage({
      clock,
      decision,
      orders,
      venues: venues as Map<string, Venue>,
      routing: { ...DEFAULT_ROUTING, ...options.routing },
      ...(options.positionVenue !== undefined ? { positionVenue: options.positionVenue } : {}),
    });
  };
  const stage = makeStage(state);
  const worker = new Worker({
    queue: h.journal,
    process: stage.process,
    clock,
    random: () => 0.5,
    retry: { maxAttempts: options.maxAttempts ?? 2, baseMs: 100, maxMs: 100 },
  });
  worker.start();
  let n = 0;
  const signalOf = (payload: SignalPayload): IncomingSignal => {
    n++;
    return {
      id: signalId('default', `msg_${n}`),
      source: 'default',
      dedupKey: `msg_${n}`,
      receivedAt: clock.now(),
      remoteAddr: '203.0.113.7',
      headers: {},
      body: JSON.stringify(payload),
      payload,
      partitionKey: partitionKey(payload),
    };
  };
  return {
    h,
    clock,
    venues,
    state,
    orders,
    makeStage,
    signalOf,
    async send(payload: SignalPayload): Promise<SignalView> {
      const signal = signalOf(payload);
      await h.journal.append(signal);
      return this.settled(signal.id);
    },
    async settled(id: string): Promise<SignalView> {
      return drive(clock, (async () => {
        for (;;) {
          const view = await h.journal.getSignal(id);
          if (view && ['hedged', 'skipped', 'rejected', 'dead'].includes(view.state)) return view;
          await new Promise((r) => setImmediate(r));
        }
      })());
    },
    async done() {
      await worker.stop();
      closeStores();
      await h.cleanup();
    },
  };
}

const ordersOf = (view: SignalView) => (view.outcome?.orders ?? []) as OrderView[];

for (const adapter of ADAPTERS) {
  describe(`execution stage over the ${adapter.name} journal`, () => {
    test('a decided hedge is placed on the primary, journaled as a leg and applied to the ledger', GUARD, async () => {
      const r = rig(adapter);
      try {
        const view = await r.send(OPEN);
        assert.equal(view.state, 'hedged', view.outcome?.reason);
        const orders = ordersOf(view);
        assert.deepEqual(orders.map((o) => [o.venue, o.clientOrderId, o.side, o.amount, o.filled, o.status, o.reduceOnly]), [
          ['primary', clientOrderId(view.id, 0), 'sell', 37_945, 37_945, 'filled', false],
        ]);
        assert.equal(orders[0]!.averagePrice, 0.2412);
        const legs = await r.orders.legsOf(view.id);
        assert.deepEqual(legs.map((l) => [l.clientOrderId, l.status, l.filled]), [[clientOrderId(view.id, 0), 'filled', 37_945]]);
        const pos = r.state.positions().find((p) => p.symbol === 'TRX/USDT:USDT')!;
        assert.equal(pos.netHedge, -37_945);
        assert.deepEqual(r.venues.get('backup')!.calls, []);

        // Closing the position takes the hedge to zero, reduce-only, on the venue that holds it.
        const closed = await r.send(CLOSE);
        assert.equal(closed.state, 'hedged', closed.outcome?.reason);
        assert.deepEqual(ordersOf(closed).map((o) => [o.venue, o.side, o.amount, o.reduceOnly]), [['primary', 'buy', 37_945, true]]);
        assert.equal(r.state.positions().find((p) => p.symbol === 'TRX/USDT:USDT')?.netHedge ?? 0, 0);
      } finally {
        await r.done();
      }
    });

    test('venues failing: retried with the leg numbers continuing, then dead-lettered with the execution error', GUARD, async () => {
      const r = rig(adapter, { maxAttempts: 2 });
      try {
        const down = (id: string) => () => new VenueError('HH_ERR_VENUE_UNAVAILABLE', id, 'retryable', 'HTTP 503');
        r.venues.get('primary')!.script = { submitError: down('primary') };
        r.venues.get('backup')!.script = { submitError: down('backup') };
        const view = await r.send(OPEN);
        assert.equal(view.state, 'dead');
        assert.equal(view.lastError?.code, 'HH_ERR_EXECUTION_INCOMPLETE');
        assert.match(view.lastError!.message, /filled 0 of 37945 TRX\/USDT:USDT: primary failed \(HH_ERR_VENUE_UNAVAILABLE\), backup failed/);
        const legs = await r.orders.legsOf(view.id);
        assert.deepEqual(legs.map((l) => [l.leg, l.venue, l.status]), [[0, 'primary', 'failed'], [1, 'backup', 'failed'], [2, 'primary', 'failed'], [3, 'backup', 'failed']]);

        // The venues recover; the DLQ replay places the hedge with the next leg number.
        r.venues.get('primary')!.script = { price: 0.2412 };
        await r.h.journal.replay({ ids: [view.id] }, r.clock.now());
        const replayed = await r.settled(view.id);
        assert.equal(replayed.state, 'hedged', replayed.outcome?.reason);
        const placed = ordersOf(replayed).filter((o) => o.filled > 0);
        assert.deepEqual(placed.map((o) => [o.clientOrderId, o.filled]), [[clientOrderId(view.id, 4), 37_945]]);
        assert.equal(r.venues.get('primary')!.submitted().filter((o) => o.filled > 0).length, 1);
      } finally {
        await r.done();
      }
    });

    test('a payload without a position has it read from the position venue, less our own hedge there', GUARD, async () => {
      const r = rig(adapter, { positionVenue: 'primary' });
      try {
        // The strategy's own long 50 000 TRX sits on the primary account, in one-way mode.
        r.venues.get('primary')!.script = { price: 0.2412, basePosition: 50_000 };
        const { position: _, ...noPosition } = OPEN;
        const view = await r.send(noPosition);
        assert.equal(view.state, 'hedged', view.outcome?.reason);
        const decision = view.outcome!.decision as { targetHedge: number; inputs: Record<string, unknown> };
        assert.equal(decision.targetHedge, -37_945, 'the same hedge as when the payload reports long 50 000 at 10×');
        assert.deepEqual(ordersOf(view).map((o) => [o.venue, o.side, o.amount]), [['primary', 'sell', 37_945]]);
        assert.equal(r.state.positions().find((p) => p.symbol === 'TRX/USDT:USDT')!.main!.source, 'venue');

        // The venue now nets to 12 055; without our 37 945 short the main is still 50 000: no change.
        const again = await r.send({ ...noPosition, action: 'update' });
        assert.equal(again.state, 'skipped');
        assert.match(again.outcome!.reason!, /HH_RISK_NO_CHANGE/);
      } finally {
        await r.done();
      }
    });

    test('a restart mid-execution: the journaled leg is reconciled by client order id and nothing is sent twice', GUARD, async () => {
      const r = rig(adapter);
      try {
        // The state a crash leaves: a signal in flight whose leg was journaled and reached
        // the venue (filled there) before the process died.
        const signal = r.signalOf(OPEN);
        const id = clientOrderId(signal.id, 0);
        await r.orders.save({
          clientOrderId: id, signalId: signal.id, account: 'main', leg: 0, venue: 'primary', purpose: 'hedge', symbol: 'TRX/USDT:USDT',
          side: 'sell', amount: 37_945, type: 'market', reduceOnly: false, status: 'pending', filled: 0, fee: 0, createdAt: r.clock.now(), updatedAt: r.clock.now(),
        });
        await r.venues.get('primary')!.submit({ clientOrderId: id, symbol: 'TRX/USDT:USDT', side: 'sell', amount: 37_945, type: 'market', reduceOnly: false });
        await r.h.journal.append(signal);
        const view = await r.settled(signal.id);
        assert.equal(view.state, 'hedged', view.outcome?.reason);
        assert.deepEqual(ordersOf(view).map((o) => [o.clientOrderId, o.status, o.filled]), [[id, 'filled', 37_945]]);
        assert.equal(r.venues.get('primary')!.calls.filter((c) => c.startsWith('submit')).length, 1, 'reconciled, not resent');
        assert.ok(r.venues.get('primary')!.calls.includes(`fetch ${id}`));
        assert.equal(r.state.positions().find((p) => p.symbol === 'TRX/USDT:USDT')!.netHedge, -37_945);

        // A fresh process rebuilds the same ledger from the journal and the legs.
        const fresh = new DecisionState();
        const summary = await restoreDecisionState(r.h.journal, fresh, r.orders);
        assert.equal(summary.fills, 1);
        assert.equal(fresh.positions().find((p) => p.symbol === 'TRX/USDT:USDT')!.netHedge, -37_945);
      } finally {
        await r.done();
      }
    });
  });
}
