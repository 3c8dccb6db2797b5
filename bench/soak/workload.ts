/**
 * What the soak sends: a strategy per account on TRX/USDT:USDT (the one symbol with
 * exchange precision today, so keys differ by account), whose main position moves
 * through open, add, reduce, update and close. Prices follow one slow random walk, so
 * the risk guard's price-deviation check passes and the hedges really trade.
 *
 * Main positions are long or flat, never short. Why: every account hedges on the same
 * paper venues, whose one-way accounts net all of them into one position; with mains of
 * both signs, one account's reduce-only buy could meet a venue position that another
 * account's hedge had already turned long, and be refused for reasons that have nothing
 * to do with the property under test.
 */
import type { Random } from '../../src/core/random.ts';

export interface SoakPayload {
  account: string;
  symbol: string;
  action: 'open' | 'add' | 'reduce' | 'close' | 'update';
  type: string;
  strength: number;
  price: number;
  time: string;
  position: { side: 'long' | 'flat'; size: number; leverage: number };
  /** Ignored by hedgehook (unknown fields are dropped) but kept in the journaled body. */
  soak: { key: string; k: number };
}

export class AccountStrategy {
  private size = 0;
  private count = 0;
  private readonly leverage: number;

  constructor(readonly account: string, private readonly random: Random) {
    this.leverage = 1 + Math.floor(random() * 10);
  }

  next(price: number, now: number): SoakPayload {
    const r = this.random;
    let action: SoakPayload['action'];
    if (this.size === 0) {
      action = 'open';
      this.size = 20_000 + Math.round(r() * 80_000);
    } else {
      const u = r();
      if (u < 0.3) {
        action = 'add';
        this.size = Math.min(this.size + 5_000 + Math.round(r() * 25_000), 250_000);
      } else if (u < 0.55) {
        action = 'reduce';
        this.size = Math.max(this.size - 5_000 - Math.round(r() * 20_000), 1_000);
      } else if (u < 0.93) {
        action = 'update';
      } else {
        action = 'close';
        this.size = 0;
      }
    }
    return {
      account: this.account,
      // TradingView's ticker form: the normalisation is on the path too.
      symbol: 'TRXUSDT.P',
      action,
      type: 'soak',
      strength: Math.round((0.1 + 0.9 * r()) * 100) / 100,
      price,
      time: new Date(now).toISOString(),
      position: this.size === 0 ? { side: 'flat', size: 0, leverage: this.leverage } : { side: 'long', size: this.size, leverage: this.leverage },
      soak: { key: this.account, k: this.count++ },
    };
  }
}

/** A slow random walk around TRX's price, on its 0.00001 tick. */
export class PriceWalk {
  private price = 0.2412;

  constructor(private readonly random: Random) {}

  next(): number {
    this.price *= 1 + (this.random() - 0.5) * 0.0004;
    return Math.round(this.price * 100_000) / 100_000;
  }
}
