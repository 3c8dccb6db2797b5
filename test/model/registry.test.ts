import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion, sameModel, type ModelVersion } from '../../src/model/registry.ts';
import { DEFAULT_CONTEXT, parseExplainContext } from '../../src/model/explain-context.ts';
import { isHedgehookError } from '../../src/core/errors.ts';

const fitted: ModelVersion = {
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

function invalid(input: unknown, fragment: string): void {
  assert.throws(
    () => parseModelVersion(input),
    (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MODEL_INVALID' && e.message.includes(fragment),
  );
}

describe('model version validation', () => {
  it('accepts the default and a fitted version, and survives a JSON round trip', () => {
    assert.deepEqual(parseModelVersion(JSON.parse(JSON.stringify(DEFAULT_MODEL))), JSON.parse(JSON.stringify(DEFAULT_MODEL)));
    assert.deepEqual(parseModelVersion(JSON.parse(JSON.stringify(fitted))), fitted);
  });

  it('rejects negative, missing, non-finite and unknown weights, naming the field', () => {
    invalid({ ...fitted, weights: { ...fitted.weights, riskTolerance: -0.1 } }, 'weights.riskTolerance');
    const { timeOfDay: _omit, ...missing } = fitted.weights;
    invalid({ ...fitted, weights: missing }, 'weights.timeOfDay');
    invalid({ ...fitted, weights: { ...fitted.weights, volatility: Number.POSITIVE_INFINITY } }, 'weights.volatility');
    invalid({ ...fitted, weights: { ...fitted.weights, leverage: 0.1 } }, 'weights');
  });

  it('rejects a bad uplift window, version name or fit period', () => {
    invalid({ ...fitted, uplift: { ...fitted.uplift, fromHourUtc: 4, toHourUtc: 1 } }, 'uplift.toHourUtc');
    invalid({ ...fitted, uplift: { ...fitted.uplift, weekdays: [1, 1] } }, 'uplift.weekdays');
    invalid({ ...fitted, uplift: { ...fitted.uplift, weekdays: [7] } }, 'uplift.weekdays');
    invalid({ ...fitted, version: 'has space' }, 'version');
    invalid({ ...fitted, meta: { ...fitted.meta, fittedOn: { dataset: 'x', from: 10, to: 5 } } }, 'meta.fittedOn.to');
    invalid({ ...fitted, kind: 'tree' }, 'kind');
  });

  it('sameModel ignores key order only', () => {
    const reordered = JSON.parse(JSON.stringify({ meta: fitted.meta, uplift: fitted.uplift, weights: fitted.weights, version: fitted.version, kind: 'linear' }));
    assert.equal(sameModel(fitted, reordered), true);
    assert.equal(sameModel(fitted, { ...fitted, weights: { ...fitted.weights, timeOfDay: 0.06 } }), false);
  });
});

describe('InMemoryModelStore (the ModelStore contract)', () => {
  it('starts with the default stored and active', async () => {
    const store = new InMemoryModelStore();
    assert.deepEqual((await store.list()).map((m) => m.version), ['article-v1']);
    assert.equal((await store.active()).version, 'article-v1');
    assert.deepEqual(await store.activations(), []);
  });

  it('put is idempotent for the same content and refuses a different one under the same version', async () => {
    const store = new InMemoryModelStore();
    await store.put(fitted);
    await store.put(JSON.parse(JSON.stringify(fitted)));
    assert.equal((await store.list()).length, 2);
    await assert.rejects(store.put({ ...fitted, weights: { ...fitted.weights, positionSize: 0.5 } }), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MODEL_VERSION_EXISTS');
    await assert.rejects(store.put({ ...fitted, version: 'bad', weights: { ...fitted.weights, positionSize: -1 } }), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MODEL_INVALID');
  });

  it('use, then roll back, with who and when recorded', async () => {
    const store = new InMemoryModelStore();
    await store.put(fitted);
    await store.setActive('fit-2026-W47', { at: 1000, by: 'alice', reason: 'beat article-v1 out of sample' });
    assert.equal((await store.active()).version, 'fit-2026-W47');
    await store.setActive('article-v1', { at: 2000, by: 'bob', reason: 'rollback' });
    assert.equal((await store.active()).version, 'article-v1');
    assert.deepEqual(await store.activations(), [
      { version: 'fit-2026-W47', at: 1000, by: 'alice', reason: 'beat article-v1 out of sample' },
      { version: 'article-v1', at: 2000, by: 'bob', reason: 'rollback' },
    ]);
    await assert.rejects(store.setActive('nope', { at: 3000, by: 'x' }), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_MODEL_NOT_FOUND');
    assert.equal((await store.get('fit-2026-W47'))?.meta.fittedOn?.dataset, 'journal');
    assert.equal(await store.get('nope'), undefined);
  });
});

describe('explain context', () => {
  it('takes the configured defaults for what it omits', () => {
    assert.deepEqual(parseExplainContext(undefined, DEFAULT_CONTEXT, 123), { now: 123, riskTolerance: 0.5, equity: 10_000 });
    assert.deepEqual(parseExplainContext({ volatility: 0.8, equity: 500 }, { riskTolerance: 0.2, equity: 1, volatility: 0.4 }, 5), {
      now: 5,
      riskTolerance: 0.2,
      equity: 500,
      volatility: 0.8,
    });
    assert.equal(parseExplainContext({}, { riskTolerance: 0.2, equity: 1, volatility: 0.4 }, 5).volatility, 0.4);
  });

  it('rejects out-of-range values and unknown keys with the path', () => {
    const bad = (input: unknown, fragment: string) =>
      assert.throws(() => parseExplainContext(input, DEFAULT_CONTEXT, 0), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_BAD_REQUEST' && e.message.includes(fragment));
    bad({ riskTolerance: 1.5 }, 'context.riskTolerance');
    bad({ equity: -1 }, 'context.equity');
    bad({ volatilty: 0.3 }, 'volatilty');
  });
});
