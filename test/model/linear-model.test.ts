import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARTICLE_WEIGHTS,
  DEFAULT_MODEL,
  evaluate,
  evaluateSignal,
  explain,
  upliftApplies,
} from '../../src/model/linear-model.ts';
import type { FeatureContext, FeatureSet } from '../../src/model/features.ts';
import type { ModelVersion } from '../../src/core/model.ts';
import type { SignalPayload } from '../../src/core/signal.ts';

// 2026-11-23 is a Monday; 27 a Friday; 28 Saturday; 29 Sunday.
const at = (day: number, h: number, m = 0, s = 0, ms = 0) => Date.UTC(2026, 10, day, h, m, s, ms);

function close(actual: number, expected: number, eps = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);
}

/** Features fixed by hand, at a given time. */
function featuresAt(time: number, values: Partial<FeatureSet['values']> = {}): FeatureSet {
  return {
    values: { positionSize: 0.5, signalStrength: 0.8, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.3, ...values },
    raw: { signalTime: time } as FeatureSet['raw'],
  };
}

const payload: SignalPayload = {
  account: 'main',
  symbol: 'TRX/USDT:USDT',
  action: 'open',
  strength: 0.8,
  price: 0.25,
  position: { side: 'long', size: 10_000, leverage: 2 },
};
const ctx: FeatureContext = { now: at(24, 10), equity: 1000, riskTolerance: 0.5, volatility: 0.35 };

describe('the article model', () => {
  it('has the article weights and version', () => {
    assert.deepEqual(DEFAULT_MODEL.weights, { positionSize: 0.35, signalStrength: 0.25, volatility: 0.2, riskTolerance: 0.15, timeOfDay: 0.05 });
    assert.equal(DEFAULT_MODEL.version, 'article-v1');
    assert.deepEqual(DEFAULT_MODEL.uplift, { factor: 1.2, weekdays: [1, 2, 3, 4, 5], fromHourUtc: 1, toHourUtc: 4 });
  });

  it('hand-computed, Tuesday 10:00: 0.35·0.5 + 0.25·0.8 + 0.20·0.35 + 0.15·0.5 + 0.05·0.3 = 0.535', () => {
    const e = evaluateSignal(payload, ctx);
    assert.deepEqual(e.features, { positionSize: 0.5, signalStrength: 0.8, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.3 });
    close(e.contributions.positionSize, 0.175);
    close(e.contributions.signalStrength, 0.2);
    close(e.contributions.volatility, 0.07);
    close(e.contributions.riskTolerance, 0.075);
    close(e.contributions.timeOfDay, 0.015);
    assert.equal(e.contributions.uplift, 0);
    close(e.ratio, 0.535);
    assert.equal(e.uplift.active, false);
  });

  it('hand-computed, Tuesday 02:00: Σ = 0.56 (timeOfDay 0.8), × 1.2 = 0.672; the uplift adds 0.112', () => {
    const e = evaluateSignal({ ...payload, time: at(24, 2) }, ctx);
    close(e.baseRatio, 0.56);
    close(e.ratio, 0.672);
    close(e.contributions.uplift, 0.112);
    assert.equal(e.uplift.active, true);
    assert.equal(e.uplift.factor, 1.2);
  });

  it('clamps to 1, before and after the uplift', () => {
    const all1 = { positionSize: 1, signalStrength: 1, volatility: 1, riskTolerance: 1, timeOfDay: 1 };
    assert.equal(evaluate(DEFAULT_MODEL, featuresAt(at(24, 10), all1)).ratio, 1);
    const e = evaluate(DEFAULT_MODEL, featuresAt(at(24, 2), all1));
    assert.equal(e.ratio, 1);
    const heavy: ModelVersion = { ...DEFAULT_MODEL, weights: { ...ARTICLE_WEIGHTS, positionSize: 5 } };
    const h = evaluate(heavy, featuresAt(at(24, 10)));
    assert.ok(h.weightedSum > 1);
    assert.equal(h.ratio, 1);
  });

  it('clamps to 0 and never goes negative', () => {
    const zero = { positionSize: 0, signalStrength: 0, volatility: 0, riskTolerance: 0, timeOfDay: 0 };
    assert.equal(evaluate(DEFAULT_MODEL, featuresAt(at(24, 2), zero)).ratio, 0);
  });

  it('higher leverage hedges more', () => {
    const r = (leverage: number) => evaluateSignal({ ...payload, position: { side: 'long', size: 10_000, leverage } }, ctx).ratio;
    assert.ok(r(1) < r(2) && r(2) < r(10) && r(10) < r(50));
  });

  it('a higher risk tolerance hedges less', () => {
    const r = (riskTolerance: number) => evaluateSignal(payload, { ...ctx, riskTolerance }).ratio;
    assert.ok(r(0) > r(0.5) && r(0.5) > r(1));
    close(r(0) - r(1), 0.15);
  });
});

describe('the weekday 01:00–04:00 UTC uplift', () => {
  const cases: [string, number, boolean][] = [
    ['Monday 00:59', at(23, 0, 59), false],
    ['Monday 00:59:59.999', at(23, 0, 59, 59, 999), false],
    ['Monday 01:00', at(23, 1, 0), true],
    ['Tuesday 02:30', at(24, 2, 30), true],
    ['Wednesday 03:59', at(25, 3, 59), true],
    ['Thursday 03:59:59.999', at(26, 3, 59, 59, 999), true],
    ['Friday 01:00', at(27, 1, 0), true],
    ['Friday 03:59', at(27, 3, 59), true],
    ['Friday 04:00', at(27, 4, 0), false],
    ['Monday 04:00', at(23, 4, 0), false],
    ['Saturday 01:00', at(28, 1, 0), false],
    ['Saturday 02:00', at(28, 2, 0), false],
    ['Sunday 01:00', at(29, 1, 0), false],
    ['Sunday 03:59', at(29, 3, 59), false],
    ['Tuesday 13:00', at(24, 13, 0), false],
  ];
  for (const [name, time, active] of cases) {
    it(`${name} UTC → ${active ? 'uplift ×1.2' : 'no uplift'}`, () => {
      assert.equal(upliftApplies(DEFAULT_MODEL.uplift, time), active);
      const e = evaluate(DEFAULT_MODEL, featuresAt(time));
      assert.equal(e.uplift.active, active);
      assert.equal(e.ratio, active ? Math.min(1, e.baseRatio * 1.2) : e.baseRatio);
      assert.equal(e.contributions.uplift > 0, active);
    });
  }

  it('is judged on the signal time, not on the clock', () => {
    const e = evaluateSignal({ ...payload, time: at(24, 2) }, { ...ctx, now: at(24, 10) });
    assert.equal(e.uplift.active, true);
    const f = evaluateSignal({ ...payload, time: at(28, 2) }, { ...ctx, now: at(24, 2) });
    assert.equal(f.uplift.active, false);
    const g = evaluateSignal(payload, { ...ctx, now: at(24, 2) });
    assert.equal(g.uplift.active, true);
  });

  it('a model without uplift never raises', () => {
    const m: ModelVersion = { ...DEFAULT_MODEL, version: 'flat', uplift: null };
    const e = evaluate(m, featuresAt(at(24, 2)));
    assert.equal(e.ratio, e.baseRatio);
    assert.equal(e.contributions.uplift, 0);
  });
});

describe('explain', () => {
  it('returns exactly {ratio, features, contributions, modelVersion}, JSON-serialisable', () => {
    const out = explain({ ...payload, time: at(24, 2) }, ctx);
    assert.deepEqual(Object.keys(out).sort(), ['contributions', 'features', 'modelVersion', 'ratio']);
    assert.deepEqual(Object.keys(out.features).sort(), ['positionSize', 'riskTolerance', 'signalStrength', 'timeOfDay', 'volatility']);
    assert.deepEqual(Object.keys(out.contributions).sort(), ['positionSize', 'riskTolerance', 'signalStrength', 'timeOfDay', 'uplift', 'volatility']);
    assert.equal(out.modelVersion, 'article-v1');
    close(out.ratio, 0.672);
    assert.deepEqual(JSON.parse(JSON.stringify(out)), out);
  });

  it('the contributions add up to the ratio when no clamp applies', () => {
    const out = explain({ ...payload, time: at(24, 2) }, ctx);
    const sum = Object.values(out.contributions).reduce((a, b) => a + b, 0);
    close(sum, out.ratio);
  });

  it('uses the model it is given', () => {
    const m: ModelVersion = { ...DEFAULT_MODEL, version: 'fit-1', weights: { positionSize: 1, signalStrength: 0, volatility: 0, riskTolerance: 0, timeOfDay: 0 } };
    const out = explain(payload, ctx, m);
    assert.equal(out.modelVersion, 'fit-1');
    assert.equal(out.ratio, 0.5);
  });
});
