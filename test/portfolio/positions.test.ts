import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  EMPTY_LEDGER,
  applyFill,
  applyFills,
  applyFillToLeg,
  legKey,
  legView,
  netHedge,
  otherSymbolsHedgeNotional,
  positionsView,
  reportMain,
  reportMainFromSignal,
  type Fill,
  type HedgeLeg,
} from '../../src/portfolio/positions.ts';
import { Rational } from '../../src/portfolio/rational.ts';
import { isHedgehookError } from '../../src/core/errors.ts';

const SYM = 'TRX/USDT:USDT';
let t = 0;
function fill(side: 'buy' | 'sell', amount: number, price: number, fee = 0, venue = 'primary', symbol = SYM): Fill {
  return { account: 'main', symbol, venue, side, amount, price, fee, time: ++t };
}
function leg(...fills: Fill[]): HedgeLeg {
  let l: HedgeLeg | undefined;
  for (const f of fills) l = applyFillToLeg(l, f);
  assert.ok(l);
  return l;
}

describe('hedge leg arithmetic', () => {
  it('open: a short of 30 000 TRX at 0.25', () => {
    const l = leg(fill('sell', 30_000, 0.25, 3));
    assert.deepEqual({ size: l.size, cost: l.cost, realisedPnl: l.realisedPnl, fees: l.fees, fills: l.fills }, { size: '-30000', cost: '-7500', realisedPnl: '0', fees: '3', fills: 1 });
    const v = legView(l, 0.24);
    assert.equal(v.side, 'short');
    assert.equal(v.size, 30_000);
    assert.equal(v.averageEntry, 0.25);
    assert.equal(v.unrealisedPnl, 300); // short profits as the price falls: 30 000 × 0.01
    assert.equal(v.netRealisedPnl, -3);
  });

  it('add: the average entry is cost-weighted (10 000 @ 0.25 + 10 000 @ 0.26 → 0.255)', () => {
    const l = leg(fill('sell', 10_000, 0.25), fill('sell', 10_000, 0.26));
    assert.equal(l.size, '-20000');
    assert.equal(l.cost, '-5100');
    assert.equal(legView(l).averageEntry, 0.255);
    assert.equal(legView(l).unrealisedPnl, null);
  });

  it('partial reduce realises PnL on the part closed, at the average entry', () => {
    // short 20 000 @ 0.255, buy back 5000 @ 0.24 → +5000 × 0.015 = 75
    const l = leg(fill('sell', 10_000, 0.25), fill('sell', 10_000, 0.26), fill('buy', 5000, 0.24, 0.5));
    assert.equal(l.size, '-15000');
    assert.equal(l.realisedPnl, '75');
    assert.equal(l.cost, '-3825');
    assert.equal(legView(l).averageEntry, 0.255);
    assert.equal(l.fees, '0.5');
  });

  it('a long reduced at a loss realises a negative PnL', () => {
    const l = leg(fill('buy', 1000, 0.3), fill('sell', 400, 0.28));
    assert.equal(l.realisedPnl, '-8');
    assert.equal(l.size, '600');
  });

  it('flip: closes the whole side, opens the rest at the fill price', () => {
    // long 1000 @ 0.2, sell 1500 @ 0.25: +50 realised, then short 500 @ 0.25
    const l = leg(fill('buy', 1000, 0.2), fill('sell', 1500, 0.25, 0.1));
    assert.equal(l.realisedPnl, '50');
    assert.equal(l.size, '-500');
    assert.equal(l.cost, '-125');
    assert.equal(legView(l).averageEntry, 0.25);
    assert.equal(legView(l).side, 'short');
  });

  it('close to flat leaves no cost behind', () => {
    const l = leg(fill('sell', 3000, 0.25), fill('buy', 3000, 0.2));
    assert.deepEqual([l.size, l.cost, l.realisedPnl], ['0', '0', '150']);
    const v = legView(l, 0.3);
    assert.equal(v.side, 'flat');
    assert.equal(v.averageEntry, null);
    assert.equal(v.unrealisedPnl, 0);
  });

  it('exact where floats drift: thirds of a cost add back to exactly proceeds − cost', () => {
    // buy 1 @ 1, buy 2 @ 2 → cost 5 over 3 (average 5/3); sell 1 @ 2 releases 5/3 of cost,
    // rounded to 1e-12 → realised 0.333333333333; the same amount leaves the cost.
    const a = leg(fill('buy', 1, 1), fill('buy', 2, 2), fill('sell', 1, 2));
    assert.equal(a.realisedPnl, '0.333333333333');
    assert.equal(a.cost, '3.333333333333');
    const b = applyFillToLeg(a, fill('sell', 2, 2));
    assert.equal(b.realisedPnl, '1', 'proceeds − cost, exactly: the rounding only moved cost between realised and open');
    assert.equal(b.size, '0');
  });

  it('thousands of partial closes keep the cost a short decimal (no growing fractions)', () => {
    let l = leg(fill('sell', 1_000_000, 0.2413));
    for (let i = 0; i < 3_000; i++) {
      l = applyFillToLeg(l, fill(i % 3 === 0 ? 'sell' : 'buy', 7 + (i % 11), 0.24 + (i % 97) / 100_000));
    }
    assert.ok(l.cost.length < 40, `cost ${l.cost}`);
    assert.ok(l.realisedPnl.length < 40, `realised ${l.realisedPnl}`);
    assert.ok(!l.cost.includes('/'));
  });

  it('fees add up exactly (0.1 + 0.2 = 0.3) and rebates subtract', () => {
    const l = leg(fill('sell', 100, 1, 0.1), fill('sell', 100, 1, 0.2), fill('buy', 50, 1, -0.05));
    assert.equal(l.fees, '0.25');
    assert.equal(leg(fill('sell', 100, 1, 0.1), fill('sell', 100, 1, 0.2)).fees, '0.3');
  });

  it('refuses a fill without a positive size or price', () => {
    const invalid = (e: unknown) => isHedgehookError(e) && e.code === 'HH_ERR_INVALID_NUMBER';
    assert.throws(() => leg(fill('buy', 0, 1)), invalid);
    assert.throws(() => leg(fill('buy', 1, -1)), invalid);
    assert.throws(() => leg({ ...fill('buy', 1, 1), fee: Number.NaN }), invalid);
  });

  it('property: realised − cost equals the cash flow exactly, for any fills', () => {
    const fillArb = fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      amount: fc.integer({ min: 1, max: 100_000 }),
      priceTicks: fc.integer({ min: 1, max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(fillArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 100_000 }), (fills, markTicks) => {
        let l: HedgeLeg | undefined;
        let cash = Rational.ZERO;
        let size = 0;
        for (const f of fills) {
          const price = Rational.of(BigInt(f.priceTicks), 100_000n);
          l = applyFillToLeg(l, { account: 'a', symbol: 's', venue: 'v', side: f.side, amount: f.amount, price: Number(price.toString()), time: 0 });
          const flow = Rational.of(BigInt(f.amount)).mul(price);
          cash = f.side === 'buy' ? cash.sub(flow) : cash.add(flow);
          size += f.side === 'buy' ? f.amount : -f.amount;
        }
        assert.ok(l);
        assert.equal(l.size, String(size));
        const realised = Rational.parse(l.realisedPnl);
        const cost = Rational.parse(l.cost);
        assert.ok(realised.sub(cost).eq(cash), `${realised} − ${cost} ≠ ${cash}`);
        // total PnL at any mark = cash + size × mark
        const mark = Rational.of(BigInt(markTicks), 100_000n);
        const unrealised = Rational.of(BigInt(size)).mul(mark).sub(cost);
        assert.ok(realised.add(unrealised).eq(cash.add(Rational.of(BigInt(size)).mul(mark))));
      }),
      { numRuns: 300 },
    );
  });
});

describe('ledger', () => {
  it('keeps legs per (account, symbol, venue) and nets the hedge across venues', () => {
    const l = applyFills(EMPTY_LEDGER, [fill('sell', 20_000, 0.25, 0, 'primary'), fill('sell', 10_000, 0.251, 0, 'backup'), fill('buy', 1000, 0.3, 0, 'primary', 'ETH/USDT:USDT')]);
    assert.equal(Object.keys(l.hedges).length, 3);
    assert.equal(netHedge(l, 'main', SYM), -30_000);
    assert.equal(netHedge(l, 'main', 'ETH/USDT:USDT'), 1000);
    assert.equal(netHedge(l, 'other', SYM), 0);
    assert.ok(l.hedges[legKey('main', SYM, 'backup')]);
  });

  it('is immutable: applying a fill returns a new ledger', () => {
    const a = applyFill(EMPTY_LEDGER, fill('sell', 100, 1));
    const b = applyFill(a, fill('sell', 100, 1));
    assert.equal(netHedge(a, 'main', SYM), -100);
    assert.equal(netHedge(b, 'main', SYM), -200);
    assert.deepEqual(EMPTY_LEDGER, { mains: {}, hedges: {} });
  });

  it('the state is plain JSON: a restored ledger continues identically', () => {
    const a = applyFills(EMPTY_LEDGER, [fill('buy', 1, 1), fill('buy', 2, 2), fill('sell', 1, 2)]);
    const restored = JSON.parse(JSON.stringify(a));
    const f = fill('sell', 2, 2);
    assert.deepEqual(applyFill(restored, f), applyFill(a, f));
  });

  it('records the main position from payloads: as reported, flat on close, unchanged otherwise', () => {
    let l = reportMainFromSignal(EMPTY_LEDGER, { account: 'main', symbol: SYM, action: 'open', position: { side: 'long', size: 50_000, entryPrice: 0.24, leverage: 10 } }, 100);
    assert.deepEqual(l.mains[JSON.stringify(['main', SYM])], { account: 'main', symbol: SYM, side: 'long', size: 50_000, entryPrice: 0.24, leverage: 10, source: 'payload', updatedAt: 100 });
    l = reportMainFromSignal(l, { account: 'main', symbol: SYM, action: 'update' }, 200);
    assert.equal(l.mains[JSON.stringify(['main', SYM])]?.updatedAt, 100);
    l = reportMainFromSignal(l, { account: 'main', symbol: SYM, action: 'close' }, 300);
    assert.equal(l.mains[JSON.stringify(['main', SYM])]?.side, 'flat');
    assert.equal(l.mains[JSON.stringify(['main', SYM])]?.size, 0);
  });

  it('values the other symbols of the account for the account-wide cap', () => {
    const l = applyFills(EMPTY_LEDGER, [fill('sell', 20_000, 0.25), fill('buy', 2, 3000, 0, 'primary', 'ETH/USDT:USDT'), fill('sell', 1, 60_000, 0, 'backup', 'BTC/USDT:USDT')]);
    assert.equal(otherSymbolsHedgeNotional(l, 'main', SYM, { 'ETH/USDT:USDT': 3100, 'BTC/USDT:USDT': 59_000 }), 6200 + 59_000);
    // without a mark, at the average entry
    assert.equal(otherSymbolsHedgeNotional(l, 'main', SYM, {}), 6000 + 60_000);
    assert.equal(otherSymbolsHedgeNotional(l, 'main', 'ETH/USDT:USDT', {}), 5000 + 60_000);
  });

  it('positionsView: main and hedges per venue, net exposure, hedge ratio, PnL at the mark', () => {
    let l = reportMain(EMPTY_LEDGER, { account: 'main', symbol: SYM, position: { side: 'long', size: 50_000, entryPrice: 0.24 }, at: 1, source: 'payload' });
    l = applyFills(l, [fill('sell', 20_000, 0.25, 2, 'primary'), fill('sell', 10_000, 0.25, 1, 'backup'), fill('buy', 5000, 0.24, 0.5, 'primary')]);
    const [row, ...rest] = positionsView(l, { [SYM]: 0.26 });
    assert.equal(rest.length, 0);
    assert.ok(row);
    assert.equal(row.markPrice, 0.26);
    assert.equal(row.main?.unrealisedPnl, 1000); // 50 000 × (0.26 − 0.24)
    assert.deepEqual(row.hedges.map((h) => [h.venue, h.signedSize]), [['backup', -10_000], ['primary', -15_000]]);
    assert.equal(row.netHedge, -25_000);
    assert.equal(row.netExposure, 25_000);
    assert.equal(row.hedgeRatio, 0.5);
    assert.equal(row.realisedPnl, 50); // 5000 × (0.25 − 0.24)
    assert.equal(row.fees, 3.5);
    assert.equal(row.unrealisedPnl, -250); // −25 000 × (0.26 − 0.25)
    const [noMark] = positionsView(l);
    assert.equal(noMark?.unrealisedPnl, null);
    assert.equal(noMark?.main?.unrealisedPnl, null);
  });
});
