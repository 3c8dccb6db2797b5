/**
 * Realised hedge performance from journaled signals and order legs: the samples the weekly
 * refit learns from, with every number worked by hand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HedgeDecision } from '../../src/core/decision.ts';
import type { OrderLeg } from '../../src/core/orders.ts';
import type { SignalPayload, SignalView } from '../../src/core/signal.ts';
import { realisedHedges, type RealisedHedgeSettings } from '../../src/model/realised-hedges.ts';
import { constantFunding, pointPath } from '../../src/model/realised-samples.ts';

const HOUR = 3_600_000;
/** 2024-01-01 07:00 UTC: the first period crosses the 08:00 funding settlement. */
const T0 = Date.UTC(2024, 0, 1, 7);
const FEATURES = { positionSize: 0.8, signalStrength: 0.5, volatility: 0.35, riskTolerance: 0.5, timeOfDay: 0.4 };
const SETTINGS: RealisedHedgeSettings = { fundingRate: 0.0001, maintenanceMarginRate: 0.0065, defaultFee: 0.0005, defaultSlippage: 0.00005 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

let seq = 0;
function view(time: number, payload: Partial<SignalPayload>, state: SignalView['state'], decision?: Partial<HedgeDecision>): SignalView {
  const p: SignalPayload = { account: 'main', symbol: 'TRX/USDT:USDT', action: 'update', time, ...payload };
  const v: SignalView = { seq: ++seq, id: `sig${seq}`, source: 'default', state, receivedAt: time, account: p.account, symbol: p.symbol, payload: p, attempts: 1, updatedAt: time };
  if (decision) v.outcome = { state: state as 'hedged', decision: { outcome: 'hedge', modelVersion: 'm', contributions: {}, currentHedge: 0, reasons: [], features: FEATURES, ratio: 0.6, targetHedge: 0, decidedAt: time, ...decision } };
  return v;
}
const inputs = (side: 'long' | 'short' | 'flat', size: number, price: number) => ({ inputs: { positionSide: side, positionSize: size, price, leverage: 10 } });

function leg(signalId: string, time: number, filled: number, averagePrice: number, fee: number): OrderLeg {
  return {
    clientOrderId: `c${signalId}`, signalId, account: 'main', leg: 0, venue: 'primary', purpose: 'hedge', symbol: 'TRX/USDT:USDT', side: 'sell',
    amount: filled, type: 'market', reduceOnly: false, status: 'filled', filled, averagePrice, fee, createdAt: time, updatedAt: time,
  };
}

describe('samples from the journal', () => {
  it('measures the adverse move on the prices the journal holds, the costs on the fills, and funding at 8 h', () => {
    const open = view(T0, { action: 'open', price: 0.1 }, 'hedged', { ...inputs('long', 1000, 0.1), order: { symbol: 'TRX/USDT:USDT', side: 'sell', amount: 600, reduceOnly: false, referencePrice: 0.1, notional: 60 } });
    // A rejected signal decides nothing, but its price is a price the market had.
    const dip = view(T0 + HOUR, { price: 0.095 }, 'rejected');
    const heartbeat = view(T0 + 2 * HOUR, { price: 0.098 }, 'skipped', inputs('long', 1000, 0.098));
    const shut = view(T0 + 3 * HOUR, { action: 'close', price: 0.097 }, 'hedged', inputs('flat', 0, 0.097));
    // The fill of the open's hedge: 600 at 0.10001 (1 bp from the reference), fee 0.05% of 60.006.
    const legs = [leg(open.id, T0 + 1, 600, 0.10001, 0.030003)];
    const r = realisedHedges([shut, heartbeat, dip, open], legs, T0 + 4 * HOUR, SETTINGS);

    assert.equal(r.decisions, 3);
    // Points: 0.1 (open: signal and decision), 0.10001 (fill), 0.095, 0.098 ×2, 0.097 ×2.
    assert.equal(r.prices, 8);
    assert.equal(r.costs.source, 'fills');
    close(r.costs.fee, 0.0005);
    close(r.costs.slippage, 0.0001);
    // The close leaves no open position: two samples, in time order.
    assert.deepEqual(r.samples.map((s) => s.time), [T0, T0 + 2 * HOUR]);
    const [a, b] = r.samples;
    // Until the next decision (T0+2h) the lowest price was the rejected signal's 0.095.
    close(a!.adverseMove, 0.05);
    close(a!.liquidationDistance, 0.0935);
    // Round trip 2 × (0.0005 + 0.0001); the 08:00 settlement pays a short hedge 0.0001.
    close(a!.hedgeCost, 0.0011);
    close(a!.notional, 100);
    assert.deepEqual(a!.features, FEATURES);
    // From 0.098 the next price was the close's 0.097: 1.02% against the long.
    close(b!.adverseMove, 0.001 / 0.098);
    close(b!.hedgeCost, 0.0012);
    assert.equal(r.from, T0);
    assert.equal(r.to, T0 + 3 * HOUR);
  });

  it('a short position is hurt by the highs; without fills the default costs apply; symbols do not mix', () => {
    const shortOpen = view(T0, { action: 'open', price: 0.2 }, 'skipped', inputs('short', 500, 0.2));
    const otherSymbol = view(T0 + HOUR, { symbol: 'BTC/USDT:USDT', price: 90_000 }, 'rejected');
    const spike = view(T0 + HOUR, { price: 0.21 }, 'rejected');
    const r = realisedHedges([shortOpen, otherSymbol, spike], [], T0 + 2 * HOUR, SETTINGS);
    assert.equal(r.costs.source, 'defaults');
    assert.equal(r.samples.length, 1);
    close(r.samples[0]!.adverseMove, 0.05);
    // Defaults 2 × (0.0005 + 0.00005); a long hedge of a short pays the 08:00 settlement.
    close(r.samples[0]!.hedgeCost, 0.0011 + 0.0001);
  });

  it('no sample where the model did not run or a feature is missing', () => {
    const noRatio = view(T0, { price: 0.1 }, 'skipped', { ...inputs('long', 1000, 0.1), ratio: null });
    const partial = view(T0 + HOUR, { price: 0.1 }, 'skipped', { ...inputs('long', 1000, 0.1), features: { positionSize: 1 } });
    assert.equal(realisedHedges([noRatio, partial], [], T0 + 2 * HOUR, SETTINGS).samples.length, 0);
  });
});

describe('price paths and funding', () => {
  it('a point path covers (from, until]', () => {
    const path = pointPath([{ time: 1, price: 5 }, { time: 2, price: 3 }, { time: 3, price: 9 }]);
    assert.deepEqual(path.range(1, 3), { low: 3, high: 9 });
    assert.deepEqual(path.range(0, 1), { low: 5, high: 5 });
    assert.equal(path.range(3, 10), undefined);
  });

  it('a constant rate settles at 00:00, 08:00 and 16:00 UTC', () => {
    const rate = constantFunding(0.0001);
    close(rate(Date.UTC(2024, 0, 1, 7), Date.UTC(2024, 0, 1, 8)), 0.0001);
    assert.equal(rate(Date.UTC(2024, 0, 1, 8), Date.UTC(2024, 0, 1, 15, 59)), 0);
    close(rate(Date.UTC(2024, 0, 1, 0), Date.UTC(2024, 0, 2, 0)), 0.0003);
  });
});
