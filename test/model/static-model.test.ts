import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, evaluateSignal, explain, DEFAULT_MODEL } from '../../src/model/linear-model.ts';
import { parseModelVersion } from '../../src/model/registry.ts';
import { staticModel } from '../../src/model/static-model.ts';
import type { FeatureSet } from '../../src/model/features.ts';
import type { SignalPayload } from '../../src/core/signal.ts';

// Monday 2026-11-23 02:00 UTC: inside the article's uplift window.
const MONDAY_2AM = Date.UTC(2026, 10, 23, 2);

function features(values: Partial<FeatureSet['values']>): FeatureSet {
  return {
    values: { positionSize: 0, signalStrength: 0, volatility: 0, riskTolerance: 0, timeOfDay: 0, ...values },
    raw: { signalTime: MONDAY_2AM } as FeatureSet['raw'],
  };
}

describe('static hedge ratio as a model version', () => {
  it('returns its ratio whatever the features and the time of day', () => {
    const m = staticModel(0.5);
    for (const f of [features({}), features({ positionSize: 1, signalStrength: 1, volatility: 1, riskTolerance: 1, timeOfDay: 1 })]) {
      const e = evaluate(m, f);
      assert.equal(e.ratio, 0.5);
      assert.equal(e.contributions.intercept, 0.5);
      assert.equal(e.contributions.uplift, 0);
      assert.equal(e.modelVersion, 'static-0.5');
    }
    assert.equal(evaluate(staticModel(1), features({ positionSize: 1 })).ratio, 1);
    assert.equal(evaluate(staticModel(0), features({ positionSize: 1 })).ratio, 0);
  });

  it('is a valid stored version and rejects ratios outside [0, 1]', () => {
    assert.deepEqual(parseModelVersion(staticModel(0.25)), staticModel(0.25));
    assert.throws(() => staticModel(1.5), /\[0, 1\]/);
    assert.throws(() => staticModel(Number.NaN), /\[0, 1\]/);
    assert.throws(() => parseModelVersion({ ...staticModel(0.5), intercept: 1.2 }), /intercept must be ≤ 1/);
    assert.throws(() => parseModelVersion({ ...staticModel(0.5), intercept: -0.1 }), /intercept must be ≥ 0/);
  });

  it('adds an intercept to the weighted sum, before the clamp and the uplift', () => {
    const m = { ...DEFAULT_MODEL, version: 'with-intercept', intercept: 0.1 };
    const f = features({ positionSize: 0.5 });
    const base = evaluate(DEFAULT_MODEL, f);
    const shifted = evaluate(m, f);
    assert.ok(Math.abs(shifted.weightedSum - (base.weightedSum + 0.1)) < 1e-15);
    // Inside the uplift window both are ×1.2.
    assert.ok(Math.abs(shifted.ratio - Math.min(1, (base.weightedSum + 0.1) * 1.2)) < 1e-15);
  });

  it('leaves the article model output unchanged (no intercept key)', () => {
    const payload: SignalPayload = { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', strength: 0.8, price: 0.25, position: { side: 'long', size: 10_000, leverage: 2 } };
    const out = explain(payload, { now: MONDAY_2AM, equity: 1000, riskTolerance: 0.5 });
    assert.equal('intercept' in out.contributions, false);
    assert.equal(evaluateSignal(payload, { now: MONDAY_2AM, equity: 1000, riskTolerance: 0.5 }, staticModel(0.3)).ratio, 0.3);
  });
});
