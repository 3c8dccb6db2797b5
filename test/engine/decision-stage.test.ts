/**
 * The decision stage end to end through the worker, over the memory journal (with the
 * in-memory registry and controls) and the SQLite journal (with the SQLite registry and
 * controls in the same file): a journaled signal → a recorded decision.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { InMemoryControlStore, type ControlStore } from '../../src/core/controls.ts';
import type { HedgeDecision } from '../../src/core/decision.ts';
import type { ModelStore } from '../../src/core/model.ts';
import { partitionKey, type IncomingSignal, type SignalPayload, type SignalView } from '../../src/core/signal.ts';
import { createDecisionStage, EXEC_UNAVAILABLE, type DecisionStage } from '../../src/engine/decision-stage.ts';
import { DecisionState, restoreDecisionState } from '../../src/engine/decision-state.ts';
import { Worker } from '../../src/engine/worker.ts';
import { openSqliteJournal, openSqliteState } from '../../src/journal/sqlite/index.ts';
import { annualisedVolatility } from '../../src/model/volatility.ts';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion } from '../../src/model/registry.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';
import { signalDto } from '../../src/server/api.ts';
import { FITTED } from '../model/model-store-contract.ts';
import { ADAPTERS, type Adapter, type Harness } from '../journal/fixtures.ts';

/** Tuesday 2026-11-24 01:30 UTC: inside the article's uplift window (weekdays 01–04 UTC). */
const T = Date.UTC(2026, 10, 24, 1, 30);
/** Hang guard only; no assertion depends on time. */
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

/**
 * The hand computation (DESIGN.md weights, src/model/features.ts formulas), context
 * equity 10 000 USDT, risk tolerance 0.5, volatility the default 0.35 (fewer than 10
 * returns seen, so the EWMA gives none yet):
 *   exposure x   = 50 000 TRX × 0.2412 × 10 / 10 000 = 12.06
 *   positionSize = 1 − 5 / (12.06 + 5) = 0.70691676…      × 0.35 = 0.24742087…
 *   strength     = 0.8                                    × 0.25 = 0.2
 *   volatility   = 0.35 / 1.0 = 0.35                      × 0.20 = 0.07
 *   riskTol.     = 1 − 0.5 = 0.5                          × 0.15 = 0.075
 *   timeOfDay    = HOURLY_RISK[01] = 0.8                  × 0.05 = 0.04
 *   sum = 0.63242087…; Tuesday 01:30 UTC → ×1.2 → ratio = 0.75890504…
 *   target = −ratio × 50 000 = −37 945.25… → toward zero on the 1-TRX step → −37 945
 *   order  = sell 37 945 TRX, notional 37 945 × 0.2412 = 9 152.334 USDT (≥ 5: placed)
 */
const POSITION_FEATURE = 1 - 5 / (12.06 + 5);
const SUM = 0.35 * POSITION_FEATURE + 0.25 * 0.8 + 0.2 * 0.35 + 0.15 * 0.5 + 0.05 * 0.8;
const RATIO = SUM * 1.2;

interface Rig {
  h: Harness;
  clock: ManualClock;
  stage: DecisionStage;
  models: ModelStore;
  controls: ControlStore;
  market: Record<string, number>;
  send(payload: SignalPayload, opts?: { receivedAt?: number }): Promise<SignalView>;
  done(): Promise<void>;
}

function rig(adapter: Adapter): Rig {
  const h = adapter.open();
  const clock = new ManualClock(T + 1_000);
  let models: ModelStore;
  let controls: ControlStore;
  let closeStores = () => {};
  if (h.path) {
    const stores = openSqliteState({ path: h.path, defaultModel: DEFAULT_MODEL, validate: parseModelVersion });
    [models, controls, closeStores] = [stores.models, stores.controls, () => stores.close()];
  } else {
    [models, controls] = [new InMemoryModelStore(), new InMemoryControlStore()];
  }
  const market: Record<string, number> = {};
  const stage = createDecisionStage({
    clock,
    models,
    controls,
    state: new DecisionState(),
    account: { equity: 10_000, riskTolerance: 0.5 },
    limits: DEFAULT_RISK_LIMITS,
    market: { lastPrice: (symbol) => market[symbol] },
  });
  const worker = new Worker({ queue: h.journal, process: stage.process, clock, random: () => 0.5 });
  worker.start();
  let n = 0;
  return {
    h,
    clock,
    stage,
    models,
    controls,
    market,
    async send(payload, opts = {}) {
      n++;
      const signal: IncomingSignal = {
        id: `sig_decision_${n}`,
        source: 'default',
        dedupKey: `msg_${n}`,
        receivedAt: opts.receivedAt ?? clock.now(),
        remoteAddr: '203.0.113.7',
        headers: {},
        body: JSON.stringify(payload),
        payload,
        partitionKey: partitionKey(payload),
      };
      await h.journal.append(signal);
      await worker.idle();
      const view = await h.journal.getSignal(signal.id);
      assert.ok(view);
      return view;
    },
    async done() {
      await worker.stop();
      closeStores();
      await h.cleanup();
    },
  };
}

function decisionOf(view: SignalView): HedgeDecision {
  return view.outcome?.decision as HedgeDecision;
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

for (const adapter of ADAPTERS) {
  describe(`decision stage over the ${adapter.name} journal`, () => {
    test('a signal is decided: ratio, contributions, target and the order intent are recorded', GUARD, async () => {
      const r = rig(adapter);
      try {
        const view = await r.send(OPEN);
        assert.equal(view.state, 'skipped');
        assert.match(view.outcome!.reason!, new RegExp(`^${EXEC_UNAVAILABLE}: order decided \\(sell 37945 TRX/USDT:USDT\\) but no venue is wired yet`));
        const d = decisionOf(view);
        assert.equal(d.outcome, 'hedge');
        assert.equal(d.modelVersion, 'article-v1');
        assert.ok(close(d.ratio!, RATIO), `ratio ${d.ratio} vs ${RATIO}`);
        assert.ok(close(d.features.positionSize!, POSITION_FEATURE));
        assert.deepEqual(
          { ...d.features, positionSize: 0 },
          { positionSize: 0, signalStrength: 0.8, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.8 },
        );
        assert.ok(close(d.contributions.positionSize!, 0.35 * POSITION_FEATURE));
        assert.ok(close(d.contributions.signalStrength!, 0.2));
        assert.ok(close(d.contributions.volatility!, 0.07));
        assert.ok(close(d.contributions.riskTolerance!, 0.075));
        assert.ok(close(d.contributions.timeOfDay!, 0.04));
        assert.ok(close(d.contributions.uplift!, RATIO - SUM));
        assert.equal(d.targetHedge, -37_945);
        assert.equal(d.currentHedge, 0);
        assert.deepEqual(d.order, { symbol: 'TRX/USDT:USDT', side: 'sell', amount: 37_945, reduceOnly: false, referencePrice: 0.2412, notional: 9152.334 });
        assert.deepEqual(d.reasons.map((x) => x.code), ['HH_RISK_TARGET_ROUNDED']);
        assert.equal(d.decidedAt, T + 1_000);
        assert.equal(d.inputs?.priceSource, 'signal');
        assert.equal(d.inputs?.volatilityFrom, 'default');

        // What GET /api/signals/:id shows.
        const dto = signalDto(view);
        const shown = dto.decision as HedgeDecision;
        assert.equal(dto.state, 'skipped');
        assert.equal(shown.ratio, d.ratio);
        assert.equal(shown.targetHedge, -37_945);
        assert.ok('contributions' in shown && 'order' in shown);
      } finally {
        await r.done();
      }
    });

    test('halted: the signal is still journaled and decided, and skipped with HH_RISK_HALTED', GUARD, async () => {
      const r = rig(adapter);
      try {
        await r.controls.halt({ by: 'ops', at: T, reason: 'exchange maintenance' });
        const view = await r.send(OPEN);
        assert.equal(view.state, 'skipped');
        assert.match(view.outcome!.reason!, /^HH_RISK_HALTED: kill switch engaged/);
        const d = decisionOf(view);
        assert.equal(d.outcome, 'skipped');
        assert.equal(d.order, undefined);
        assert.equal(d.blockedOrder?.amount, 37_945, 'the order held back is recorded');
        assert.deepEqual(d.reasons.find((x) => x.code === 'HH_RISK_HALTED')?.detail, { haltReason: 'exchange maintenance' });

        await r.controls.resume({ by: 'ops', at: T + 500 });
        const after = await r.send({ ...OPEN, action: 'update' });
        assert.match(after.outcome!.reason!, new RegExp(`^${EXEC_UNAVAILABLE}`));
      } finally {
        await r.done();
      }
    });

    test('a stale signal is skipped; one from the future is rejected', GUARD, async () => {
      const r = rig(adapter);
      try {
        const stale = await r.send({ ...OPEN, time: T + 1_000 - 30_001 });
        assert.equal(stale.state, 'skipped');
        assert.match(stale.outcome!.reason!, /^HH_RISK_STALE_SIGNAL/);
        assert.deepEqual(decisionOf(stale).reasons.find((x) => x.code === 'HH_RISK_STALE_SIGNAL')?.detail, { ageMs: 30_001, maxSignalAgeMs: 30_000 });
        const future = await r.send({ ...OPEN, time: T + 1_000 + 5_001 });
        assert.equal(future.state, 'rejected');
        assert.match(future.outcome!.reason!, /^HH_RISK_SIGNAL_FROM_FUTURE/);
        // Without a time in the payload, the age counts from when it was received.
        const { time: _t, ...untimed } = OPEN;
        const old = await r.send(untimed, { receivedAt: T + 1_000 - 40_000 });
        assert.match(old.outcome!.reason!, /^HH_RISK_STALE_SIGNAL/);
      } finally {
        await r.done();
      }
    });

    test('a signal price too far from the market is rejected, and its position report is not applied', GUARD, async () => {
      const r = rig(adapter);
      try {
        r.market['TRX/USDT:USDT'] = 0.25; // 0.2412 is 3.5% below: over the 2% default
        const view = await r.send(OPEN);
        assert.equal(view.state, 'rejected');
        assert.match(view.outcome!.reason!, /^HH_RISK_PRICE_DEVIATION: signal price too far from the market price/);
        const d = decisionOf(view);
        assert.equal(d.outcome, 'rejected');
        assert.equal(d.inputs?.priceSource, 'market');
        assert.equal(d.reasons.find((x) => x.code === 'HH_RISK_PRICE_DEVIATION')?.detail?.marketPrice, 0.25);
        assert.deepEqual(r.stage.positions(), []);

        r.market['TRX/USDT:USDT'] = 0.2415; // 0.12% away: accepted, valued at the market
        const ok = await r.send({ ...OPEN, action: 'update' });
        assert.equal(decisionOf(ok).outcome, 'hedge');
        assert.equal(decisionOf(ok).order?.referencePrice, 0.2415);
      } finally {
        await r.done();
      }
    });

    test('the main position follows the signals; the ledger is rebuilt from the journal', GUARD, async () => {
      const r = rig(adapter);
      try {
        await r.send(OPEN);
        await r.send({ ...OPEN, account: 'alt', position: { side: 'short', size: 1_000, entryPrice: 0.24 } });
        let positions = r.stage.positions();
        assert.deepEqual(positions.map((p) => [p.account, p.symbol, p.main?.side, p.main?.size, p.netHedge]), [
          ['alt', 'TRX/USDT:USDT', 'short', 1_000, 0],
          ['main', 'TRX/USDT:USDT', 'long', 50_000, 0],
        ]);
        const closed = await r.send({ account: 'main', symbol: 'TRX/USDT:USDT', action: 'close', price: 0.2412, time: T });
        assert.equal(closed.state, 'skipped');
        assert.deepEqual(decisionOf(closed).reasons.map((x) => x.code), ['HH_RISK_CLOSE', 'HH_RISK_NO_CHANGE']);
        assert.equal(decisionOf(closed).targetHedge, 0);
        positions = r.stage.positions();
        assert.equal(positions.find((p) => p.account === 'main')?.main?.side, 'flat');

        // A restart: the same view from the journal alone.
        const restored = new DecisionState();
        if (r.h.path) {
          const again = openSqliteJournal({ path: r.h.path });
          try {
            assert.deepEqual(await restoreDecisionState(again, restored), { signals: 3, positions: 2, prices: 3, fills: 0 });
          } finally {
            await again.close();
          }
        } else {
          await restoreDecisionState(r.h.journal, restored);
        }
        assert.deepEqual(
          restored.positions().map((p) => [p.account, p.main?.side, p.main?.size]),
          positions.map((p) => [p.account, p.main?.side, p.main?.size]),
        );
      } finally {
        await r.done();
      }
    });

    test('`model use` switches the weights for the next decision', GUARD, async () => {
      const r = rig(adapter);
      try {
        await r.models.put(FITTED);
        await r.models.setActive(FITTED.version, { at: T, by: 'alice' });
        const d = decisionOf(await r.send(OPEN));
        assert.equal(d.modelVersion, 'fit-2026-W47');
        assert.ok(close(d.contributions.volatility!, 0.25 * 0.35));
        assert.ok(close(d.ratio!, Math.min(1, (0.4 * POSITION_FEATURE + 0.2 * 0.8 + 0.25 * 0.35 + 0.1 * 0.5 + 0.05 * 0.8) * 1.15)));
      } finally {
        await r.done();
      }
    });

    test('what cannot be decided is skipped with its reason: no position, no price, unknown instrument', GUARD, async () => {
      const r = rig(adapter);
      try {
        // Neither a price nor a position (the first signal of the symbol): no position is the reason.
        const nothing = await r.send({ account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', time: T });
        assert.match(nothing.outcome!.reason!, /^HH_RISK_NO_POSITION/);
        assert.equal(decisionOf(nothing).inputs?.priceSource, 'none');

        const { position: _p, ...bare } = OPEN;
        const none = await r.send(bare);
        assert.equal(none.state, 'skipped');
        assert.match(none.outcome!.reason!, /^HH_RISK_NO_POSITION/);
        assert.equal(decisionOf(none).targetHedge, null);
        assert.equal(typeof decisionOf(none).ratio, 'number');

        const btc = await r.send({ ...OPEN, symbol: 'BTC/USDT:USDT', price: 90_000 });
        assert.match(btc.outcome!.reason!, /^HH_RISK_UNKNOWN_INSTRUMENT/);
        assert.equal(typeof decisionOf(btc).ratio, 'number');

        const { price: _price, ...unpriced } = { ...OPEN, symbol: 'ETH/USDT:USDT' };
        const noPrice = await r.send(unpriced);
        assert.equal(noPrice.state, 'skipped');
        assert.match(noPrice.outcome!.reason!, /^HH_RISK_NO_PRICE/);
        assert.equal(decisionOf(noPrice).ratio, null);

        // The last price seen in a signal values a later signal without one.
        const { price: _x, ...trxUnpriced } = OPEN;
        const later = decisionOf(await r.send({ ...trxUnpriced, action: 'update' }));
        assert.equal(later.inputs?.priceSource, 'last-signal');
        assert.equal(later.inputs?.price, 0.2412);
      } finally {
        await r.done();
      }
    });

    test('volatility comes from the prices seen in signals once enough returns are in', GUARD, async () => {
      const r = rig(adapter);
      try {
        const prices = [0.24, 0.2412, 0.2405, 0.2431, 0.2428, 0.2419, 0.244, 0.2436, 0.245, 0.2447, 0.2461];
        let last: HedgeDecision | undefined;
        for (let i = 0; i < prices.length; i++) {
          r.clock.set(T + i * 60_000 + 1_000);
          last = decisionOf(await r.send({ ...OPEN, action: 'update', price: prices[i]!, time: T + i * 60_000 }));
          if (i < 10) assert.equal(last.inputs?.volatilityFrom, 'default', `signal ${i}`);
        }
        assert.equal(last!.inputs?.volatilityFrom, 'signal-ewma');
        assert.equal(last!.features.volatility, Math.min(1, annualisedVolatility(prices)!));
      } finally {
        await r.done();
      }
    });
  });
}
