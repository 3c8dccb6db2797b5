/**
 * The live MarketData adapter: public tickers of one exchange through ccxt, polled.
 *
 * Every `pollMs` (of the injected Clock) it asks for the ticker of each started symbol
 * (fetchTicker, one request per symbol, concurrently: an all-symbols fetchTickers is the
 * heavier call on most exchanges — Binance weighs it 40 against 1 — for the two or three
 * symbols a hedge needs), keeps the latest of each for the synchronous `lastPrice` /
 * `ticker`, and tells the `onTicker` listeners about every changed ticker. Polls never
 * overlap: the next one is scheduled when the previous one is over.
 *
 * When a poll fails the feed keeps its last prices and waits longer before the next try
 * (pollMs × 2, × 4, … up to `maxBackoffMs`), so an exchange that is down or rate-limiting
 * us is not hammered. `status()` says how old the prices are and whether they are stale
 * (older than `staleAfterMs`): a consumer must not take a stale price for a live one, so
 * `lastPrice` stops answering once a price is older than `maxAgeMs`.
 */
import type { Clock } from '../core/clock.ts';
import { HedgehookError } from '../core/errors.ts';
import type { MarketData, Ticker } from '../core/market.ts';
import { createCcxtClient } from './ccxt-client.ts';
import { TickerHub } from './ticker-hub.ts';

/** What the feed reads from a ccxt ticker (a ccxt `Ticker` has these fields). */
export interface CcxtTickerLike {
  symbol?: string;
  timestamp?: number | undefined;
  last?: number | undefined;
  close?: number | undefined;
  bid?: number | undefined;
  ask?: number | undefined;
}

/** The slice of a ccxt exchange the feed uses (a ccxt `Exchange` has it). */
export interface TickerClient {
  readonly id: string;
  loadMarkets(): Promise<unknown>;
  readonly markets?: Record<string, unknown> | undefined;
  fetchTicker(symbol: string): Promise<CcxtTickerLike>;
}

export interface CcxtTickerFeedOptions {
  /** Time between polls; default 1000 ms. */
  pollMs?: number;
  /** Longest wait between polls after failures; default 30 000 ms. */
  maxBackoffMs?: number;
  /** A price older than this (by our clock) is reported stale; default 5 × pollMs. */
  staleAfterMs?: number;
  /** `lastPrice`/`ticker` answer undefined once a price is older than this; default 60 000 ms. */
  maxAgeMs?: number;
  /** Told when the feed goes stale or recovers, and of each failed poll (for the log). */
  onStatus?: (status: TickerFeedStatus) => void;
}

export type TickerFeedState = 'idle' | 'live' | 'stale' | 'closed';

export interface TickerFeedStatus {
  state: TickerFeedState;
  /** Polls failed in a row since the last success. */
  consecutiveFailures: number;
  /** One line: the last poll's error, while failing. */
  lastError?: string;
  /** Our clock's time of the last successful poll. */
  lastSuccessAt?: number;
  /** Age of the oldest cached price, ms (undefined before the first success). */
  ageMs?: number;
  /** Our clock's time of the next poll. */
  nextPollAt?: number;
}

interface Cached {
  ticker: Ticker;
  receivedAt: number;
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)).split('\n')[0]!.slice(0, 300);
}

export class CcxtTickerFeed implements MarketData {
  readonly kind = 'live' as const;
  readonly description: string;
  private readonly hub = new TickerHub();
  private readonly cache = new Map<string, Cached>();
  private readonly pollMs: number;
  private readonly maxBackoffMs: number;
  private readonly staleAfterMs: number;
  private readonly maxAgeMs: number;
  private symbols: string[] = [];
  private cancelTimer: (() => void) | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  private lastError: string | undefined;
  private lastSuccessAt: number | undefined;
  private nextPollAt: number | undefined;
  private state: TickerFeedState = 'idle';

  constructor(
    private readonly client: TickerClient,
    private readonly clock: Clock,
    private readonly options: CcxtTickerFeedOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.maxBackoffMs = Math.max(this.pollMs, options.maxBackoffMs ?? 30_000);
    this.staleAfterMs = options.staleAfterMs ?? 5 * this.pollMs;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.description = `${client.id} tickers (live, polled every ${this.pollMs} ms)`;
  }

  ticker(symbol: string): Ticker | undefined {
    const cached = this.cache.get(symbol);
    if (!cached || this.clock.now() - cached.receivedAt > this.maxAgeMs) return undefined;
    return cached.ticker;
  }

  lastPrice(symbol: string): number | undefined {
    return this.ticker(symbol)?.last;
  }

  onTicker(listener: (ticker: Ticker) => void): () => void {
    return this.hub.onTicker(listener);
  }

  /**
   * Loads the markets, checks the symbols and polls once: it resolves with prices in the
   * cache, or rejects (HH_ERR_MARKET_DATA_UNAVAILABLE) so the wiring can fall back to
   * another feed when the exchange is not reachable.
   */
  async start(symbols: readonly string[]): Promise<void> {
    if (this.state === 'closed') throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', `${this.description}: closed`);
    try {
      await this.client.loadMarkets();
    } catch (err) {
      throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', `${this.client.id}: markets not loaded: ${oneLine(err)}`, { cause: err });
    }
    const unknown = symbols.filter((s) => !this.client.markets?.[s]);
    if (unknown.length > 0) throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', `${this.client.id} has no market ${unknown.join(', ')}`);
    this.symbols = [...new Set([...this.symbols, ...symbols])];
    await this.settled();
    this.stop();
    await this.poll();
    if (this.failures > 0) {
      this.stop();
      throw new HedgehookError('HH_ERR_MARKET_DATA_UNAVAILABLE', `${this.client.id} tickers: ${this.lastError ?? 'no answer'}`);
    }
  }

  async close(): Promise<void> {
    this.stop();
    this.state = 'closed';
    await this.inFlight;
  }

  /** Resolves when no poll is running (tests drive the clock, then wait for the poll). */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  status(): TickerFeedStatus {
    const status: TickerFeedStatus = { state: this.currentState(), consecutiveFailures: this.failures };
    if (this.lastError !== undefined && this.failures > 0) status.lastError = this.lastError;
    if (this.lastSuccessAt !== undefined) status.lastSuccessAt = this.lastSuccessAt;
    const age = this.oldestAge();
    if (age !== undefined) status.ageMs = age;
    if (this.nextPollAt !== undefined) status.nextPollAt = this.nextPollAt;
    return status;
  }

  private oldestAge(): number | undefined {
    if (this.symbols.length === 0 || this.symbols.some((s) => !this.cache.has(s))) return undefined;
    const now = this.clock.now();
    return Math.max(...this.symbols.map((s) => now - this.cache.get(s)!.receivedAt));
  }

  private currentState(): TickerFeedState {
    if (this.state === 'closed' || this.state === 'idle') return this.state;
    const age = this.oldestAge();
    return age === undefined || age > this.staleAfterMs ? 'stale' : 'live';
  }

  private stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.nextPollAt = undefined;
  }

  private poll(): Promise<void> {
    const run = this.fetchAll().finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private async fetchAll(): Promise<void> {
    const before = this.currentState();
    try {
      const tickers = await this.fetchTickers();
      if (this.state === 'closed') return;
      const now = this.clock.now();
      this.failures = 0;
      this.lastSuccessAt = now;
      this.state = 'live';
      for (const symbol of this.symbols) {
        const raw = tickers[symbol];
        const ticker = raw && this.toTicker(symbol, raw, now);
        if (!ticker) continue;
        const previous = this.cache.get(symbol)?.ticker;
        this.cache.set(symbol, { ticker, receivedAt: now });
        if (!previous || previous.time !== ticker.time || previous.last !== ticker.last || previous.bid !== ticker.bid || previous.ask !== ticker.ask) {
          this.publish(ticker);
        }
      }
    } catch (err) {
      if (this.state === 'closed') return;
      this.failures += 1;
      this.lastError = oneLine(err);
      if (this.state === 'idle') this.state = 'stale';
      this.options.onStatus?.(this.status());
    }
    const after = this.currentState();
    if (after !== before && this.failures === 0) this.options.onStatus?.(this.status());
    this.schedule();
  }

  private async fetchTickers(): Promise<Record<string, CcxtTickerLike>> {
    const tickers = await Promise.all(this.symbols.map((symbol) => this.client.fetchTicker(symbol)));
    return Object.fromEntries(this.symbols.map((symbol, i) => [symbol, tickers[i]!]));
  }

  private schedule(): void {
    // Back off on failures: pollMs × 2^n, capped, so an exchange in trouble is left alone.
    const delay = this.failures === 0 ? this.pollMs : Math.min(this.maxBackoffMs, this.pollMs * 2 ** this.failures);
    this.nextPollAt = this.clock.now() + delay;
    this.cancelTimer = this.clock.setTimer(delay, () => {
      this.cancelTimer = undefined;
      void this.poll();
    });
  }

  private toTicker(symbol: string, raw: CcxtTickerLike, now: number): Ticker | undefined {
    const last = raw.last ?? raw.close;
    if (typeof last !== 'number' || !Number.isFinite(last) || last <= 0) return undefined;
    const ticker: Ticker = { symbol, time: typeof raw.timestamp === 'number' ? raw.timestamp : now, last };
    if (typeof raw.bid === 'number' && Number.isFinite(raw.bid)) ticker.bid = raw.bid;
    if (typeof raw.ask === 'number' && Number.isFinite(raw.ask)) ticker.ask = raw.ask;
    return ticker;
  }

  private publish(ticker: Ticker): void {
    try {
      this.hub.publish(ticker);
    } catch {
      // A listener's bug must not stop the feed; the hub already told every other listener.
    }
  }
}

/**
 * A live feed of one exchange's public tickers (no keys). `url` sends the requests to
 * another origin (a proxy, or a fake exchange in tests). Requests time out well before
 * a poll is due twice.
 */
export function createCcxtTickerFeed(
  exchangeId: string,
  clock: Clock,
  options: CcxtTickerFeedOptions & { url?: string; timeoutMs?: number } = {},
): CcxtTickerFeed {
  const { url, timeoutMs, ...feedOptions } = options;
  const client = createCcxtClient(exchangeId, { ...(url === undefined ? {} : { url }), timeoutMs: timeoutMs ?? Math.max(1000, 2 * (options.pollMs ?? 1000)) });
  return new CcxtTickerFeed(client, clock, feedOptions);
}
