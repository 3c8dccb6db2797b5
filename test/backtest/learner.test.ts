import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FEATURE_NAMES, type FeatureName } from '../../src/core/model.ts';
import { DEFAULT_LEARNER, fitWeights, hedgeLoss, hindsightRatio, linearRatio, walkForward, walkForwardSteps, type LearnerSample } from '../../src/model/learner.ts';
import { parseModelVersion } from '../../src/model/registry.ts';
import { fittedModel } from '../../src/model/learner.ts';
import { seededRandom } from '../../src/core/random.ts';

const DAY = 86_400_000;

function sample(time: number, features: Partial<Record<FeatureName, number>>, adverseMove: number, hedgeCost = 0.002): LearnerSample {
  const f = Object.fromEntries(FEATURE_NAMES.map((n) => [n, features[n] ?? 0])) as Record<FeatureName, number>;
  return { time, features: f, adverseMove, liquidationDistance: 0.0935, hedgeCost, notional: 10_000 };
}

describe('hindsight-best ratio', () => {
  it('is 0 when the position was never near liquidation, and the smallest safe ratio when it was', () => {
    // 10x: d = 0.1 − 0.0065 = 0.0935; safe means (1 − r)·a < 0.8·d = 0.0748.
    assert.equal(hindsightRatio({ adverseMove: 0.05, liquidationDistance: 0.0935, hedgeCost: 0.002 }), 0);
    // a = 0.15: r > 1 − 0.0748/0.15 = 0.5013 → 0.55 on the grid (0.5 leaves exactly 0.075 ≥ 0.0748).
    assert.equal(hindsightRatio({ adverseMove: 0.15, liquidationDistance: 0.0935, hedgeCost: 0.002 }), 0.55);
    assert.ok(Math.abs(hedgeLoss(0.55, { adverseMove: 0.15, liquidationDistance: 0.0935, hedgeCost: 0.002 }) - 0.0011) < 1e-15);
    // A hedge that costs more than the margin it saves is not worth it.
    assert.equal(hindsightRatio({ adverseMove: 0.15, liquidationDistance: 0.0935, hedgeCost: 0.2 }), 0);
  });
});

describe('fit', () => {
  it('recovers known non-negative weights and intercept from noiseless targets', () => {
    const random = seededRandom(7);
    const samples: LearnerSample[] = [];
    const targets: number[] = [];
    for (let i = 0; i < 400; i++) {
      const s = sample(i, { positionSize: random(), signalStrength: random(), volatility: random(), riskTolerance: random(), timeOfDay: random() }, 0);
      samples.push(s);
      targets.push(0.1 + 0.5 * s.features.volatility + 0.2 * s.features.positionSize);
    }
    const fit = fitWeights(samples, targets);
    const expected = { positionSize: 0.2, signalStrength: 0, volatility: 0.5, riskTolerance: 0, timeOfDay: 0 };
    for (const f of FEATURE_NAMES) assert.ok(Math.abs(fit.weights[f] - expected[f]) < 1e-6, `${f}: ${fit.weights[f]}`);
    assert.ok(Math.abs(fit.intercept - 0.1) < 1e-6, `intercept ${fit.intercept}`);
  });

  it('keeps weights within their bounds when the unconstrained answer is outside', () => {
    const samples = [0, 0.25, 0.5, 0.75, 1].map((x, i) => sample(i, { volatility: x }, 0));
    // target = 0.8 − 0.6·volatility: a negative slope is not allowed, so the weight is 0
    // and the intercept takes the mean.
    const fit = fitWeights(samples, samples.map((s) => 0.8 - 0.6 * s.features.volatility));
    assert.equal(fit.weights.volatility, 0);
    assert.ok(Math.abs(fit.intercept - 0.5) < 1e-9);
    const big = fitWeights(samples, samples.map((s) => 3 * s.features.volatility), { trainWeeks: 4, maxWeight: 1, sweeps: 200, minSamples: 1 });
    assert.equal(big.weights.volatility, 1);
  });
});

describe('walk-forward', () => {
  // Danger comes with size: a large position (positionSize 1) later moves 15% against it,
  // a small one 2%. The hindsight ratio is 0.55 for the large ones, 0 for the rest, which a
  // linear model can express exactly: weight 0.55 on positionSize.
  function history(weeks: number): LearnerSample[] {
    const random = seededRandom(3);
    const out: LearnerSample[] = [];
    for (let i = 0; i < weeks * 7 * 4; i++) {
      const large = random() < 0.3 ? 1 : 0;
      out.push(sample((i * DAY) / 4, { positionSize: large, timeOfDay: random() }, large ? 0.15 : 0.02));
    }
    return out;
  }

  it('fits each week on the trailing weeks, evaluates on the next, and promotes a model that beats the active one', () => {
    const never = () => 0;
    const wf = walkForward(history(6), never);
    assert.equal(wf.weeks.length, 5);
    assert.ok(wf.weeks.every((w) => w.trainSamples > 0 && w.candidate.samples > 0));
    // Never hedging is liquidated on every large position; the fit learns to hedge those.
    assert.ok(wf.active.liquidations > 0);
    assert.equal(wf.candidate.liquidations, 0);
    assert.ok(Math.abs(wf.final!.weights.positionSize - 0.55) < 1e-6, JSON.stringify(wf.final));
    assert.ok(wf.final!.weights.timeOfDay < 1e-6 && wf.final!.intercept < 1e-6);
    // More cost than never hedging: not promoted (it must beat it on both).
    assert.equal(wf.beatsActive, false);
    // Against always hedging fully it is cheaper and no worse on liquidations: promoted.
    const full = walkForward(history(6), () => 1);
    assert.equal(full.beatsActive, true);
    assert.ok(full.candidate.cost < full.active.cost);
    const model = fittedModel(full.final!, { version: 'fit-test', parent: 'article-v1', dataset: 'synthetic', from: 0, to: 6 * 7 * DAY, samples: full.finalSamples, createdAt: 0, metrics: {} });
    assert.deepEqual(parseModelVersion(model), model);
    assert.ok(Math.abs(linearRatio(full.final!)(sample(0, { positionSize: 1 }, 0)) - 0.55) < 1e-6);
  });

  it('walkForwardSteps yields once per week fitted and returns what walkForward does', () => {
    const steps = walkForwardSteps(history(6), () => 1);
    let yields = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) yields++;
    assert.equal(yields, 5);
    assert.deepEqual(step.value, walkForward(history(6), () => 1));
  });
});

describe('fitWeights over typed columns', () => {
  /** The coordinate descent as first written, reading each cell through the sample: the reference. */
  function plainFit(samples: readonly LearnerSample[], targets: readonly number[], maxWeight: number, sweeps: number) {
    const n = samples.length;
    const p = FEATURE_NAMES.length + 1;
    const x = (i: number, j: number): number => (j === p - 1 ? 1 : samples[i]!.features[FEATURE_NAMES[j]!]);
    const beta = new Array<number>(p).fill(0);
    const residual = targets.slice(0, n);
    for (let sweep = 0; sweep < sweeps; sweep++) {
      for (let j = 0; j < p; j++) {
        let num = 0;
        let den = 0;
        for (let i = 0; i < n; i++) {
          const xij = x(i, j);
          num += xij * (residual[i]! + xij * beta[j]!);
          den += xij * xij;
        }
        if (den === 0) continue;
        const next = Math.min(j === p - 1 ? 1 : maxWeight, Math.max(0, num / den));
        const delta = next - beta[j]!;
        if (delta !== 0) {
          for (let i = 0; i < n; i++) residual[i]! -= delta * x(i, j);
          beta[j] = next;
        }
      }
    }
    const round = (v: number) => Math.round(v * 1e9) / 1e9;
    return { weights: Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, round(beta[j]!)])), intercept: round(beta[p - 1]!) };
  }

  it('gives exactly the weights of the plain coordinate descent, on random data with a feature left at zero', () => {
    for (const seed of [1, 2, 3]) {
      const random = seededRandom(seed);
      const samples = Array.from({ length: 500 }, (_, i) =>
        sample(i * DAY, { positionSize: random(), signalStrength: random() * random(), volatility: random() > 0.5 ? 1 : 0, riskTolerance: 0, timeOfDay: random() }, random() * 0.2),
      );
      const targets = samples.map(() => random());
      for (const maxWeight of [1, 0.3]) {
        assert.deepEqual(fitWeights(samples, targets, { ...DEFAULT_LEARNER, maxWeight }), plainFit(samples, targets, maxWeight, DEFAULT_LEARNER.sweeps), `seed ${seed}, maxWeight ${maxWeight}`);
      }
    }
  });
});
