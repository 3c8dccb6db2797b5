/**
 * Realised volatility per symbol from the prices seen in signals: the stopgap until the
 * market-data feed arrives (execution issue). Pure and in memory; time is the signal's.
 *
 * Signals come at irregular times, and several may share a minute, so prices are first
 * put on the bar grid of the EWMA (`barIntervalMs`, default 1 minute):
 *   - the last price seen within a bar is that bar's close;
 *   - when a price arrives in a later bar, the pending bar is closed and its close is fed
 *     to the EWMA (volatility.ts) with the number of bars since the previous close, so a
 *     return over k bars counts as r² / k per bar (its variance scales with k);
 *   - a price older than the pending bar (a late signal of another account) is ignored.
 * `estimate(symbol)` also counts the pending bar, provisionally, so the latest signal's
 * price is part of the estimate. Until `minReturns` closes are seen, it is undefined and
 * the features use the configured default volatility. Sparse signals make this a rough
 * estimate (few returns, long gaps); the decision records which source it used.
 */
import { DEFAULT_EWMA_SETTINGS, EWMA_INITIAL, ewmaAnnualised, ewmaUpdate, type EwmaSettings, type EwmaState } from './volatility.ts';

interface SymbolTrack {
  /** The EWMA over closed bars; its lastPrice is the last closed bar's close. */
  state: EwmaState;
  /** Bar index of that close, or null before the first close. */
  closedBar: number | null;
  pendingBar: number;
  pendingPrice: number;
}

export class SignalPriceVolatility {
  private readonly tracks = new Map<string, SymbolTrack>();

  constructor(readonly settings: EwmaSettings = DEFAULT_EWMA_SETTINGS) {
    // Validates the settings once, up front.
    ewmaAnnualised(EWMA_INITIAL, settings);
  }

  /** Records a price seen at `time` (epoch ms). Non-positive or non-finite prices are ignored. */
  observe(symbol: string, price: number, time: number): void {
    if (!(Number.isFinite(price) && price > 0) || !Number.isFinite(time)) return;
    const bar = Math.floor(time / this.settings.barIntervalMs);
    const track = this.tracks.get(symbol);
    if (!track) {
      this.tracks.set(symbol, { state: EWMA_INITIAL, closedBar: null, pendingBar: bar, pendingPrice: price });
      return;
    }
    if (bar < track.pendingBar) return;
    if (bar === track.pendingBar) {
      track.pendingPrice = price;
      return;
    }
    track.state = this.close(track);
    track.closedBar = track.pendingBar;
    track.pendingBar = bar;
    track.pendingPrice = price;
  }

  /** Annualised volatility (0.35 = 35%) including the pending bar, or undefined during the warm-up. */
  estimate(symbol: string): number | undefined {
    const track = this.tracks.get(symbol);
    if (!track) return undefined;
    return ewmaAnnualised(this.close(track), this.settings);
  }

  /** The latest price seen for `symbol`, if any. */
  lastPrice(symbol: string): number | undefined {
    return this.tracks.get(symbol)?.pendingPrice;
  }

  /** Latest price per symbol. */
  lastPrices(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [symbol, t] of this.tracks) out[symbol] = t.pendingPrice;
    return out;
  }

  /** The EWMA state after closing the pending bar (without committing it). */
  private close(track: SymbolTrack): EwmaState {
    const bars = track.closedBar === null ? 1 : track.pendingBar - track.closedBar;
    return ewmaUpdate(track.state, track.pendingPrice, this.settings, bars);
  }
}
