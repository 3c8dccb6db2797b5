import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RISK_LIMITS, checkRisk, ordersInLastMinute, riskLimitsSchema, type GuardInput, type RiskLimits, type RiskState } from '../../src/risk/guard.ts';
import { computeTarget } from '../../src/risk/target.ts';
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import type { PositionReport } from '../../src/core/signal.ts';

const NOW = Date.UTC(2026, 10, 24, 10, 0);
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

interface Case {
  position?: PositionReport;
  action?: 'open' | 'close' | 'update';
  ratio?: number;
  currentHedge?: number;
  market?: number;
  signalPrice?: number;
  signalTime?: number | null;
  receivedAt?: number;
  limits?: Partial<RiskLimits>;
  state?: Partial<RiskState>;
}

function run(c: Case = {}) {
  const payload = {
    symbol: 'TRX/USDT:USDT',
    action: c.action ?? 'open',
    position: c.position ?? { side: 'long' as const, size: 50_000 },
  };
  const target = computeTarget({ payload, ratio: c.ratio ?? 0.6, currentHedge: c.currentHedge ?? 0, instrument: TRX_USDT_PERP, price: c.market ?? 0.25 });
  const signal: GuardInput['signal'] = {};
  if (c.signalTime !== null) signal.time = c.signalTime ?? NOW - 1000;
  if (c.signalPrice !== undefined) signal.price = c.signalPrice;
  const input: GuardInput = {
    now: NOW,
    signal,
    target,
    instrument: TRX_USDT_PERP,
    limits: { ...DEFAULT_RISK_LIMITS, ...c.limits },
    state: { halted: false, recentOrderTimes: [], ...c.state },
  };
  if (c.receivedAt !== undefined) input.receivedAt = c.receivedAt;
  return checkRisk(input);
}

describe('risk guard', () => {
  it('defaults: 100 000 USDT per symbol, 30 orders/min, 30 s, 2%, 5 s skew', () => {
    assert.deepEqual(DEFAULT_RISK_LIMITS, { maxHedgeNotional: 100_000, maxOrdersPerMinute: 30, maxSignalAgeMs: 30_000, maxPriceDeviation: 0.02, maxClockSkewMs: 5000 });
    assert.equal(riskLimitsSchema.safeParse({ maxHedgeNotional: -1 }).success, false);
    assert.equal(riskLimitsSchema.safeParse({ maxHedgNotional: 1 }).success, false);
  });

  it('hedge: within every limit, the target order passes unchanged', () => {
    const d = run({ signalPrice: 0.251 });
    assert.equal(d.outcome, 'hedge');
    assert.deepEqual(codes(d), []);
    assert.equal(d.targetHedge, -30_000);
    assert.deepEqual([d.order?.side, d.order?.amount], ['sell', 30_000]);
    assert.equal(d.blockedOrder, undefined);
  });

  it('hedge, capped per symbol: the target shrinks to the largest step that fits', () => {
    // −30 000 × 0.25 = 7500 USDT wanted; cap 5000 → 20 000 TRX
    const d = run({ limits: { maxHedgeNotional: 5000 } });
    assert.equal(d.outcome, 'hedge');
    assert.deepEqual(codes(d), ['HH_RISK_CAPPED_SYMBOL_NOTIONAL']);
    assert.equal(d.targetHedge, -20_000);
    assert.equal(d.order?.amount, 20_000);
    assert.deepEqual(d.reasons[0]?.detail, { wantedTarget: -30_000, cappedTarget: -20_000, wantedNotional: 7500, maxHedgeNotional: 5000 });
  });

  it('the cap rounds toward zero: 1000 USDT at 0.3 is 3333 TRX (999.9 USDT)', () => {
    const d = run({ market: 0.3, limits: { maxHedgeNotional: 1000 } });
    assert.equal(d.targetHedge, -3333);
  });

  it('hedge, capped per account: what the other symbols use counts', () => {
    const d = run({ limits: { maxAccountHedgeNotional: 10_000 }, state: { otherSymbolsHedgeNotional: 6000 } });
    assert.equal(d.outcome, 'hedge');
    assert.deepEqual(codes(d), ['HH_RISK_CAPPED_ACCOUNT_NOTIONAL']);
    assert.equal(d.targetHedge, -16_000); // 4000 USDT left / 0.25
    const both = run({ limits: { maxHedgeNotional: 5000, maxAccountHedgeNotional: 6000 }, state: { otherSymbolsHedgeNotional: 2000 } });
    assert.deepEqual(codes(both), ['HH_RISK_CAPPED_SYMBOL_NOTIONAL', 'HH_RISK_CAPPED_ACCOUNT_NOTIONAL']);
    assert.equal(both.targetHedge, -16_000); // the tighter one (4000 USDT) wins
    const full = run({ limits: { maxAccountHedgeNotional: 10_000 }, state: { otherSymbolsHedgeNotional: 12_000 } });
    assert.equal(full.outcome, 'skipped');
    assert.deepEqual(codes(full), ['HH_RISK_CAPPED_ACCOUNT_NOTIONAL', 'HH_RISK_NO_CHANGE']);
  });

  it('a cap never unwinds a hedge already held: it only stops it growing', () => {
    // held −25 000 (6250 USDT), wants −30 000, cap 5000 USDT → stays at −25 000
    const d = run({ currentHedge: -25_000, limits: { maxHedgeNotional: 5000 } });
    assert.equal(d.outcome, 'skipped');
    assert.equal(d.targetHedge, -25_000);
    assert.deepEqual(codes(d), ['HH_RISK_CAPPED_SYMBOL_NOTIONAL', 'HH_RISK_NO_CHANGE']);
    // a reduction goes where the model asks, not further: held −40 000 → target −30 000, uncapped
    const r = run({ currentHedge: -40_000, limits: { maxHedgeNotional: 5000 } });
    assert.equal(r.outcome, 'hedge');
    assert.deepEqual(codes(r), []);
    assert.deepEqual([r.order?.side, r.order?.amount, r.order?.reduceOnly], ['buy', 10_000, true]);
    // held on the other side: a flip is capped like a new hedge
    const f = run({ currentHedge: 8000, limits: { maxHedgeNotional: 5000 } });
    assert.equal(f.targetHedge, -20_000);
    assert.deepEqual([f.order?.side, f.order?.amount, f.order?.reduceOnly], ['sell', 28_000, false]);
  });

  it('skipped, stale: older than maxSignalAgeMs (boundary inclusive)', () => {
    assert.equal(run({ signalTime: NOW - 30_000 }).outcome, 'hedge');
    const d = run({ signalTime: NOW - 30_001 });
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_STALE_SIGNAL']);
    assert.deepEqual(d.reasons[0]?.detail, { ageMs: 30_001, maxSignalAgeMs: 30_000 });
    assert.deepEqual([d.blockedOrder?.side, d.blockedOrder?.amount], ['sell', 30_000]);
    assert.equal(d.order, undefined);
  });

  it('without a time in the payload the age counts from receipt', () => {
    assert.equal(run({ signalTime: null }).outcome, 'hedge');
    assert.deepEqual(codes(run({ signalTime: null, receivedAt: NOW - 60_000 })), ['HH_RISK_STALE_SIGNAL']);
  });

  it('rejected, from the future beyond the clock skew', () => {
    assert.equal(run({ signalTime: NOW + 5000 }).outcome, 'hedge');
    const d = run({ signalTime: NOW + 5001 });
    assert.equal(d.outcome, 'rejected');
    assert.deepEqual(codes(d), ['HH_RISK_SIGNAL_FROM_FUTURE']);
  });

  it('rejected, signal price more than 2% from the market; exactly 2% passes (exact arithmetic)', () => {
    // (0.102 − 0.1) / 0.1 is 0.020000000000000018 in floats; exactly 2% here
    assert.equal(run({ market: 0.1, signalPrice: 0.102 }).outcome, 'hedge');
    assert.equal(run({ market: 0.1, signalPrice: 0.098 }).outcome, 'hedge');
    const up = run({ market: 0.1, signalPrice: 0.10201 });
    assert.equal(up.outcome, 'rejected');
    assert.deepEqual(codes(up), ['HH_RISK_PRICE_DEVIATION']);
    assert.equal(up.order, undefined);
    const down = run({ market: 0.25, signalPrice: 0.2 });
    assert.equal(down.outcome, 'rejected');
    assert.equal(down.reasons[0]?.detail?.['deviation'], 0.2);
    assert.equal(run({ market: 0.25, signalPrice: 0.2, limits: { maxPriceDeviation: 0.25 } }).outcome, 'hedge');
  });

  it('skipped, halted: the kill switch stops new orders, even a close', () => {
    const d = run({ state: { halted: true, haltReason: 'operator: exchange incident' } });
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(d.reasons, [{ code: 'HH_RISK_HALTED', message: 'kill switch engaged: no new orders', detail: { haltReason: 'operator: exchange incident' } }]);
    assert.equal(d.order, undefined);
    assert.equal(d.blockedOrder?.amount, 30_000);
    const c = run({ action: 'close', currentHedge: -30_000, state: { halted: true } });
    assert.equal(c.outcome, 'skipped');
    assert.deepEqual(codes(c), ['HH_RISK_CLOSE', 'HH_RISK_HALTED']);
  });

  it('skipped, rate limited: maxOrdersPerMinute orders in the last 60 s', () => {
    const times = (n: number, at: number) => Array.from({ length: n }, () => at);
    const limits = { maxOrdersPerMinute: 3 };
    assert.equal(run({ limits, state: { recentOrderTimes: times(2, NOW - 1000) } }).outcome, 'hedge');
    const d = run({ limits, state: { recentOrderTimes: times(3, NOW - 59_999) } });
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_RATE_LIMITED']);
    assert.deepEqual(d.reasons[0]?.detail, { ordersLastMinute: 3, maxOrdersPerMinute: 3 });
    // an order exactly 60 s old has left the window
    assert.equal(run({ limits, state: { recentOrderTimes: [...times(2, NOW - 1000), NOW - 60_000] } }).outcome, 'hedge');
    assert.equal(ordersInLastMinute([NOW - 60_000, NOW - 59_999, NOW, NOW + 10], NOW), 3);
  });

  it('the rate limit only counts when an order would be sent', () => {
    const d = run({ currentHedge: -30_000, limits: { maxOrdersPerMinute: 0 } });
    assert.deepEqual(codes(d), ['HH_RISK_NO_CHANGE']);
  });

  it('skipped, below the minimum notional after a cap', () => {
    // holds −19 990, wants −30 000, cap 5000 USDT → −20 000: a 10 TRX (2.5 USDT) order
    const d = run({ currentHedge: -19_990, limits: { maxHedgeNotional: 5000 } });
    assert.equal(d.outcome, 'skipped');
    assert.deepEqual(codes(d), ['HH_RISK_CAPPED_SYMBOL_NOTIONAL', 'HH_RISK_BELOW_MIN_NOTIONAL']);
  });

  it('skipped, no position known; the target reasons come first', () => {
    const target = computeTarget({ payload: { symbol: 'TRX/USDT:USDT', action: 'open' }, ratio: 0.5, currentHedge: 0, instrument: TRX_USDT_PERP, price: 0.25 });
    const d = checkRisk({ now: NOW, signal: {}, target, instrument: TRX_USDT_PERP, limits: DEFAULT_RISK_LIMITS, state: { halted: false, recentOrderTimes: [] } });
    assert.equal(d.outcome, 'skipped');
    assert.equal(d.targetHedge, null);
    assert.deepEqual(codes(d), ['HH_RISK_NO_POSITION']);
  });

  it('records ALL reasons: halted, stale and off-price together → rejected with the three', () => {
    const d = run({
      signalTime: NOW - 120_000,
      signalPrice: 0.3,
      state: { halted: true, recentOrderTimes: Array(100).fill(NOW) },
      limits: { maxHedgeNotional: 5000 },
    });
    assert.equal(d.outcome, 'rejected');
    assert.deepEqual(codes(d), ['HH_RISK_HALTED', 'HH_RISK_STALE_SIGNAL', 'HH_RISK_PRICE_DEVIATION', 'HH_RISK_CAPPED_SYMBOL_NOTIONAL', 'HH_RISK_RATE_LIMITED']);
    assert.equal(d.order, undefined);
    assert.equal(d.blockedOrder?.amount, 20_000);
  });

  it('keeps the target rounding reason and re-plans after caps', () => {
    const d = run({ ratio: 0.7589050410316528, limits: { maxHedgeNotional: 5000 } });
    assert.deepEqual(codes(d), ['HH_RISK_TARGET_ROUNDED', 'HH_RISK_CAPPED_SYMBOL_NOTIONAL']);
    assert.equal(d.order?.amount, 20_000);
  });
});
