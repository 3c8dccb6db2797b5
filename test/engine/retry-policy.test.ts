import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HedgehookError } from '../../src/core/errors.ts';
import { DEFAULT_RETRY, backoffCap, createRetryPolicy, delayFor } from '../../src/engine/retry-policy.ts';

const half = () => 0.5;

test('defaults: 5 attempts, 200 ms base, 30 s cap, full jitter', () => {
  const p = createRetryPolicy();
  assert.deepEqual({ maxAttempts: p.maxAttempts, baseMs: p.baseMs, maxMs: p.maxMs, jitter: p.jitter }, { maxAttempts: 5, baseMs: 200, maxMs: 30_000, jitter: 'full' });
  assert.deepEqual(DEFAULT_RETRY, { maxAttempts: 5, baseMs: 200, maxMs: 30_000, jitter: 'full' });
  // undefined fields (an unset config value) take the default
  assert.equal(createRetryPolicy({ maxAttempts: undefined, baseMs: 100 }).maxAttempts, 5);
});

test('full jitter: random × min(max, base × 2^(attempt−1)), deterministic for an injected random', () => {
  const p = createRetryPolicy();
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => p.delayFor(a, half)), [100, 200, 400, 800, 1600]);
  assert.deepEqual([1, 2, 3].map((a) => p.delayFor(a, () => 0)), [0, 0, 0]);
  assert.equal(p.delayFor(3, () => 0.999), 799);
  assert.equal(p.delayFor(20, half), 15_000, 'capped at maxMs');
  assert.equal(p.delayFor(100_000, half), 15_000, 'no overflow for absurd attempts');
});

test('no jitter: the exponential ceiling itself', () => {
  assert.deepEqual([1, 2, 3, 9, 30].map((a) => delayFor(a, half, { jitter: 'none', baseMs: 100, maxMs: 10_000 })), [100, 200, 400, 10_000, 10_000]);
});

test('decorrelated jitter: between base and three times the previous delay, capped', () => {
  const p = createRetryPolicy({ jitter: 'decorrelated', baseMs: 100, maxMs: 5000 });
  assert.equal(p.delayFor(1, () => 0), 100);
  assert.equal(p.delayFor(1, half), 200); // previous = base: 100 + 0.5 × (300 − 100)
  assert.equal(p.delayFor(2, half, 1000), 100 + 0.5 * (3000 - 100));
  assert.equal(p.delayFor(9, () => 0.999, 4000), 5000);
});

test('property: every delay is a whole number within its bounds, for any attempt and random value', () => {
  const policy = fc.record({
    baseMs: fc.integer({ min: 1, max: 10_000 }),
    extra: fc.integer({ min: 0, max: 1_000_000 }),
    jitter: fc.constantFrom('full' as const, 'decorrelated' as const, 'none' as const),
  });
  fc.assert(
    fc.property(policy, fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (o, attempt, r) => {
      const maxMs = o.baseMs + o.extra;
      const d = createRetryPolicy({ baseMs: o.baseMs, maxMs, jitter: o.jitter }).delayFor(attempt, () => r);
      assert.ok(Number.isInteger(d), `integer: ${d}`);
      assert.ok(d >= 0 && d <= maxMs, `${d} within [0, ${maxMs}]`);
      if (o.jitter === 'full') assert.ok(d <= backoffCap(attempt, o.baseMs, maxMs));
      if (o.jitter !== 'full') assert.ok(d >= Math.min(o.baseMs, maxMs));
    }),
  );
});

test('property: the full-jitter ceiling never shrinks as attempts grow', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 1000 }), (attempt, base) => {
      assert.ok(backoffCap(attempt + 1, base, 60_000) >= backoffCap(attempt, base, 60_000));
    }),
  );
});

test('a broken random source cannot produce a negative or oversized delay', () => {
  const p = createRetryPolicy();
  for (const r of [Number.NaN, -1, 2, Number.POSITIVE_INFINITY]) {
    const d = p.delayFor(3, () => r);
    assert.ok(d >= 0 && d <= 800, `random ${r} gave ${d}`);
  }
});

test('shouldRetry: only retryable errors, only while attempts remain', () => {
  const p = createRetryPolicy({ maxAttempts: 3 });
  assert.equal(p.shouldRetry(1, { retryable: true }), true);
  assert.equal(p.shouldRetry(2, { retryable: true }), true);
  assert.equal(p.shouldRetry(3, { retryable: true }), false);
  assert.equal(p.shouldRetry(1, { retryable: false }), false);
  assert.equal(createRetryPolicy({ maxAttempts: 1 }).shouldRetry(1, { retryable: true }), false);
});

test('invalid options are refused with HH_ERR_CONFIG_INVALID naming each problem', () => {
  for (const bad of [{ maxAttempts: 0 }, { maxAttempts: 2.5 }, { baseMs: 0 }, { baseMs: 500, maxMs: 100 }, { jitter: 'some' as never }]) {
    assert.throws(() => createRetryPolicy(bad), (err: unknown) => err instanceof HedgehookError && err.code === 'HH_ERR_CONFIG_INVALID', JSON.stringify(bad));
  }
});
