/**
 * Realised volatility as an EWMA of log returns (RiskMetrics), annualised. Pure and
 * incremental: `ewmaUpdate(state, price)` returns the next state; feed it one price per
 * bar (e.g. each 1-minute close from the MarketData port or a price file).
 *
 *   r_t   = ln(P_t / P_{t−1})                     (mean assumed 0, as RiskMetrics)
 *   warm-up, first `minReturns` returns:  v_t = mean of r_1² … r_t²   (equal weights)
 *   then:                                 v_t = λ · v_{t−1} + (1 − λ) · r_t²
 *   σ_annual = sqrt(v_t × barsPerYear),   barsPerYear = 365 × 24 h / barInterval
 *
 * Crypto trades every day, so a year is 365 days of bars (1-minute bars: 525 600).
 * Until `minReturns` returns are seen the estimate is `undefined`, and the features fall
 * back to the configured default volatility. The state is plain data (JSON-safe), so a
 * backtest or a restart can carry it.
 */
import { HedgehookError } from '../core/errors.ts';

const YEAR_MS = 365 * 86_400_000;

export interface EwmaSettings {
  /** Decay per bar, 0 < λ < 1; RiskMetrics uses 0.94. */
  lambda: number;
  /** The spacing of the prices fed in, ms. */
  barIntervalMs: number;
  /** Returns needed before an estimate is given. */
  minReturns: number;
}

export const DEFAULT_EWMA_SETTINGS: Readonly<EwmaSettings> = Object.freeze({
  lambda: 0.94,
  barIntervalMs: 60_000,
  minReturns: 10,
});

export interface EwmaState {
  readonly lastPrice: number | null;
  /** Per-bar variance of log returns; null before the first return. */
  readonly variance: number | null;
  readonly returns: number;
}

export const EWMA_INITIAL: EwmaState = Object.freeze({ lastPrice: null, variance: null, returns: 0 });

function checkSettings(s: EwmaSettings): void {
  if (!(s.lambda > 0 && s.lambda < 1)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `EWMA lambda must be in (0, 1), got ${s.lambda}`);
  if (!(s.barIntervalMs > 0)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `barIntervalMs must be positive, got ${s.barIntervalMs}`);
}

/**
 * The next state after one price. `bars` (default 1) is how many bars apart this price is
 * from the last one, for a sparse series (prices seen in signals): a return over k bars
 * has k times the variance of a one-bar return, so it enters as the per-bar r² / k. It is
 * still one observation of the EWMA (one decay step), not k.
 */
export function ewmaUpdate(state: EwmaState, price: number, settings: EwmaSettings = DEFAULT_EWMA_SETTINGS, bars = 1): EwmaState {
  checkSettings(settings);
  if (!(Number.isFinite(price) && price > 0)) {
    throw new HedgehookError('HH_ERR_INVALID_NUMBER', `price must be a positive finite number, got ${price}`);
  }
  if (!(Number.isFinite(bars) && bars >= 1)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `bars must be ≥ 1, got ${bars}`);
  if (state.lastPrice === null) return { lastPrice: price, variance: null, returns: 0 };
  const r = Math.log(price / state.lastPrice);
  const r2 = bars === 1 ? r * r : (r * r) / bars;
  const n = state.returns;
  let variance: number;
  if (state.variance === null || n === 0) variance = r2;
  else if (n < settings.minReturns) variance = (state.variance * n + r2) / (n + 1);
  else variance = settings.lambda * state.variance + (1 - settings.lambda) * r2;
  return { lastPrice: price, variance, returns: n + 1 };
}

/** Annualised volatility (0.35 = 35%), or undefined during the warm-up. */
export function ewmaAnnualised(state: EwmaState, settings: EwmaSettings = DEFAULT_EWMA_SETTINGS): number | undefined {
  checkSettings(settings);
  if (state.variance === null || state.returns < settings.minReturns) return undefined;
  return Math.sqrt(state.variance * (YEAR_MS / settings.barIntervalMs));
}

/** Folds a price series; convenient for a backtest window or a test. */
export function annualisedVolatility(prices: Iterable<number>, settings: EwmaSettings = DEFAULT_EWMA_SETTINGS): number | undefined {
  let state = EWMA_INITIAL;
  for (const p of prices) state = ewmaUpdate(state, p, settings);
  return ewmaAnnualised(state, settings);
}

/** A small mutable holder around the pure functions, for a live feed. */
export class EwmaVolatility {
  private current: EwmaState;
  constructor(
    readonly settings: EwmaSettings = DEFAULT_EWMA_SETTINGS,
    initial: EwmaState = EWMA_INITIAL,
  ) {
    checkSettings(settings);
    this.current = initial;
  }
  update(price: number): this {
    this.current = ewmaUpdate(this.current, price, this.settings);
    return this;
  }
  get state(): EwmaState {
    return this.current;
  }
  /** Annualised volatility, undefined during the warm-up. */
  get value(): number | undefined {
    return ewmaAnnualised(this.current, this.settings);
  }
}
