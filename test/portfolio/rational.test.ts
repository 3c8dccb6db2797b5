import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Rational } from '../../src/portfolio/rational.ts';
import { isHedgehookError } from '../../src/core/errors.ts';

describe('Rational', () => {
  it('is always reduced, with a positive denominator', () => {
    const r = Rational.of(6n, -4n);
    assert.deepEqual([r.n, r.d], [-3n, 2n]);
  });

  it('prints a decimal when exact, else n/d, and parses both back', () => {
    assert.equal(Rational.of(1n, 8n).toString(), '0.125');
    assert.equal(Rational.of(-3n, 2n).toString(), '-1.5');
    assert.equal(Rational.of(10n, 3n).toString(), '10/3');
    assert.equal(Rational.from(0.1).add(Rational.from(0.2)).toString(), '0.3');
    for (const text of ['0.125', '-1.5', '10/3', '-7/6', '0']) assert.equal(Rational.parse(text).toString(), text);
    assert.throws(() => Rational.parse('1/x'), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER');
    assert.throws(() => Rational.of(1n, 0n), (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER');
  });

  it('arithmetic is exact: 1/3 + 2/3 = 1; (5/3) × 3 = 5', () => {
    assert.ok(Rational.of(1n, 3n).add(Rational.of(2n, 3n)).eq(Rational.of(1n)));
    assert.ok(Rational.of(5n, 3n).mul(Rational.of(3n)).eq(Rational.of(5n)));
    assert.ok(Rational.of(1n, 2n).div(Rational.of(1n, 4n)).eq(Rational.of(2n)));
    assert.equal(Rational.of(2n, 3n).toNumber(), 2 / 3);
    assert.equal(Rational.of(2n, 3n).toDecimal(4).toString(), '0.6667');
  });
});
