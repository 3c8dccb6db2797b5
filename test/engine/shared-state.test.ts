/**
 * Two processes sharing the stores (the scale-out case), modelled in one test: two
 * decision states and execution stages over one journal, one order store and one venue,
 * each signal of the key decided by whichever "process" the delivery lands on. What must
 * hold is what one process gives: every decision sizes the hedge from the hedge actually
 * held, so the legs' fills always add up to the target. Without the reload the second
 * process sizes from its own stale ledger and over-hedges (the control below).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import type { HedgeDecision } from '../../src/core/decision.ts';
import type { OrderStore } from '../../src/core/orders.ts';
import type { Delivery } from '../../src/core/ports.ts';
import { partitionKey, type SignalPayload, type SignalView } from '../../src/core/signal.ts';
import type { Venue } from '../../src/core/venue.ts';
import { createDecisionStage } from '../../src/engine/decision-stage.ts';
import { DecisionState, reloadKeyState, restoreDecisionState } from '../../src/engine/decision-state.ts';
import { createExecutionStage, type ExecutionStage } from '../../src/engine/execution-stage.ts';
import { Worker } from '../../src/engine/worker.ts';
import { DEFAULT_ROUTING } from '../../src/execution/router.ts';
import { signalId } from '../../src/ingest/signal-id.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { openSqliteState } from '../../src/journal/sqlite/index.ts';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion } from '../../src/model/registry.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';
import { drive, ScriptedVenue } from '../execution/scripted-venue.ts';
import { ADAPTERS, type Adapter } from '../journal/fixtures.ts';

const T = Date.UTC(2026, 10, 24, 1, 30);
const GUARD = { timeout: 20_000 };
const SYMBOL = 'TRX/USDT:USDT';

/** The main position of one key, moving with every signal (up, down, flat, up again). */
const SIZES = [50_000, 80_000, 30_000, 0, 60_000, 20_000];

function payload(account: string, size: number): SignalPayload {
  return size === 0
    ? { account, symbol: SYMBOL, action: 'close', price: 0.2412, time: T }
    : { account, symbol: SYMBOL, action: 'update', strength: 0.8, price: 0.2412, time: T, position: { side: 'long', size, leverage: 10 } };
}

function rig(adapter: Adapter, options: { reload: boolean }) {
  const h = adapter.open();
  const clock = new ManualClock(T + 1_000);
  let orders: OrderStore = new MemoryOrderStore();
  let closeStores = () => {};
  if (h.path) {
    const stores = openSqliteState({ path: h.path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    orders = stores.orders;
    closeStores = () => stores.close();
  }
  // One venue: an exchange account both processes trade on.
  const venues = new Map<string, Venue>([['primary', new ScriptedVenue('primary', clock, { price: 0.2412 })]]);
  const processes = [0, 1].map(() => {
    const state = new DecisionState();
    const decision = createDecisionStage({
      clock,
      models: new InMemoryModelStore(),
      controls: new InMemoryControlStore(),
      state,
      account: { equity: 10_000, riskTolerance: 0.5 },
      limits: { ...DEFAULT_RISK_LIMITS, maxSignalAgeMs: 3_600_000 },
    });
    const stage: ExecutionStage = createExecutionStage({
      clock,
      decision,
      orders,
      venues,
      routing: { ...DEFAULT_ROUTING, order: ['primary'] },
      ...(options.reload ? { beforeDecide: async (d: Delivery) => void (await reloadKeyState({ journal: h.journal, orders }, state, d.payload)) } : {}),
    });
    return { state, stage };
  });
  // Deliveries alternate between the processes, as JetStream hands a key's next message to whoever pulls.
  let turn = 0;
  const worker = new Worker({
    queue: h.journal,
    process: (d) => processes[turn++ % 2]!.stage.process(d),
    clock,
    random: () => 0.5,
    retry: { maxAttempts: 1, baseMs: 100, maxMs: 100 },
  });
  worker.start();
  let n = 0;
  return {
    h,
    orders,
    processes,
    async send(p: SignalPayload): Promise<SignalView> {
      n++;
      const id = signalId('default', `msg_${n}`);
      await h.journal.append({ id, source: 'default', dedupKey: `msg_${n}`, receivedAt: clock.now(), remoteAddr: '203.0.113.7', headers: {}, body: JSON.stringify(p), payload: p, partitionKey: partitionKey(p) });
      return drive(clock, (async () => {
        for (;;) {
          const view = await h.journal.getSignal(id);
          if (view && ['hedged', 'skipped', 'rejected', 'dead'].includes(view.state)) return view;
          await new Promise((r) => setImmediate(r));
        }
      })());
    },
    /** Σ signed fills of the account's legs: the hedge the venue holds for it. */
    async heldHedge(account: string): Promise<number> {
      const legs = await orders.list({ account, symbol: SYMBOL, limit: 1000 });
      return legs.reduce((sum, l) => sum + (l.side === 'buy' ? l.filled : -l.filled), 0);
    },
    async done() {
      await worker.stop();
      closeStores();
      await h.cleanup();
    },
  };
}

const decisionOf = (view: SignalView) => view.outcome!.decision as HedgeDecision;

for (const adapter of ADAPTERS) {
  describe(`shared stores over the ${adapter.name} journal`, () => {
    test('each process reloads the key before deciding: every decision starts from the hedge held, and the fills add up to the target', GUARD, async () => {
      const r = rig(adapter, { reload: true });
      try {
        // Another account's key, decided in between, is left alone by the reloads of 'main'.
        const other = await r.send(payload('other', 40_000));
        assert.equal(other.state, 'hedged', other.outcome?.reason);
        for (const size of SIZES) {
          const held = await r.heldHedge('main');
          const view = await r.send(payload('main', size));
          assert.equal(view.state, 'hedged', view.outcome?.reason);
          const d = decisionOf(view);
          assert.equal(d.currentHedge, held, `size ${size}: decided from the hedge held`);
          assert.equal(await r.heldHedge('main'), d.targetHedge, `size ${size}: the fills reach the target`);
        }
        assert.ok((await r.heldHedge('main')) < 0, 'still hedging the last long');

        // Both processes, after one more reload each, hold what a fresh start-up restore holds.
        const fresh = new DecisionState();
        await restoreDecisionState(r.h.journal, fresh, r.orders);
        for (const p of r.processes) {
          await reloadKeyState({ journal: r.h.journal, orders: r.orders }, p.state, { account: 'main', symbol: SYMBOL });
          const mine = p.state.positions().find((x) => x.account === 'main')!;
          assert.deepEqual(mine, fresh.positions().find((x) => x.account === 'main'));
          assert.equal(mine.main?.size, 20_000, 'the main position as the newest settled signal reported it');
        }
      } finally {
        await r.done();
      }
    });

    test('control: without the reload the second process sizes from its stale ledger and over-hedges', GUARD, async () => {
      const r = rig(adapter, { reload: false });
      try {
        const first = await r.send(payload('main', 50_000));
        const second = await r.send(payload('main', 50_000));
        assert.equal(decisionOf(first).targetHedge, decisionOf(second).targetHedge, 'the same target twice');
        assert.equal(decisionOf(second).currentHedge, 0, 'process 1 never saw process 0 hedge');
        assert.equal(await r.heldHedge('main'), 2 * decisionOf(first).targetHedge!, 'hedged twice');
      } finally {
        await r.done();
      }
    });
  });
}

describe('DecisionState.restoreKey', () => {
  const fill = (account: string, symbol: string, side: 'buy' | 'sell', amount: number) => ({ account, symbol, venue: 'primary', side, amount, price: 0.25, time: T });

  test('replaces one key (main and hedges on every venue) and leaves the others as they were', () => {
    const s = new DecisionState();
    s.reportSignal(payload('main', 50_000), T);
    s.applyFill(fill('main', SYMBOL, 'sell', 1_000));
    s.applyFill({ ...fill('main', SYMBOL, 'sell', 500), venue: 'backup' });
    s.applyFill(fill('main', 'BTC/USDT:USDT', 'sell', 2));
    s.applyFill(fill('other', SYMBOL, 'sell', 7));
    s.restoreKey('main', SYMBOL, { fills: [fill('main', SYMBOL, 'sell', 300), fill('main', SYMBOL, 'buy', 100)] });
    const view = s.positions();
    const main = view.find((p) => p.account === 'main' && p.symbol === SYMBOL)!;
    assert.equal(main.main, null, 'no settled report: the main position is unknown');
    assert.deepEqual(main.hedges.map((h) => [h.venue, h.signedSize, h.fills]), [['primary', -200, 2]], 'the backup leg is gone: the stores hold none');
    assert.equal(view.find((p) => p.symbol === 'BTC/USDT:USDT')!.netHedge, -2);
    assert.equal(view.find((p) => p.account === 'other')!.netHedge, -7);

    s.restoreKey('main', SYMBOL, { allSymbols: true, main: { payload: payload('main', 30_000), at: T }, fills: [fill('main', 'BTC/USDT:USDT', 'sell', 3)] });
    const after = s.positions();
    assert.equal(after.find((p) => p.account === 'main' && p.symbol === SYMBOL)!.main!.size, 30_000);
    assert.equal(after.find((p) => p.account === 'main' && p.symbol === SYMBOL)!.netHedge, 0);
    assert.equal(after.find((p) => p.symbol === 'BTC/USDT:USDT')!.netHedge, -3, 'the account\'s other symbols reloaded too');
    assert.throws(() => s.restoreKey('main', SYMBOL, { fills: [fill('other', SYMBOL, 'sell', 1)] }), /HH_ERR_INTERNAL|restored into/);
  });
});
