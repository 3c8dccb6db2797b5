/**
 * The liquidation price against Binance's published formula, with the numbers worked by
 * hand (TRXUSDT brackets: 0–10 000 USDT at 0.65% cum 0; 10 000–90 000 at 1% cum 35).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  TRXUSDT_BRACKETS,
  adverseDirection,
  bracketFor,
  liquidatedAt,
  liquidationPrice,
  liquidationTrigger,
  maintenanceMargin,
  marginBalance,
  type MaintenanceBracket,
} from '../../src/backtest/margin.ts';

function close(actual: number | null, expected: number, eps = 1e-12): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);
}

const FIRST_ONLY: MaintenanceBracket[] = [{ notionalCap: Infinity, maintenanceMarginRate: 0.0065, maintenanceAmount: 0 }];

describe('Binance USDⓈ-M liquidation price', () => {
  it('isolated long, 10x: 30 000 TRX at 0.25 with 750 USDT margin', () => {
    // LP = (WB + cum − Q·EP) / (Q·MMR − Q) = (750 + 0 − 7500) / (195 − 30 000) = 6750 / 29 805
    const pool = { walletBalance: 750, long: { size: 30_000, entryPrice: 0.25 } };
    const lp = liquidationPrice(pool, TRXUSDT_BRACKETS);
    close(lp, 6750 / 29_805);
    close(lp, 0.22647206844489180, 1e-15);
    // At LP the margin balance equals the maintenance margin: 44.16… USDT both.
    close(marginBalance(pool, lp!), maintenanceMargin(pool, TRXUSDT_BRACKETS, lp!), 1e-9);
    assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, lp! * (1 - 1e-9)), true);
    assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, lp! * (1 + 1e-9)), false);
    assert.equal(adverseDirection(pool), 1);
  });

  it('isolated short, 10x: the liquidation price is above the entry', () => {
    // LP = (WB + cum + Q·EP) / (Q·MMR + Q) = (750 + 7500) / (195 + 30 000)
    const pool = { walletBalance: 750, short: { size: 30_000, entryPrice: 0.25 } };
    const lp = liquidationPrice(pool, TRXUSDT_BRACKETS);
    close(lp, 8250 / 30_195);
    assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, lp! * (1 + 1e-9)), true);
    assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, lp! * (1 - 1e-9)), false);
    assert.equal(adverseDirection(pool), -1);
  });

  it('cross, bracket 2: 100 000 TRX long at 0.25 on a 2 500 USDT wallet', () => {
    // notional 25 000 → MMR 1%, cum 35: LP = (2500 + 35 − 25 000) / (1000 − 100 000)
    const lp = liquidationPrice({ walletBalance: 2500, long: { size: 100_000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS);
    close(lp, 22_465 / 99_000);
  });

  it('cross: other contracts enter as TMM1 and UPNL1', () => {
    // (WB − TMM1 + UPNL1 − Q·EP) / (Q·MMR − Q) with TMM1 = 20, UPNL1 = −100
    const lp = liquidationPrice(
      { walletBalance: 1000, otherMaintenance: 20, otherUnrealised: -100, long: { size: 30_000, entryPrice: 0.25 } },
      FIRST_ONLY,
    );
    close(lp, (1000 - 20 - 100 - 7500) / (195 - 30_000));
  });

  it('hedge mode, cross: a short hedge in the same account moves the liquidation price away', () => {
    // LONG 100 000 @0.25 (25 000 USDT, bracket 2) and SHORT 50 000 @0.25 (12 500 USDT, bracket 2):
    // LP = (2500 + 35 + 35 − 25 000 + 12 500) / (1000 + 500 − 100 000 + 50 000) = −9930 / −48 500
    const unhedged = liquidationPrice({ walletBalance: 2500, long: { size: 100_000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS)!;
    const pool = { walletBalance: 2500, long: { size: 100_000, entryPrice: 0.25 }, short: { size: 50_000, entryPrice: 0.25 } };
    const hedged = liquidationPrice(pool, TRXUSDT_BRACKETS);
    close(hedged, 9930 / 48_500);
    assert.ok(hedged! < unhedged, `${hedged} should be below ${unhedged}`);
    close(marginBalance(pool, hedged!), maintenanceMargin(pool, TRXUSDT_BRACKETS, hedged!), 1e-9);
  });

  it('a full hedge in the same account is only liquidated where the two maintenance margins eat the wallet', () => {
    // Q·(P − EP) + Q·(EP − P) = 0, so WB = 2·Q·P·MMR: P = 100 / (2 × 1000 × 0.0065), far above.
    const pool = { walletBalance: 100, long: { size: 1000, entryPrice: 0.25 }, short: { size: 1000, entryPrice: 0.25 } };
    close(liquidationPrice(pool, FIRST_ONLY), 100 / 13);
    assert.equal(adverseDirection(pool), 0);
    assert.equal(liquidatedAt(pool, FIRST_ONLY, 0.01), false);
  });

  it('no position or a wallet that covers any fall has no liquidation price', () => {
    assert.equal(liquidationPrice({ walletBalance: 1_000_000, long: { size: 1000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS), null);
    assert.equal(liquidationPrice({ walletBalance: 100 }, TRXUSDT_BRACKETS), null);
    assert.equal(liquidatedAt({ walletBalance: -5 }, TRXUSDT_BRACKETS, 0.2), false);
  });

  it('substitutes the bracket at the liquidation price when it differs from the entry bracket', () => {
    // 42 000 TRX @0.25 = 10 500 USDT opens in bracket 2; with bracket 2 the LP would be
    // 9415 / 41 580 = 0.22643, where the notional (9 510) is in bracket 1, so Binance's rule
    // recomputes with bracket 1: (1050 − 10 500) / (273 − 42 000) = 9450 / 41 727.
    assert.equal(bracketFor(TRXUSDT_BRACKETS, 10_500).maintenanceMarginRate, 0.01);
    const lp = liquidationPrice({ walletBalance: 1050, long: { size: 42_000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS);
    close(lp, 9450 / 41_727);
    assert.equal(bracketFor(TRXUSDT_BRACKETS, 42_000 * lp!).maintenanceMarginRate, 0.0065);
  });

  it('a 10x position is liquidated by a move of roughly 9.4% against it', () => {
    const lp = liquidationPrice({ walletBalance: 100, long: { size: 4000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS)!;
    const move = 1 - lp / 0.25;
    assert.ok(move > 0.09 && move < 0.1, `move ${move}`);
  });
});

describe('liquidation trigger (the per-bar test)', () => {
  it('is below the price for a net long, above for a net short and for a fully offset pair', () => {
    const long = liquidationTrigger({ walletBalance: 750, long: { size: 30_000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS)!;
    assert.equal(long.below, true);
    close(long.price, 6750 / 29_805);
    const short = liquidationTrigger({ walletBalance: 750, short: { size: 30_000, entryPrice: 0.25 } }, TRXUSDT_BRACKETS)!;
    assert.equal(short.below, false);
    const offset = liquidationTrigger({ walletBalance: 100, long: { size: 1000, entryPrice: 0.25 }, short: { size: 1000, entryPrice: 0.25 } }, FIRST_ONLY)!;
    assert.equal(offset.below, false);
    close(offset.price, 100 / 13);
  });

  it('agrees with the direct margin test on either side of the trigger', () => {
    const pools = [
      { walletBalance: 2500, long: { size: 100_000, entryPrice: 0.25 }, short: { size: 50_000, entryPrice: 0.24 } },
      { walletBalance: 2500, long: { size: 20_000, entryPrice: 0.25 }, short: { size: 90_000, entryPrice: 0.26 } },
      { walletBalance: 400, short: { size: 42_000, entryPrice: 0.25 } },
    ];
    for (const pool of pools) {
      const t = liquidationTrigger(pool, TRXUSDT_BRACKETS)!;
      const worse = t.below ? t.price * 0.999 : t.price * 1.001;
      const better = t.below ? t.price * 1.001 : t.price * 0.999;
      assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, worse), true, JSON.stringify(pool));
      assert.equal(liquidatedAt(pool, TRXUSDT_BRACKETS, better), false, JSON.stringify(pool));
    }
  });
});
