import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { computeTarget, type TargetInput } from '../../src/risk/target.ts';
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import { isHedgehookError } from '../../src/core/errors.ts';
import type { Action, PositionReport } from '../../src/core/signal.ts';

function input(over: Partial<TargetInput> & { action?: Action; position?: PositionReport | null } = {}): TargetInput {
  const { action = 'open', position = { side: 'long', size: 50_000 }, ...rest } = over;
  const payload: TargetInput['payload'] = { symbol: 'TRX/USDT:USDT', action };
  if (position) payload.position = position;
  return { payload, ratio: 0.6, currentHedge: 0, instrument: TRX_USDT_PERP, price: 0.25, ...rest };
}
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

describe('target hedge', () => {
  it('long 50 000 TRX at ratio 0.6 → target −30 000 (short), sell 30 000', () => {
    const d = computeTarget(input());
    assert.equal(d.outcome, 'hedge');
    assert.equal(d.targetHedge, -30_000);
    assert.deepEqual(d.order, { symbol: 'TRX/USDT:USDT', side: 'sell', amount: 30_000, reduceOnly: false, referencePrice: 0.25, notional: 7500 });
    assert.deepEqual(codes(d), []);
    assert.deepEqual(d.exposure, { side: 'long', size: 50_000, source: 'payload' });
  });

  it('short 10 000 TRX → a long hedge, buy', () => {
    const d = computeTarget(input({ position: { side: 'short', size: 10_000 }, ratio: 0.5 }));
    assert.equal(d.targetHedge, 5000);
    assert.equal(d.order?.side, 'buy');
    assert.equal(d.order?.amount, 5000);
  });

  it('the order is target − current hedge', () => {
    const d = computeTarget(input({ currentHedge: -20_000, action: 'add' }));
    assert.equal(d.targetHedge, -30_000);
    assert.equal(d.order?.side, 'sell');
    assert.equal(d.order?.amount, 10_000);
    assert.equal(d.order?.reduceOnly, false);
  });

  it('reduce: a smaller position shrinks the hedge with a reduce-only buy', () => {
    const d = computeTarget(input({ action: 'reduce', position: { side: 'long', size: 20_000 }, currentHedge: -30_000 }));
    assert.equal(d.targetHedge, -12_000);
    assert.deepEqual([d.order?.side, d.order?.amount, d.order?.reduceOnly], ['buy', 18_000, true]);
  });

  it('update with a flipped position flips the hedge; the order crosses zero and is not reduce-only', () => {
    const d = computeTarget(input({ action: 'update', position: { side: 'short', size: 50_000 }, currentHedge: -30_000 }));
    assert.equal(d.targetHedge, 30_000);
    assert.deepEqual([d.order?.side, d.order?.amount, d.order?.reduceOnly], ['buy', 60_000, false]);
  });

  it('close brings the hedge to 0 whatever the position says', () => {
    const d = computeTarget(input({ action: 'close', position: { side: 'long', size: 50_000 }, currentHedge: -30_000 }));
    assert.equal(d.targetHedge, 0);
    assert.deepEqual([d.order?.side, d.order?.amount, d.order?.reduceOnly], ['buy', 30_000, true]);
    assert.deepEqual(codes(d), ['HH_RISK_CLOSE']);
    const none = computeTarget(input({ action: 'close', position: null, currentHedge: 12_000 }));
    assert.equal(none.targetHedge, 0);
    assert.deepEqual([none.order?.side, none.order?.amount], ['sell', 12_000]);
  });

  it('close with no hedge → skipped, nothing to do', () => {
    const d = computeTarget(input({ action: 'close' }));
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_CLOSE', 'HH_RISK_NO_CHANGE']);
    assert.equal(d.order, undefined);
  });

  it('a flat position targets 0', () => {
    const d = computeTarget(input({ action: 'update', position: { side: 'flat', size: 0 }, currentHedge: -100 }));
    assert.equal(d.targetHedge, 0);
    assert.equal(d.order?.amount, 100);
  });

  it('falls back to the venue-reported position, and skips when there is none', () => {
    const v = computeTarget(input({ position: null, venuePosition: { side: 'long', size: 1000 } }));
    assert.equal(v.exposure.source, 'venue');
    assert.equal(v.targetHedge, -600);
    const n = computeTarget(input({ position: null }));
    assert.equal(n.outcome, 'skipped');
    assert.equal(n.targetHedge, null);
    assert.deepEqual(codes(n), ['HH_RISK_NO_POSITION']);
    assert.equal(n.exposure.source, 'none');
  });

  it('rounds the target toward zero to the step, recording the unrounded value', () => {
    const d = computeTarget(input({ ratio: 0.7589050410316528, position: { side: 'long', size: 50_000 } }));
    assert.equal(d.unroundedTarget, '-37945.25205158264');
    assert.equal(d.targetHedge, -37_945); // not −37 946: never over-hedge
    assert.deepEqual(codes(d), ['HH_RISK_TARGET_ROUNDED']);
    const s = computeTarget(input({ ratio: 0.33, position: { side: 'short', size: 12_345 } }));
    assert.equal(s.unroundedTarget, '4073.85');
    assert.equal(s.targetHedge, 4073);
  });

  it('ratio × size is exact: 0.29 × 100 TRX is 29 (floats say 28.999999999999996 → 28)', () => {
    assert.equal(0.29 * 100, 28.999999999999996);
    const d = computeTarget(input({ ratio: 0.29, position: { side: 'long', size: 100 }, price: 1 }));
    assert.equal(d.targetHedge, -29);
    assert.equal(d.unroundedTarget, '-29');
    assert.deepEqual(codes(d), []);
  });

  it('below the minimum notional (5 USDT) → skipped with the numbers', () => {
    // 30 TRX × 0.6 = 18 TRX × 0.25 = 4.5 USDT
    const d = computeTarget(input({ position: { side: 'long', size: 30 } }));
    assert.equal(d.outcome, 'skipped');
    assert.equal(d.order, undefined);
    assert.deepEqual(d.reasons, [
      { code: 'HH_RISK_BELOW_MIN_NOTIONAL', message: 'order below the minimum notional', detail: { amount: 18, notional: 4.5, minNotional: 5 } },
    ]);
    // 20 × 0.25 = 5 exactly is enough
    const ok = computeTarget(input({ position: { side: 'long', size: 40 }, ratio: 0.5 }));
    assert.equal(ok.outcome, 'hedge');
    assert.equal(ok.order?.notional, 5);
  });

  it('the minimum notional applies to the order, not to the target', () => {
    const d = computeTarget(input({ position: { side: 'long', size: 50_010 }, currentHedge: -30_000 }));
    assert.equal(d.targetHedge, -30_006);
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_BELOW_MIN_NOTIONAL']);
  });

  it('already at target → skipped, no change', () => {
    const d = computeTarget(input({ currentHedge: -30_000, action: 'update' }));
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_NO_CHANGE']);
  });

  it('refuses a ratio outside [0, 1] and a non-positive price', () => {
    const isInvalid = (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER';
    assert.throws(() => computeTarget(input({ ratio: 1.2 })), isInvalid);
    assert.throws(() => computeTarget(input({ ratio: Number.NaN })), isInvalid);
    assert.throws(() => computeTarget(input({ price: 0 })), isInvalid);
  });
});
