import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL, InMemoryModelStore, parseModelVersion, sameModel, type ModelVersion } from '../../src/model/registry.ts';
import { DEFAULT_CONTEXT, parseExplainContext } from '../../src/model/explain-context.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import { FITTED, modelStoreContract } from './model-store-contract.ts';

const fitted = FITTED;

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

modelStoreContract('InMemoryModelStore', () => ({ store: new InMemoryModelStore(), cleanup() {} }));

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
