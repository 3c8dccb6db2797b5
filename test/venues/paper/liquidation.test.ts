/**
 * `liquidate`: a liquidation decided outside the paper venue (the backtest's margin model)
 * reaches its wallet — the position closes at the liquidation price, off the book, and the
 * clearance fee is taken; the wallet never goes below zero.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PaperEvent } from '../../../src/venues/paper/index.ts';
import { order, paperSetup, rejectsWith, START, TRX } from './setup.ts';

// Mid 0.24: best ask 0.24002, best bid 0.23998; taker fee 0.05%.

test('a long closes at the liquidation price, pays the clearance fee and no taker fee, exactly', async () => {
  const { venue } = await paperSetup();
  const events: PaperEvent[] = [];
  venue.onEvent((e) => events.push(e));
  await venue.submit(order({ amount: 10000 })); // 2400.2 USDT at 0.24002, fee 1.2001
  const liq = venue.liquidate({ symbol: TRX, price: 0.22, fee: 22 });
  // realised 10 000 × (0.22 − 0.24002) = −200.2
  assert.deepEqual(liq, { type: 'liquidation', venue: 'paper1', symbol: TRX, size: 10000, price: 0.22, realisedPnl: -200.2, fee: 22, insuranceFund: 0, time: START });
  assert.deepEqual(events.at(-1), liq);
  assert.deepEqual(await venue.positions(), []);
  const totals = venue.totals();
  assert.equal(totals.wallet, 100000 - 1.2001 - 200.2 - 22);
  assert.equal(totals.realisedPnl, -200.2);
  assert.equal(totals.fees, 23.2001);
  assert.equal(totals.slippage, 0.2); // only the opening fill's
  // Nothing left to close: a reduce-only order is refused.
  await rejectsWith(venue.submit(order({ side: 'sell', amount: 10000, reduceOnly: true })), 'HH_ERR_VENUE_REJECTED', 'rejected', '-2022');
});

test('hedge mode: only the liquidated side closes; the other stays', async () => {
  const { venue } = await paperSetup({ positionMode: 'hedge' });
  await venue.submit(order({ amount: 10000, positionSide: 'long' }));
  await venue.submit(order({ side: 'sell', amount: 4000, positionSide: 'short' })); // at 0.23998
  const liq = venue.liquidate({ symbol: TRX, positionSide: 'short', price: 0.26, fee: 1 });
  assert.equal(liq?.size, -4000);
  assert.equal(liq?.positionSide, 'short');
  assert.equal(liq?.realisedPnl, -80.08); // 4 000 × (0.23998 − 0.26)
  const left = await venue.positions();
  assert.deepEqual(left.map((p) => [p.positionSide, p.size]), [['long', 10000]]);
  assert.throws(() => venue.liquidate({ symbol: TRX, price: 0.26 }), /positionSide is required in hedge mode/);
});

test('a loss beyond the wallet goes to the insurance fund: the wallet stops at 0 and no fee is left to take', async () => {
  const { venue } = await paperSetup({ balance: 100 });
  await venue.submit(order({ amount: 4000 })); // 960.08 USDT at 10x, fee 0.48004
  const liq = venue.liquidate({ symbol: TRX, price: 0.2, fee: 8 });
  // realised 4 000 × (0.2 − 0.24002) = −160.08; the wallet had 99.51996
  assert.equal(liq?.realisedPnl, -160.08);
  assert.equal(liq?.insuranceFund, 60.56004);
  assert.equal(liq?.fee, 0);
  assert.equal(venue.totals().wallet, 0);
});

test('nothing to liquidate, or a bad price or fee', async () => {
  const { venue } = await paperSetup();
  assert.equal(venue.liquidate({ symbol: TRX, price: 0.2 }), undefined);
  await venue.submit(order({ amount: 1000 }));
  assert.throws(() => venue.liquidate({ symbol: TRX, price: 0 }), /price must be a positive number/);
  assert.throws(() => venue.liquidate({ symbol: TRX, price: 0.2, fee: -1 }), /fee must be ≥ 0/);
  assert.throws(() => venue.liquidate({ symbol: TRX, positionSide: 'long', price: 0.2 }), /not allowed in one-way mode/);
  assert.equal((await venue.positions())[0]!.size, 1000);
});
