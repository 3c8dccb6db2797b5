/** Property-based: the ratio stays in [0, 1] and moves the right way with every input. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DEFAULT_MODEL, evaluateSignal } from '../../src/model/linear-model.ts';
import { FEATURE_NAMES, type ModelVersion } from '../../src/core/model.ts';
import type { FeatureContext } from '../../src/model/features.ts';
import type { SignalPayload } from '../../src/core/signal.ts';

const RUNS = { numRuns: 500 };
const YEAR_2026 = Date.UTC(2026, 0, 1);

const weight = fc.double({ min: 0, max: 2, noNaN: true });
const model: fc.Arbitrary<ModelVersion> = fc.oneof(
  fc.constant(DEFAULT_MODEL),
  fc.record({
    weights: fc.record(Object.fromEntries(FEATURE_NAMES.map((n) => [n, weight])) as Record<(typeof FEATURE_NAMES)[number], fc.Arbitrary<number>>),
    factor: fc.double({ min: 0.5, max: 3, noNaN: true }),
  }).map(({ weights, factor }) => ({ ...DEFAULT_MODEL, version: 'random', weights, uplift: { ...DEFAULT_MODEL.uplift!, factor } })),
);

interface Inputs {
  size: number;
  side: 'long' | 'short';
  price: number;
  leverage: number;
  equity: number;
  strength: number;
  volatility: number;
  tolerance: number;
  time: number;
}

const inputs: fc.Arbitrary<Inputs> = fc.record({
  size: fc.double({ min: 0, max: 1e9, noNaN: true }),
  side: fc.constantFrom('long' as const, 'short' as const),
  price: fc.double({ min: 1e-6, max: 1e5, noNaN: true }),
  leverage: fc.double({ min: 1, max: 125, noNaN: true }),
  equity: fc.double({ min: 1, max: 1e9, noNaN: true }),
  strength: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
  volatility: fc.double({ min: 0, max: 5, noNaN: true }),
  tolerance: fc.double({ min: 0, max: 1, noNaN: true }),
  time: fc.integer({ min: YEAR_2026, max: YEAR_2026 + 366 * 86_400_000 }),
});

function ratio(i: Inputs, m: ModelVersion): number {
  const payload: SignalPayload = {
    account: 'a',
    symbol: 'TRX/USDT:USDT',
    action: 'open',
    strength: i.strength,
    price: i.price,
    time: i.time,
    position: { side: i.side, size: i.size, leverage: i.leverage },
  };
  const context: FeatureContext = { now: i.time, equity: i.equity, riskTolerance: i.tolerance, volatility: i.volatility };
  return evaluateSignal(payload, context, m).ratio;
}

/** Two values, ordered. */
const ordered = (arb: fc.Arbitrary<number>) => fc.tuple(arb, arb).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);

describe('ratio properties', () => {
  it('stays in [0, 1] for any inputs and any non-negative model', () => {
    fc.assert(
      fc.property(inputs, model, (i, m) => {
        const r = ratio(i, m);
        return Number.isFinite(r) && r >= 0 && r <= 1;
      }),
      RUNS,
    );
  });

  const monotone: [keyof Inputs, fc.Arbitrary<number>, 'up' | 'down'][] = [
    ['size', fc.double({ min: 0, max: 1e9, noNaN: true }), 'up'],
    ['leverage', fc.double({ min: 1, max: 125, noNaN: true }), 'up'],
    ['strength', fc.double({ min: -0.5, max: 1.5, noNaN: true }), 'up'],
    ['volatility', fc.double({ min: 0, max: 5, noNaN: true }), 'up'],
    ['tolerance', fc.double({ min: 0, max: 1, noNaN: true }), 'down'],
  ];
  for (const [key, arb, direction] of monotone) {
    it(`more ${key} never hedges ${direction === 'up' ? 'less' : 'more'}`, () => {
      fc.assert(
        fc.property(inputs, model, ordered(arb), (i, m, [lo, hi]) => {
          const rLo = ratio({ ...i, [key]: lo }, m);
          const rHi = ratio({ ...i, [key]: hi }, m);
          return direction === 'up' ? rLo <= rHi : rLo >= rHi;
        }),
        RUNS,
      );
    });
  }

  it('more equity never hedges more (the same position is a smaller share of it)', () => {
    fc.assert(
      fc.property(inputs, model, ordered(fc.double({ min: 1, max: 1e9, noNaN: true })), (i, m, [lo, hi]) => ratio({ ...i, equity: lo }, m) >= ratio({ ...i, equity: hi }, m)),
      RUNS,
    );
  });

  it('the uplift never lowers the ratio under the article model', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const payload: SignalPayload = { account: 'a', symbol: 'S', action: 'open', strength: i.strength, price: i.price, time: i.time, position: { side: i.side, size: i.size, leverage: i.leverage } };
        const e = evaluateSignal(payload, { now: i.time, equity: i.equity, riskTolerance: i.tolerance, volatility: i.volatility });
        return e.ratio >= e.baseRatio && (e.uplift.active ? e.ratio === Math.min(1, e.baseRatio * 1.2) : e.ratio === e.baseRatio);
      }),
      RUNS,
    );
  });

  it('the uplift is active exactly on Mon–Fri, 01:00 ≤ UTC < 04:00', () => {
    fc.assert(
      fc.property(inputs, (i) => {
        const payload: SignalPayload = { account: 'a', symbol: 'S', action: 'open', time: i.time };
        const e = evaluateSignal(payload, { now: i.time, equity: 1, riskTolerance: 0.5 });
        const d = new Date(i.time);
        const expected = d.getUTCDay() >= 1 && d.getUTCDay() <= 5 && d.getUTCHours() >= 1 && d.getUTCHours() < 4;
        assert.equal(e.uplift.active, expected);
      }),
      RUNS,
    );
  });
});
