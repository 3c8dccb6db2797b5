/** Exact decimal arithmetic and rounding at exchange precision (src/core/decimal.ts, instrument.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Decimal, divRound } from '../../src/core/decimal.ts';
import {
  TRX_USDT_PERP,
  maxAmountForNotional,
  meetsMinNotional,
  notionalExact,
  roundAmount,
  roundLimitPrice,
  roundPrice,
  type InstrumentSpec,
} from '../../src/core/instrument.ts';
import { isHedgehookError } from '../../src/core/errors.ts';

const TENTH: InstrumentSpec = { symbol: 'X', tickSize: '0.01', stepSize: '0.1', minNotional: '5', contractSize: '1' };

describe('Decimal', () => {
  it('reads numbers by their shortest representation, and exponent notation', () => {
    assert.equal(Decimal.from(0.1).toString(), '0.1');
    assert.equal(Decimal.from(0.1 + 0.2).toString(), '0.30000000000000004');
    assert.equal(Decimal.from(1e-7).toString(), '0.0000001');
    assert.equal(Decimal.from(1.5e21).toString(), '1500000000000000000000');
    assert.equal(Decimal.from('-0.000010').toString(), '-0.00001');
    assert.equal(Decimal.from('.5').toString(), '0.5');
    assert.equal(Decimal.from(-0).toString(), '0');
  });

  it('adds, subtracts and multiplies exactly', () => {
    assert.equal(Decimal.from(0.1).add(0.2).toString(), '0.3');
    assert.equal(Decimal.from(0.3).sub(0.1).toString(), '0.2');
    assert.equal(Decimal.from(0.29).mul(100).toString(), '29');
    assert.equal(Decimal.from('1.10').mul('2.5').toString(), '2.75');
    assert.ok(Decimal.from('0.30').eq(0.3));
    assert.ok(Decimal.from(-2).lt(-1));
  });

  it('refuses what is not a finite decimal', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 'abc', '', '1.2.3', '1e999']) {
      assert.throws(() => Decimal.from(bad as never), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER', String(bad));
    }
  });

  it('divRound rounds in the named direction', () => {
    const table: [bigint, bigint, Record<string, bigint>][] = [
      [7n, 2n, { down: 3n, up: 4n, floor: 3n, ceil: 4n, 'half-up': 4n }],
      [-7n, 2n, { down: -3n, up: -4n, floor: -4n, ceil: -3n, 'half-up': -4n }],
      [7n, 3n, { down: 2n, up: 3n, floor: 2n, ceil: 3n, 'half-up': 2n }],
      [-8n, 3n, { down: -2n, up: -3n, floor: -3n, ceil: -2n, 'half-up': -3n }],
      [6n, -3n, { down: -2n, up: -2n, floor: -2n, ceil: -2n, 'half-up': -2n }],
    ];
    for (const [a, b, modes] of table) {
      for (const [mode, expected] of Object.entries(modes)) assert.equal(divRound(a, b, mode as never), expected, `${a}/${b} ${mode}`);
    }
  });
});

describe('amounts: toward zero to the step', () => {
  it('12345.9 TRX → 12345; −12345.9 → −12345; 0.9 → 0', () => {
    assert.equal(roundAmount(TRX_USDT_PERP, 12345.9), 12345);
    assert.equal(roundAmount(TRX_USDT_PERP, -12345.9), -12345);
    assert.equal(roundAmount(TRX_USDT_PERP, 0.9), 0);
    assert.equal(roundAmount(TRX_USDT_PERP, 12345), 12345);
  });

  it('float traps: 0.1 + 0.2 and 0.3 at step 0.1 are 0.3 (floor(0.3 / 0.1) × 0.1 would give 0.2)', () => {
    assert.equal(Math.floor(0.3 / 0.1) * 0.1, 0.2); // the trap this code avoids
    assert.equal(roundAmount(TENTH, 0.1 + 0.2), 0.3);
    assert.equal(roundAmount(TENTH, 0.3), 0.3);
    assert.equal(roundAmount(TENTH, 0.7), 0.7);
    // 1 − 0.9 in floats is 0.09999999999999998, truly below the step: rounding cannot undo a float
    // subtraction, so sizes are combined in Decimal before rounding (as target.ts does).
    assert.equal(roundAmount(TENTH, 1 - 0.9), 0);
    assert.equal(roundAmount(TENTH, Decimal.from(1).sub(0.9)), 0.1);
  });

  it('any amount already on the grid stays as it is (step 0.1, 0.001, 1, 5)', () => {
    for (const step of ['0.1', '0.001', '1', '5', '0.00001']) {
      const spec: InstrumentSpec = { ...TRX_USDT_PERP, stepSize: step };
      fc.assert(
        fc.property(fc.integer({ min: -10_000_000, max: 10_000_000 }), (k) => {
          const exact = Decimal.from(step).mul(k);
          return roundAmount(spec, exact.toNumber()) === exact.toNumber();
        }),
        { numRuns: 300 },
      );
    }
  });

  it('the rounded amount is on the grid, never larger in size, and less than a step away', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e7, max: 1e7, noNaN: true }), (x) => {
        const r = Decimal.from(roundAmount(TENTH, x));
        const d = Decimal.from(x);
        return r.isMultipleOf('0.1') && r.abs().lte(d.abs()) && d.abs().sub(r.abs()).lt('0.1');
      }),
      { numRuns: 500 },
    );
  });
});

describe('prices: to the tick (0.00001 for TRXUSDT)', () => {
  it('nearest, ties away from zero', () => {
    assert.equal(roundPrice(TRX_USDT_PERP, 0.241234), 0.24123);
    assert.equal(roundPrice(TRX_USDT_PERP, 0.241235), 0.24124);
    assert.equal(roundPrice(TRX_USDT_PERP, 0.241236), 0.24124);
    assert.equal(roundPrice(TRX_USDT_PERP, 0.24123), 0.24123);
  });

  it('limit prices round against the order: buy down, sell up; on-tick prices stay (float floor would give 0.24122)', () => {
    assert.equal(Math.floor(0.24123 / 0.00001), 24122); // the trap
    assert.equal(roundLimitPrice(TRX_USDT_PERP, 0.24123, 'buy'), 0.24123);
    assert.equal(roundLimitPrice(TRX_USDT_PERP, 0.24123, 'sell'), 0.24123);
    assert.equal(roundLimitPrice(TRX_USDT_PERP, 0.241239, 'buy'), 0.24123);
    assert.equal(roundLimitPrice(TRX_USDT_PERP, 0.241231, 'sell'), 0.24124);
  });
});

describe('notional', () => {
  it('amount × contractSize × price, exactly, with the minimum inclusive', () => {
    assert.equal(notionalExact(TRX_USDT_PERP, 37945, 0.2412).toString(), '9152.334');
    assert.equal(meetsMinNotional(TRX_USDT_PERP, 20, 0.25), true); // exactly 5
    assert.equal(meetsMinNotional(TRX_USDT_PERP, 19, 0.25), false); // 4.75
    assert.equal(notionalExact({ ...TRX_USDT_PERP, contractSize: '10' }, 3, 0.25).toString(), '7.5');
  });

  it('a reduce-only order is exempt only where the instrument says so', () => {
    assert.equal(meetsMinNotional(TRX_USDT_PERP, 4, 0.25, true), false);
    assert.equal(meetsMinNotional({ ...TRX_USDT_PERP, minNotionalExemptReduceOnly: true }, 4, 0.25, true), true);
  });

  it('maxAmountForNotional: the most steps that fit, rounded down', () => {
    assert.equal(maxAmountForNotional(TRX_USDT_PERP, 100, 0.25).toString(), '400');
    assert.equal(maxAmountForNotional(TRX_USDT_PERP, 100, 0.3).toString(), '333');
    assert.equal(maxAmountForNotional(TENTH, 1, 0.3).toString(), '3.3');
    assert.equal(maxAmountForNotional(TRX_USDT_PERP, 0, 0.3).toString(), '0');
  });
});
