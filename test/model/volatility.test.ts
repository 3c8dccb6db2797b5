import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  EWMA_INITIAL,
  EwmaVolatility,
  annualisedVolatility,
  ewmaAnnualised,
  ewmaUpdate,
  type EwmaSettings,
} from '../../src/model/volatility.ts';
import { isHedgehookError } from '../../src/core/errors.ts';

function close(actual: number | undefined, expected: number, eps = 1e-12): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} ≠ ${expected}`);
}

describe('EWMA volatility', () => {
  it('constant prices have zero volatility', () => {
    close(annualisedVolatility(Array(30).fill(0.24)), 0);
  });

  it('is undefined until minReturns returns were seen', () => {
    const s: EwmaSettings = { lambda: 0.94, barIntervalMs: 60_000, minReturns: 10 };
    const prices = Array.from({ length: 10 }, (_, i) => 1 + i / 100);
    assert.equal(annualisedVolatility(prices, s), undefined); // 9 returns
    assert.notEqual(annualisedVolatility([...prices, 1.2], s), undefined); // 10 returns
  });

  it('returns of constant size r: σ = r × sqrt(525 600) for 1-minute bars', () => {
    const r = 0.001;
    const prices = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 1 : Math.exp(r)));
    close(annualisedVolatility(prices), r * Math.sqrt(525_600), 1e-9);
  });

  it('hand-computed recursion: λ = 0.5, daily bars, warm-up 1', () => {
    const s: EwmaSettings = { lambda: 0.5, barIntervalMs: 86_400_000, minReturns: 1 };
    const r1 = Math.log(110 / 100);
    const r2 = Math.log(99 / 110);
    let st = ewmaUpdate(EWMA_INITIAL, 100, s);
    assert.equal(ewmaAnnualised(st, s), undefined);
    st = ewmaUpdate(st, 110, s);
    close(st.variance ?? NaN, r1 * r1);
    st = ewmaUpdate(st, 99, s);
    close(st.variance ?? NaN, 0.5 * r1 * r1 + 0.5 * r2 * r2);
    close(ewmaAnnualised(st, s), Math.sqrt((0.5 * r1 * r1 + 0.5 * r2 * r2) * 365));
  });

  it('warm-up averages the squared returns with equal weights', () => {
    const s: EwmaSettings = { lambda: 0.94, barIntervalMs: 60_000, minReturns: 3 };
    const prices = [100, 101, 99, 102];
    const rs = [Math.log(101 / 100), Math.log(99 / 101), Math.log(102 / 99)];
    let st = EWMA_INITIAL;
    for (const p of prices) st = ewmaUpdate(st, p, s);
    close(st.variance ?? NaN, rs.reduce((a, r) => a + r * r, 0) / 3);
    // the next return enters with weight 1 − λ
    const r4 = Math.log(100 / 102);
    const next = ewmaUpdate(st, 100, s);
    close(next.variance ?? NaN, 0.94 * (st.variance ?? NaN) + 0.06 * r4 * r4);
  });

  it('a jump raises the estimate, calm lowers it again', () => {
    const calm = Array.from({ length: 50 }, (_, i) => 1 + (i % 2) * 0.0005);
    const v1 = annualisedVolatility(calm) ?? NaN;
    const v2 = annualisedVolatility([...calm, 1.05]) ?? NaN;
    const v3 = annualisedVolatility([...calm, 1.05, ...Array(200).fill(1.05)]) ?? NaN;
    assert.ok(v2 > v1 && v3 < v2);
  });

  it('the holder class matches the pure functions, and its state can resume', () => {
    const prices = [1, 1.01, 0.99, 1.02, 1.0, 0.98, 1.03, 1.01, 1.0, 0.97, 1.02, 1.04];
    const v = new EwmaVolatility();
    for (const p of prices.slice(0, 6)) v.update(p);
    const resumed = new EwmaVolatility(v.settings, JSON.parse(JSON.stringify(v.state)));
    for (const p of prices.slice(6)) resumed.update(p);
    assert.equal(resumed.value, annualisedVolatility(prices));
  });

  it('rejects non-positive prices and bad settings', () => {
    const isInvalid = (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER';
    assert.throws(() => ewmaUpdate(EWMA_INITIAL, 0), isInvalid);
    assert.throws(() => ewmaUpdate(EWMA_INITIAL, Number.NaN), isInvalid);
    assert.throws(() => ewmaUpdate(EWMA_INITIAL, 1, { lambda: 1, barIntervalMs: 60_000, minReturns: 1 }), isInvalid);
  });
});
