/**
 * The replay through the real engine and paper venues, on synthetic bars where every
 * number can be worked by hand (TRXUSDT tick 0.00001, paper venue: 1 bp spread, 0.05% taker).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constantSchedule } from '../../src/backtest/funding.ts';
import { TRXUSDT_BRACKETS } from '../../src/backtest/margin.ts';
import { replayStrategy, type VenueFactory } from '../../src/backtest/replay.ts';
import { paperVenueFactory } from '../../src/cli/commands/backtest.ts';
import { TRX_USDT_PERP } from '../../src/core/instrument.ts';
import type { PaperEvent, PaperVenue } from '../../src/venues/paper/index.ts';
import { strategyReport } from '../../src/backtest/report.ts';
import { staticModel } from '../../src/model/static-model.ts';
import { bars, flat, MINUTE, replayInput, signal, T0 } from './helpers.ts';

const close = (actual: number, expected: number, eps = 1e-9) => assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);

describe('fees and slippage come from the paper venue', () => {
  // Mid 0.25: best ask 0.25 × 1.00005 rounded up to the tick = 0.25002, best bid 0.24998.
  const b = bars(flat(10, 0.25));
  const signals = [signal('o', T0 + 2 * MINUTE, 'open', 'long', 10_000), signal('c', T0 + 5 * MINUTE, 'close', 'flat', 0)];

  it('no hedge: the bot pays 0.05% on each fill and half the spread each way', async () => {
    const run = await replayStrategy(replayInput(b, signals), { name: 'none', model: staticModel(0) });
    // buy 10 000 at 0.25002 (fee 1.2501), sell 10 000 at 0.24998 (fee 1.2499)
    close(run.main.fees, 2.5);
    close(run.main.slippage, 0.4);
    close(run.hedge.fees, 0);
    close(run.finalEquity - run.startingEquity, -2.9);
    const r = strategyReport(run);
    assert.equal(r.positions, 1);
    assert.equal(r.fees, 2.5);
    assert.equal(r.netPnl, -2.9);
    assert.equal(r.hedgeCost, 0);
    assert.deepEqual(run.decisions.map((d) => [d.action, d.state, d.ratio]), [['open', 'skipped', 0], ['close', 'skipped', 0]]);
  });

  it('static 1: the engine hedges the whole position in the same account and pays the same again', async () => {
    const run = await replayStrategy(replayInput(b, signals), { name: 'static:1', model: staticModel(1) });
    // hedge: sell 10 000 at 0.24998, buy back at 0.25002
    close(run.hedge.fees, 2.5);
    close(run.hedge.slippage, 0.4);
    assert.equal(strategyReport(run).hedgeCost, 2.9);
    close(run.finalEquity - run.startingEquity, -5.8);
    assert.deepEqual(run.decisions.map((d) => [d.action, d.state, d.order?.side, d.order?.amount]), [['open', 'hedged', 'sell', 10_000], ['close', 'hedged', 'buy', 10_000]]);
    assert.deepEqual(run.hedgeRatio.map((p) => p.ratio), [1]);
  });
});

describe('liquidation', () => {
  // 39 000 TRX long at 0.25002 on a 1 000 USDT cross wallet (≈10x): after the 4.875 fee
  // the liquidation price is (995.125 − 9750.78) / (253.5 − 39 000) ≈ 0.22597.
  // Bar 4 dips to 0.22 intrabar and closes at 0.245: the low liquidates, not the close.
  const path: [number, number, number][] = [...flat(4, 0.25), [0.22, 0.25, 0.245], ...flat(5, 0.245)];
  const b = bars(path);
  const signals = [
    signal('o', T0 + 2 * MINUTE, 'open', 'long', 39_000),
    signal('u', T0 + 7 * MINUTE, 'update', 'long', 39_000),
    signal('c', T0 + 8 * MINUTE, 'close', 'flat', 0),
  ];

  it('an unhedged position is liquidated at the bar\'s adverse extreme, at the liquidation price', async () => {
    const run = await replayStrategy(replayInput(b, signals), { name: 'none', model: staticModel(0) });
    const r = strategyReport(run);
    assert.equal(r.liquidations, 1);
    assert.equal(r.liquidationRate, 1);
    assert.equal(run.liquidations.length, 1);
    const liq = run.liquidations[0]!;
    const wallet = 1000 - 39_000 * 0.25002 * 0.0005;
    close(liq.price, (wallet - 39_000 * 0.25002) / (39_000 * 0.0065 - 39_000), 1e-12);
    assert.equal(liq.time, T0 + 5 * MINUTE);
    // The bot's later reports of that position are dropped; the engine got the venue's view.
    assert.deepEqual(run.decisions.map((d) => [d.signalId, d.action]), [['o', 'open'], ['liq-1', 'update']]);
    assert.equal(run.signals.dropped, 2);
    // The wallet kept what the clearance fee left: margin balance at LP = maintenance margin, all taken.
    assert.ok(run.finalEquity >= 0 && run.finalEquity < 1000 - 39_000 * (0.25002 - liq.price));
  });

  it('the liquidation reaches the paper venue: closed at the liquidation price, its wallet holds what the books hold', async () => {
    const venues: PaperVenue[] = [];
    const events: PaperEvent[] = [];
    const paper = paperVenueFactory({ wallet: 1000, funding: constantSchedule(0), instrument: TRX_USDT_PERP });
    const venue: VenueFactory = (id, ports) => {
      const v = paper(id, ports) as PaperVenue;
      v.onEvent((e) => events.push(e));
      venues.push(v);
      return v;
    };
    // A 0.5% clearance fee, below the 0.65% maintenance rate: some margin is left to compare.
    const margin = { mode: 'cross' as const, brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.005 };
    const run = await replayStrategy(replayInput(b, signals, { venue, margin }), { name: 'none', model: staticModel(0) });
    const liq = run.liquidations[0]!;
    assert.ok(run.finalEquity > 10, `${run.finalEquity}`);
    const forced = events.filter((e) => e.type === 'liquidation');
    assert.deepEqual(forced.map((e) => [e.venue, e.positionSide, e.size, e.price, e.time]), [['primary', 'long', 39_000, liq.price, liq.time]]);
    assert.equal(forced[0]!.fee, liq.fee);
    // No taker fill closed it: the only fill is the bot's opening buy.
    assert.deepEqual(events.filter((e) => e.type === 'fill').map((e) => e.side), ['buy']);
    assert.equal(venues[0]!.openOrders().length, 0);
    // The venue's wallet (exact decimals) and the backtest's books (doubles) agree.
    close(venues[0]!.totals().wallet, run.finalEquity, 1e-9);
    close(venues[0]!.totals().equity, run.finalEquity, 1e-9);
  });

  it('a full hedge in the same account (cross) protects the margin: no liquidation', async () => {
    const run = await replayStrategy(replayInput(b, signals), { name: 'static:1', model: staticModel(1) });
    assert.equal(strategyReport(run).liquidations, 0);
    assert.equal(run.decisions.length, 3);
  });

  it('a full hedge on another venue protects equity but not margin: liquidated, and the hedge is unwound', async () => {
    const unhedged = await replayStrategy(replayInput(b, signals, { placement: 'separate-account' }), { name: 'none', model: staticModel(0) });
    const run = await replayStrategy(replayInput(b, signals, { placement: 'separate-account' }), { name: 'static:1', model: staticModel(1) });
    assert.equal(strategyReport(run).liquidations, 1);
    // The hedge (short 39 000 from 0.24998) is bought back at the close after the
    // liquidation, 0.245 (ask 0.24502): about 193 USDT the unhedged run does not have.
    assert.ok(run.finalEquity > unhedged.finalEquity + 180, `${run.finalEquity} vs ${unhedged.finalEquity}`);
    const flatUpdate = run.decisions.find((d) => d.signalId === 'liq-1')!;
    assert.deepEqual([flatUpdate.state, flatUpdate.order?.side, flatUpdate.order?.amount], ['hedged', 'buy', 39_000]);
  });

  it('the same inputs give the same report, to the byte', async () => {
    const a = await replayStrategy(replayInput(b, signals), { name: 'none', model: staticModel(0.5) });
    const c = await replayStrategy(replayInput(b, signals), { name: 'none', model: staticModel(0.5) });
    assert.equal(JSON.stringify(strategyReport(a)), JSON.stringify(strategyReport(c)));
    assert.equal(JSON.stringify(a.equity), JSON.stringify(c.equity));
  });
});
