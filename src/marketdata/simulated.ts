/**
 * A simulated feed for running offline with nothing given: geometric Brownian motion with
 * TRX-like volatility (annualised 35%, the 32–35% of the shared TRX data), one price per
 * symbol every `intervalMs` of the Clock port. Its `kind` and `description` say it is
 * simulated, so the log and the dashboard can never pass it off as a market.
 *
 * Deterministic given the clock and the injected random source. Prices are published on
 * the tick grid (rounded to the nearest tick, `tickSizes`); the walk itself continues
 * unrounded so the rounding does not bias the volatility.
 */
import type { Clock } from '../core/clock.ts';
import { Decimal } from '../core/decimal.ts';
import { HedgehookError } from '../core/errors.ts';
import { TRX_USDT_PERP } from '../core/instrument.ts';
import type { MarketData, Ticker } from '../core/market.ts';
import { normalDraw, type Random } from '../core/random.ts';
import { TickerHub } from './ticker-hub.ts';

/** A 24/7 market: volatility is annualised over calendar time. */
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface SimulatedFeedSettings {
  /** Annualised volatility, 0.35 = 35%. */
  volatility?: number;
  /** Annualised drift of the log price; 0 = no trend. */
  drift?: number;
  /** Time between two prices, ms of the Clock port. */
  intervalMs?: number;
  /** First price per symbol; merged over the defaults (TRX/USDT:USDT 0.24). */
  startPrices?: Record<string, number>;
  /** Tick size per symbol (prices are published on this grid); merged over the defaults. */
  tickSizes?: Record<string, string | number>;
}

export const DEFAULT_SIMULATED_SETTINGS = {
  volatility: 0.35,
  drift: 0,
  intervalMs: 1000,
  startPrices: { [TRX_USDT_PERP.symbol]: 0.24 } as Record<string, number>,
  tickSizes: { [TRX_USDT_PERP.symbol]: TRX_USDT_PERP.tickSize } as Record<string, string | number>,
} as const;

export interface SimulatedFeedDeps {
  clock: Clock;
  random: Random;
}

export class SimulatedFeed implements MarketData {
  readonly kind = 'simulated' as const;
  readonly description: string;
  private readonly hub = new TickerHub();
  private readonly volatility: number;
  private readonly drift: number;
  private readonly intervalMs: number;
  private readonly startPrices: Record<string, number>;
  private readonly ticks = new Map<string, Decimal>();
  /** The unrounded walk per symbol, in the order symbols were started (draws stay reproducible). */
  private readonly walks = new Map<string, number>();
  private cancelTimer: (() => void) | undefined;
  private closed = false;

  constructor(settings: SimulatedFeedSettings, private readonly deps: SimulatedFeedDeps) {
    this.volatility = settings.volatility ?? DEFAULT_SIMULATED_SETTINGS.volatility;
    this.drift = settings.drift ?? DEFAULT_SIMULATED_SETTINGS.drift;
    this.intervalMs = settings.intervalMs ?? DEFAULT_SIMULATED_SETTINGS.intervalMs;
    if (!(this.volatility >= 0 && Number.isFinite(this.volatility))) throw invalid(`volatility must be ≥ 0, got ${this.volatility}`);
    if (!Number.isFinite(this.drift)) throw invalid(`drift must be finite, got ${this.drift}`);
    if (!(this.intervalMs > 0 && Number.isFinite(this.intervalMs))) throw invalid(`intervalMs must be > 0, got ${this.intervalMs}`);
    this.startPrices = { ...DEFAULT_SIMULATED_SETTINGS.startPrices, ...settings.startPrices };
    for (const [symbol, tick] of Object.entries({ ...DEFAULT_SIMULATED_SETTINGS.tickSizes, ...settings.tickSizes })) {
      this.ticks.set(symbol, Decimal.from(tick));
    }
    this.description = `SIMULATED prices (random walk, ${round2(this.volatility * 100)}% annualised volatility, `
      + `every ${this.intervalMs} ms) — not a market`;
  }

  ticker(symbol: string): Ticker | undefined {
    return this.hub.ticker(symbol);
  }

  lastPrice(symbol: string): number | undefined {
    return this.hub.lastPrice(symbol);
  }

  onTicker(listener: (ticker: Ticker) => void): () => void {
    return this.hub.onTicker(listener);
  }

  /** Publishes the start price of each new symbol at once, then one price per interval. */
  async start(symbols: readonly string[]): Promise<void> {
    if (this.closed) throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', 'simulated feed is closed');
    const fresh = symbols.filter((s) => !this.walks.has(s));
    for (const symbol of fresh) {
      const start = this.startPrices[symbol];
      if (start === undefined || !(start > 0)) {
        throw invalid(`no start price for ${symbol}: give marketData.startPrices["${symbol}"]`);
      }
      this.walks.set(symbol, start);
    }
    for (const symbol of fresh) this.publish(symbol);
    if (!this.cancelTimer && this.walks.size > 0) this.schedule();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(): void {
    this.cancelTimer = this.deps.clock.setTimer(this.intervalMs, () => {
      this.cancelTimer = undefined;
      if (this.closed) return;
      // Re-arm first: a listener that throws must not stop the feed.
      this.schedule();
      this.step();
    });
  }

  /** One GBM step of `intervalMs` for every symbol. */
  private step(): void {
    const dt = this.intervalMs / YEAR_MS;
    const drift = (this.drift - (this.volatility * this.volatility) / 2) * dt;
    const diffusion = this.volatility * Math.sqrt(dt);
    for (const [symbol, price] of this.walks) {
      this.walks.set(symbol, price * Math.exp(drift + diffusion * normalDraw(this.deps.random)));
    }
    for (const symbol of this.walks.keys()) this.publish(symbol);
  }

  private publish(symbol: string): void {
    const raw = this.walks.get(symbol)!;
    const tick = this.ticks.get(symbol);
    // Rounding happens here, to the nearest tick, for publication only.
    let last = tick ? Decimal.from(raw).roundToStep(tick, 'half-up').toNumber() : raw;
    if (last <= 0 && tick) last = tick.toNumber();
    this.hub.publish({ symbol, time: this.deps.clock.now(), last });
  }
}

function invalid(detail: string): HedgehookError {
  return new HedgehookError('HH_ERR_CONFIG_INVALID', `simulated market data: ${detail}`);
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

export function createSimulatedFeed(settings: SimulatedFeedSettings, deps: SimulatedFeedDeps): SimulatedFeed {
  return new SimulatedFeed(settings, deps);
}
