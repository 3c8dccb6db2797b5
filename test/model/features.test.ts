import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_FEATURE_SETTINGS,
  HOURLY_RISK,
  computeFeatures,
  positionSizeFeature,
  riskToleranceFeature,
  signalStrengthFeature,
  timeOfDayFeature,
  utcHourAndWeekday,
  volatilityFeature,
  type FeatureContext,
} from '../../src/model/features.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import type { SignalPayload } from '../../src/core/signal.ts';

const TUE_0130 = Date.UTC(2026, 10, 24, 1, 30); // Tuesday 2026-11-24 01:30 UTC
const TUE_1000 = Date.UTC(2026, 10, 24, 10, 0);

function payload(over: Partial<SignalPayload> = {}): SignalPayload {
  return { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', ...over };
}
const ctx: FeatureContext = { now: TUE_1000, equity: 1000, riskTolerance: 0.5 };

function close(actual: number, expected: number, eps = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);
}

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => isHedgehookError(e) && e.code === code);
}

describe('positionSize', () => {
  it('saturating curve: x = k scores 0.5, x = 3k scores 0.75, 0 scores 0', () => {
    assert.equal(positionSizeFeature(5, { kind: 'saturating', halfAt: 5 }), 0.5);
    assert.equal(positionSizeFeature(15, { kind: 'saturating', halfAt: 5 }), 0.75);
    assert.equal(positionSizeFeature(0), 0);
    assert.equal(positionSizeFeature(Infinity), 1);
  });

  it('linear curve clamps at fullAt', () => {
    assert.equal(positionSizeFeature(10, { kind: 'linear', fullAt: 20 }), 0.5);
    assert.equal(positionSizeFeature(40, { kind: 'linear', fullAt: 20 }), 1);
  });

  it('is notional × leverage / equity: 10 000 TRX × 0.25 × 2 / 1000 USDT = 5 → 0.5', () => {
    const f = computeFeatures(payload({ price: 0.25, position: { side: 'long', size: 10_000, leverage: 2 } }), ctx);
    assert.equal(f.raw.notional, 2500);
    assert.equal(f.raw.exposureMultiple, 5);
    assert.equal(f.values.positionSize, 0.5);
  });

  it('the article example: 50 000 TRX at 0.2412, 10×, 10 000 USDT → x = 12.06 → 1 − 5/17.06', () => {
    const f = computeFeatures(
      payload({ price: 0.2412, position: { side: 'long', size: 50_000, entryPrice: 0.2381, leverage: 10 } }),
      { ...ctx, equity: 10_000 },
    );
    close(f.raw.exposureMultiple, 12.06);
    close(f.values.positionSize, 1 - 5 / 17.06);
  });

  it('short positions count by their size', () => {
    const long = computeFeatures(payload({ price: 0.25, position: { side: 'long', size: 4000 } }), ctx);
    const short = computeFeatures(payload({ price: 0.25, position: { side: 'short', size: 4000 } }), ctx);
    assert.equal(long.values.positionSize, short.values.positionSize);
    assert.ok(long.values.positionSize > 0);
  });

  it('flat or absent position scores 0', () => {
    assert.equal(computeFeatures(payload({ price: 0.25, position: { side: 'flat', size: 0 } }), ctx).values.positionSize, 0);
    const none = computeFeatures(payload(), ctx);
    assert.equal(none.values.positionSize, 0);
    assert.equal(none.raw.positionSource, 'none');
  });

  it('uses the venue position when the payload has none', () => {
    const f = computeFeatures(payload({ price: 0.25 }), { ...ctx, position: { side: 'long', size: 10_000, leverage: 2 } });
    assert.equal(f.raw.positionSource, 'context');
    assert.equal(f.values.positionSize, 0.5);
  });

  it('values at the market price first, then the signal price, then the entry price', () => {
    const position = { side: 'long' as const, size: 1000, entryPrice: 0.2 };
    assert.deepEqual(
      [computeFeatures(payload({ price: 0.3, position }), { ...ctx, markPrice: 0.25 }).raw.price, computeFeatures(payload({ price: 0.3, position }), ctx).raw.price, computeFeatures(payload({ position }), ctx).raw.price],
      [0.25, 0.3, 0.2],
    );
  });

  it('leverage: position, then context, then the default of 1', () => {
    const p = payload({ price: 1, position: { side: 'long', size: 1000 } });
    assert.equal(computeFeatures(p, ctx).raw.leverage, 1);
    assert.equal(computeFeatures(p, { ...ctx, leverage: 3 }).raw.leverage, 3);
    assert.equal(computeFeatures(payload({ price: 1, position: { side: 'long', size: 1000, leverage: 7 } }), { ...ctx, leverage: 3 }).raw.leverage, 7);
  });

  it('equity ≤ 0 with an open position scores 1', () => {
    assert.equal(computeFeatures(payload({ price: 1, position: { side: 'long', size: 1 } }), { ...ctx, equity: 0 }).values.positionSize, 1);
  });

  it('an open position without any price is an error, not a silent 0', () => {
    throwsCode(() => computeFeatures(payload({ position: { side: 'long', size: 1000 } }), ctx), 'HH_ERR_PRICE_UNAVAILABLE');
  });

  it('non-finite inputs are errors', () => {
    throwsCode(() => computeFeatures(payload(), { ...ctx, equity: Number.NaN }), 'HH_ERR_INVALID_NUMBER');
    throwsCode(() => computeFeatures(payload({ price: 1, position: { side: 'long', size: 1, leverage: 0 } }), ctx), 'HH_ERR_INVALID_NUMBER');
  });
});

describe('signalStrength', () => {
  it('is the payload strength, else the configured default, clamped', () => {
    assert.equal(signalStrengthFeature(0.8, 0.5), 0.8);
    assert.equal(signalStrengthFeature(undefined, 0.5), 0.5);
    assert.equal(signalStrengthFeature(1.7, 0.5), 1);
    assert.equal(computeFeatures(payload(), { ...ctx }, { ...DEFAULT_FEATURE_SETTINGS, defaultStrength: 0.3 }).values.signalStrength, 0.3);
    const f = computeFeatures(payload({ strength: 0.9 }), ctx);
    assert.equal(f.values.signalStrength, 0.9);
    assert.equal(f.raw.strengthSource, 'payload');
  });
});

describe('volatility', () => {
  it('is σ / fullScale clamped: 35% → 0.35, 150% → 1, with a 0.5 scale 35% → 0.7', () => {
    assert.equal(volatilityFeature(0.35, 1), 0.35);
    assert.equal(volatilityFeature(1.5, 1), 1);
    assert.equal(volatilityFeature(0.35, 0.5), 0.7);
    assert.equal(volatilityFeature(-0.1, 1), 0);
  });

  it('the context overrides the configured default', () => {
    assert.equal(computeFeatures(payload(), ctx).values.volatility, 0.35);
    assert.equal(computeFeatures(payload(), ctx).raw.volatilitySource, 'default');
    const f = computeFeatures(payload(), { ...ctx, volatility: 0.8 });
    assert.equal(f.values.volatility, 0.8);
    assert.equal(f.raw.volatilitySource, 'context');
  });
});

describe('riskTolerance', () => {
  it('is the aversion 1 − tolerance', () => {
    assert.equal(riskToleranceFeature(0), 1);
    assert.equal(riskToleranceFeature(1), 0);
    assert.equal(riskToleranceFeature(0.25), 0.75);
    assert.equal(computeFeatures(payload(), { ...ctx, riskTolerance: 0.25 }).values.riskTolerance, 0.75);
  });
});

describe('timeOfDay', () => {
  it('has 24 scores in [0, 1] and the Asian thin hours 01–03 at the top', () => {
    assert.equal(HOURLY_RISK.length, 24);
    for (const s of HOURLY_RISK) assert.ok(s >= 0 && s <= 1);
    const max = Math.max(...HOURLY_RISK);
    assert.deepEqual([HOURLY_RISK[1], HOURLY_RISK[2], HOURLY_RISK[3]], [max, max, max]);
    assert.ok((HOURLY_RISK[10] ?? 1) < max);
  });

  it('reads the UTC hour of the signal time, else of now', () => {
    assert.equal(timeOfDayFeature(TUE_0130), HOURLY_RISK[1]);
    assert.equal(timeOfDayFeature(TUE_1000), HOURLY_RISK[10]);
    const f = computeFeatures(payload({ time: TUE_0130 }), ctx);
    assert.equal(f.values.timeOfDay, 0.8);
    assert.equal(f.raw.utcHour, 1);
    assert.equal(f.raw.timeSource, 'payload');
    const g = computeFeatures(payload(), ctx);
    assert.equal(g.values.timeOfDay, 0.3);
    assert.equal(g.raw.timeSource, 'clock');
  });

  it('utcHourAndWeekday agrees with Date, including before 1970', () => {
    for (const t of [0, -1, TUE_0130, Date.UTC(2026, 10, 28, 23, 59, 59, 999), Date.UTC(1969, 6, 20, 20, 17)]) {
      const d = new Date(t);
      assert.deepEqual(utcHourAndWeekday(t), { hour: d.getUTCHours(), weekday: d.getUTCDay() });
    }
  });
});

describe('computeFeatures', () => {
  it('returns every feature in [0, 1] and the raw inputs', () => {
    const f = computeFeatures(payload({ strength: 0.8, price: 0.2412, time: TUE_0130, position: { side: 'long', size: 50_000, leverage: 10 } }), { ...ctx, volatility: 0.35 });
    assert.deepEqual(Object.keys(f.values).sort(), ['positionSize', 'riskTolerance', 'signalStrength', 'timeOfDay', 'volatility']);
    for (const v of Object.values(f.values)) assert.ok(v >= 0 && v <= 1);
    assert.equal(f.raw.positionSize, 50_000);
    assert.equal(f.raw.utcWeekday, 2);
  });
});
