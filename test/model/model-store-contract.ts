/**
 * The ModelStore contract: what every implementation (the reference InMemoryModelStore,
 * the journal's SqliteModelStore) must do. Each suite gets a fresh store from `open`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isHedgehookError } from '../../src/core/errors.ts';
import type { ModelStore, ModelVersion } from '../../src/core/model.ts';
import { DEFAULT_MODEL } from '../../src/model/registry.ts';

export const FITTED: ModelVersion = {
  kind: 'linear',
  version: 'fit-2026-W47',
  weights: { positionSize: 0.4, signalStrength: 0.2, volatility: 0.25, riskTolerance: 0.1, timeOfDay: 0.05 },
  uplift: { factor: 1.15, weekdays: [1, 2, 3, 4, 5], fromHourUtc: 1, toHourUtc: 4 },
  meta: {
    createdAt: Date.UTC(2026, 10, 30),
    createdBy: 'learner',
    parent: 'article-v1',
    fittedOn: { dataset: 'journal', from: Date.UTC(2026, 10, 1), to: Date.UTC(2026, 10, 29), samples: 1200, metrics: { netPnl: 412.5 } },
  },
};

export interface StoreFixture {
  store: ModelStore;
  cleanup(): Promise<void> | void;
}

const code = (c: string) => (e: unknown) => isHedgehookError(e) && e.code === c;

export function modelStoreContract(name: string, open: () => StoreFixture | Promise<StoreFixture>): void {
  describe(`${name} (the ModelStore contract)`, () => {
    const withStore = (fn: (store: ModelStore) => Promise<void>) => async () => {
      const f = await open();
      try {
        await fn(f.store);
      } finally {
        await f.cleanup();
      }
    };

    it('starts with the default stored and active, and no activation', withStore(async (store) => {
      assert.deepEqual((await store.list()).map((m) => m.version), ['article-v1']);
      assert.equal((await store.active()).version, 'article-v1');
      assert.deepEqual(await store.active(), JSON.parse(JSON.stringify(DEFAULT_MODEL)));
      assert.deepEqual(await store.activations(), []);
      assert.equal((await store.get('article-v1'))?.weights.positionSize, 0.35);
    }));

    it('put is idempotent for the same content and refuses a different one under the same version', withStore(async (store) => {
      await store.put(FITTED);
      await store.put(JSON.parse(JSON.stringify(FITTED)));
      await store.put(JSON.parse(JSON.stringify({ meta: FITTED.meta, weights: FITTED.weights, uplift: FITTED.uplift, version: FITTED.version, kind: 'linear' })));
      assert.deepEqual((await store.list()).map((m) => m.version), ['article-v1', 'fit-2026-W47']);
      await assert.rejects(store.put({ ...FITTED, weights: { ...FITTED.weights, positionSize: 0.5 } }), code('HH_ERR_MODEL_VERSION_EXISTS'));
      await assert.rejects(store.put({ ...DEFAULT_MODEL, weights: { ...DEFAULT_MODEL.weights, timeOfDay: 0.06 } }), code('HH_ERR_MODEL_VERSION_EXISTS'));
      await assert.rejects(store.put({ ...FITTED, version: 'bad', weights: { ...FITTED.weights, positionSize: -1 } }), code('HH_ERR_MODEL_INVALID'));
      assert.equal(await store.get('bad'), undefined);
      assert.deepEqual(await store.get('fit-2026-W47'), FITTED);
    }));

    it('use, then roll back, with who and when recorded; unknown versions are refused', withStore(async (store) => {
      await store.put(FITTED);
      await store.setActive('fit-2026-W47', { at: 1000, by: 'alice', reason: 'beat article-v1 out of sample' });
      assert.equal((await store.active()).version, 'fit-2026-W47');
      assert.deepEqual((await store.active()).weights, FITTED.weights);
      await store.setActive('article-v1', { at: 2000, by: 'bob', reason: 'rollback' });
      assert.equal((await store.active()).version, 'article-v1');
      await store.setActive('fit-2026-W47', { at: 3000, by: 'carol' });
      assert.equal((await store.active()).version, 'fit-2026-W47');
      assert.deepEqual(await store.activations(), [
        { version: 'fit-2026-W47', at: 1000, by: 'alice', reason: 'beat article-v1 out of sample' },
        { version: 'article-v1', at: 2000, by: 'bob', reason: 'rollback' },
        { version: 'fit-2026-W47', at: 3000, by: 'carol' },
      ]);
      await assert.rejects(store.setActive('nope', { at: 4000, by: 'x' }), code('HH_ERR_MODEL_NOT_FOUND'));
      assert.equal((await store.activations()).length, 3);
      assert.equal((await store.get('fit-2026-W47'))?.meta.fittedOn?.dataset, 'journal');
      assert.equal(await store.get('nope'), undefined);
    }));
  });
}
