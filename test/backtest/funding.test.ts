import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MarginAccount } from '../../src/backtest/account.ts';
import { constantSchedule, fileSchedule, fundingCashFlow, FUNDING_INTERVAL_MS } from '../../src/backtest/funding.ts';
import { TRXUSDT_BRACKETS } from '../../src/backtest/margin.ts';
import { replayStrategy } from '../../src/backtest/replay.ts';
import { staticModel } from '../../src/model/static-model.ts';
import { bars, flat, MINUTE, replayInput, signal, T0 } from './helpers.ts';

const close = (actual: number, expected: number, eps = 1e-9) => assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);

describe('funding', () => {
  it('longs pay shorts when the rate is positive, and the other way round', () => {
    // 40 000 TRX at a mark of 0.25 = 10 000 USDT; 0.01% = 1 USDT.
    close(fundingCashFlow(40_000, 0.25, 0.0001), -1);
    close(fundingCashFlow(-40_000, 0.25, 0.0001), 1);
    close(fundingCashFlow(40_000, 0.25, -0.0002), 2);
  });

  it('a constant rate settles at 00:00, 08:00 and 16:00 UTC; a file at its own times', () => {
    const c = constantSchedule(0.0001);
    assert.equal(c.next(T0 - 1)!.time, T0);
    assert.equal(c.next(T0)!.time, T0 + FUNDING_INTERVAL_MS);
    assert.equal(c.next(T0 + 3_600_000)!.time, T0 + FUNDING_INTERVAL_MS);
    const f = fileSchedule([{ time: T0, rate: 0.0001 }, { time: T0 + FUNDING_INTERVAL_MS, rate: -0.0003 }], 'f.csv');
    assert.deepEqual(f.next(T0 - 5), { time: T0, rate: 0.0001 });
    assert.deepEqual(f.next(T0), { time: T0 + FUNDING_INTERVAL_MS, rate: -0.0003 });
    assert.equal(f.next(T0 + FUNDING_INTERVAL_MS), undefined);
  });

  it('accrues to the wallet, and in isolated mode comes out of the position\'s margin', () => {
    const cross = new MarginAccount('primary', 1000, { mode: 'cross', brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.01 });
    cross.fill('main', 40_000, 0.25, 0, 10);
    cross.fill('hedge', -20_000, 0.25, 0, 10);
    const flows = cross.fund(0.25, 0.0001);
    close(flows.get('main')!, -1);
    close(flows.get('hedge')!, 0.5);
    close(cross.wallet, 999.5);
    const isolated = new MarginAccount('primary', 1000, { mode: 'isolated', brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.01 });
    isolated.fill('main', 40_000, 0.25, 0, 10);
    assert.equal(isolated.positions.get('main')!.margin, 1000);
    isolated.fund(0.25, 0.0001);
    close(isolated.positions.get('main')!.margin, 999);
    close(isolated.wallet, 999);
  });

  it('every settlement while a position is open is charged in the replay, at the last close', async () => {
    // Bars from 07:50 to 16:10 UTC: settlements at 08:00 and 16:00, both while a 10 000 TRX
    // short (the bot's) is open at 0.25; 0.03% each → the short receives 0.75 USDT twice.
    const start = T0 + 8 * 3_600_000 - 10 * MINUTE;
    const b = bars(flat(500, 0.25), start);
    const signals = [signal('o', start + 2 * MINUTE, 'open', 'short', 10_000), signal('c', start + 495 * MINUTE, 'close', 'flat', 0)];
    const run = await replayStrategy(replayInput(b, signals, {}, constantSchedule(0.0003)), { name: 'none', model: staticModel(0) });
    close(run.main.funding, -1.5);
    close(run.hedge.funding, 0);
  });
});
