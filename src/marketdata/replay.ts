/**
 * Replays a price file (`marketData: {kind: "replay", file, speed}`) as tickers of one
 * symbol. Two ways to drive it:
 * - clocked (`speed` > 0 and finite): on the Clock port, `speed`× faster than the data
 *   (60 = an hour of bars per minute). The replayed market happens now, so each ticker's
 *   `time` is the clock's time when it is published.
 * - stepped (`speed` 0 or Infinity): nothing happens by itself; the backtest calls
 *   `step()` / `advanceTo(time)` and each ticker's `time` is the data's own time.
 *
 * What a bar becomes (`path`), never looking ahead of the bar's end:
 * - `close` (default): one ticker per bar, the close, at the bar's END (open time + bar
 *   length): a close is not known before then, so a backtest never sees it early.
 * - `ohlc`: four tickers per bar at open, +⅓, +⅔ and the end. An up bar (close ≥ open)
 *   is taken as open → low → high → close, a down bar as open → high → low → close: the
 *   bar first went against its direction, the longer and more conservative path.
 * No interpolation within a bar. The bar length is the smallest gap between two bars
 * (gaps in the data are then gaps in the replay), or `barMs` when given.
 */
import { basename } from 'node:path';
import type { Clock } from '../core/clock.ts';
import { HedgehookError } from '../core/errors.ts';
import { TRX_USDT_PERP } from '../core/instrument.ts';
import type { Bar, MarketData, Ticker } from '../core/market.ts';
import { readPriceFile } from './price-file.ts';
import { TickerHub } from './ticker-hub.ts';

export type ReplayPath = 'close' | 'ohlc';

export interface ReplaySettings {
  /** Sorted bars, as `readPriceFile` returns them. */
  bars: readonly Bar[];
  /** The symbol the prices are for; default TRX/USDT:USDT. */
  symbol?: string;
  /** × real time; 0 or Infinity = stepped by the caller. Default 1. */
  speed?: number;
  path?: ReplayPath;
  /** Clocked only: start again from the first bar after the last (a demo that never runs dry). */
  loop?: boolean;
  /** Bar length in ms; default the smallest gap between two bars. */
  barMs?: number;
  /** Where the bars came from, for the description. */
  source?: string;
}

export interface ReplayFileSettings extends Omit<ReplaySettings, 'bars' | 'source'> {
  file: string;
}

export interface ReplayDeps {
  clock: Clock;
}

/** Sub-points per bar for each path. */
const POINTS: Record<ReplayPath, number> = { close: 1, ohlc: 4 };

export class ReplayFeed implements MarketData {
  readonly kind = 'replay' as const;
  readonly description: string;
  readonly symbol: string;
  readonly stepped: boolean;
  private readonly hub = new TickerHub();
  private readonly bars: readonly Bar[];
  private readonly speed: number;
  private readonly path: ReplayPath;
  private readonly perBar: number;
  private readonly loop: boolean;
  private readonly barMs: number;
  /** The next point: bar index × perBar + sub-point. */
  private cursor = 0;
  private started = false;
  private closed = false;
  private cancelTimer: (() => void) | undefined;
  /** Clocked: the clock time of the first point of the current pass. */
  private passStart = 0;

  constructor(settings: ReplaySettings, private readonly deps: ReplayDeps) {
    this.bars = settings.bars;
    if (this.bars.length === 0) throw invalid('no bars to replay');
    this.symbol = settings.symbol ?? TRX_USDT_PERP.symbol;
    this.speed = settings.speed ?? 1;
    if (!(this.speed >= 0)) throw invalid(`speed must be ≥ 0 (0 or Infinity = stepped), got ${this.speed}`);
    this.stepped = this.speed === 0 || this.speed === Infinity;
    this.path = settings.path ?? 'close';
    if (!(this.path in POINTS)) throw invalid(`path must be close or ohlc, got ${String(this.path)}`);
    this.perBar = POINTS[this.path];
    this.loop = settings.loop ?? false;
    this.barMs = settings.barMs ?? smallestGap(this.bars);
    if (!(this.barMs > 0)) throw invalid('barMs is needed to replay a single bar');
    const what = `replay of ${settings.source ?? 'prices'} (${this.bars.length} bars, ${this.path})`;
    this.description = this.stepped ? `${what}, stepped by the caller` : `${what} at ${this.speed}x`;
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

  /**
   * Clocked: publishes the first price now and schedules the rest. Stepped: only marks
   * the feed started. Symbols other than `symbol` get no price (lastPrice stays undefined).
   */
  async start(_symbols: readonly string[]): Promise<void> {
    if (this.closed) throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', `${this.description}: closed`);
    if (this.started) return;
    this.started = true;
    if (!this.stepped) {
      this.passStart = this.deps.clock.now();
      this.emitDue();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** True when every point was published (never, for a looping clocked replay). */
  get done(): boolean {
    return this.cursor >= this.bars.length * this.perBar;
  }

  /** Data time of the next point, or undefined at the end. */
  nextTime(): number | undefined {
    return this.done ? undefined : this.pointTime(this.cursor);
  }

  /** Stepped: publishes the next point; undefined at the end. */
  step(): Ticker | undefined {
    this.assertStepped('step');
    if (this.done) return undefined;
    const ticker: Ticker = { symbol: this.symbol, time: this.pointTime(this.cursor), last: this.pointPrice(this.cursor) };
    this.cursor++;
    this.hub.publish(ticker);
    return ticker;
  }

  /** Stepped: publishes every point at or before `time` (data time); returns how many. */
  advanceTo(time: number): number {
    this.assertStepped('advanceTo');
    let n = 0;
    while (!this.done && this.pointTime(this.cursor) <= time) {
      this.step();
      n++;
    }
    return n;
  }

  private assertStepped(what: string): void {
    if (!this.stepped) {
      throw new HedgehookError('HH_ERR_INTERNAL', `${what}() drives a stepped replay (speed 0); this one runs on the clock at ${this.speed}x`);
    }
  }

  /** Clocked: publishes every point whose clock time has come, then waits for the next. */
  private emitDue(): void {
    this.cancelTimer = undefined;
    if (this.closed) return;
    const origin = this.pointTime(0);
    for (;;) {
      if (this.done) {
        if (!this.loop) return;
        // The next pass starts one bar after the end of this one.
        this.passStart += (this.pointTime(this.bars.length * this.perBar - 1) - origin + this.barMs) / this.speed;
        this.cursor = 0;
      }
      const due = this.passStart + (this.pointTime(this.cursor) - origin) / this.speed;
      const now = this.deps.clock.now();
      if (due > now) {
        this.cancelTimer = this.deps.clock.setTimer(due - now, () => this.emitDue());
        return;
      }
      const last = this.pointPrice(this.cursor);
      this.cursor++;
      this.hub.publish({ symbol: this.symbol, time: now, last });
    }
  }

  private pointTime(point: number): number {
    const bar = this.bars[Math.floor(point / this.perBar)]!;
    if (this.perBar === 1) return bar.time + this.barMs;
    // Whole ms: sub-points of a 1-minute bar land at +20 s and +40 s.
    return bar.time + Math.floor(((point % this.perBar) * this.barMs) / (this.perBar - 1));
  }

  private pointPrice(point: number): number {
    const bar = this.bars[Math.floor(point / this.perBar)]!;
    if (this.perBar === 1) return bar.close;
    const up = bar.close >= bar.open;
    switch (point % this.perBar) {
      case 0:
        return bar.open;
      case 1:
        return up ? bar.low : bar.high;
      case 2:
        return up ? bar.high : bar.low;
      default:
        return bar.close;
    }
  }
}

function smallestGap(bars: readonly Bar[]): number {
  let gap = Infinity;
  for (let i = 1; i < bars.length; i++) {
    const d = bars[i]!.time - bars[i - 1]!.time;
    if (d > 0 && d < gap) gap = d;
  }
  return gap === Infinity ? 0 : gap;
}

function invalid(detail: string): HedgehookError {
  return new HedgehookError('HH_ERR_CONFIG_INVALID', `replay market data: ${detail}`);
}

export function createReplayFeed(settings: ReplaySettings, deps: ReplayDeps): ReplayFeed {
  return new ReplayFeed(settings, deps);
}

/** Reads the price file (one clear line per bad row, see price-file.ts) and replays it. */
export async function openReplayFeed(settings: ReplayFileSettings, deps: ReplayDeps): Promise<ReplayFeed> {
  const { file, ...rest } = settings;
  const bars = await readPriceFile(file);
  return new ReplayFeed({ ...rest, bars, source: basename(file) }, deps);
}
