import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignalListQuery } from '../../src/core/ports.ts';
import { DecisionState, reloadKeyState, restoreDecisionState } from '../../src/engine/decision-state.ts';
import { MemoryJournal } from '../../src/journal/memory.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { makeSignal } from '../journal/fixtures.ts';

const T0 = 1_800_000_000_000;

/**
 * The start-up fold reads the whole journal before the service answers its first webhook,
 * and the per-key reload runs before each decision with shared stores: both read the
 * payload and the state only, so they ask for listings without outcomes (the outcome is
 * most of what a read costs: see SignalListQuery.outcome).
 */
test('the start-up fold and the per-key reload ask for signals without their outcomes, and fold the same positions', async () => {
  const journal = new MemoryJournal();
  const queries: SignalListQuery[] = [];
  const list = journal.listSignals.bind(journal);
  journal.listSignals = async (query?: SignalListQuery) => {
    queries.push({ ...query });
    return list(query);
  };
  for (let n = 1; n <= 3; n++) {
    const s = makeSignal({ n, key: 'TRX/USDT:USDT' });
    await journal.append({ ...s, payload: { ...s.payload, position: { side: 'long', size: 1_000 * n } } });
    const [d] = await journal.claim(1, T0 + n);
    await journal.settle(d!, { state: 'skipped', reason: 'test', decision: { ratio: 0.4, contributions: { bias: 0.4 } } }, T0 + n);
  }

  const restored = new DecisionState();
  assert.deepEqual(await restoreDecisionState(journal, restored), { signals: 3, positions: 1, prices: 3, fills: 0 });
  assert.equal(restored.positions()[0]?.main?.size, 3_000, 'the newest settled report');
  const reloaded = new DecisionState();
  await reloadKeyState({ journal, orders: new MemoryOrderStore() }, reloaded, { account: 'main', symbol: 'TRX/USDT:USDT' });
  assert.deepEqual(reloaded.positions().map((p) => p.main?.size), [3_000]);

  assert.ok(queries.length >= 2);
  assert.deepEqual(queries.filter((q) => q.outcome !== false), [], 'every listing leaves the outcomes out');
});
