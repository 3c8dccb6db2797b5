/**
 * Exchange klines over a long range, through ccxt's fetchOHLCV, page by page.
 *
 * Each page asks for the bars opening at or after a cursor (`since`) and at most
 * `pageSize` of them; the cursor then moves to one interval after the last bar received,
 * so consecutive pages neither skip nor repeat a bar (an exchange whose pages overlap
 * sends bars before the cursor again: those are already here and are not taken twice).
 * Nothing is interpolated: a gap in the exchange's data stays a gap. The fetch stops at
 * `until` (exclusive) or at the last CLOSED bar before now (the bar still forming is left
 * out: its close is not final), or when the exchange has nothing more.
 *
 * Requests go one after another through ccxt's rate limiter; a page that fails with a
 * transient error (network, 5xx, 429) is tried again after a growing pause, so one blip
 * does not throw away an hour of paging.
 */
import ccxt from 'ccxt';
import type { Clock } from '../core/clock.ts';
import { HedgehookError, isHedgehookError, type ErrorCode } from '../core/errors.ts';
import type { Bar } from '../core/market.ts';

/** The slice of a ccxt exchange this needs (a ccxt `Exchange` has it). */
export interface OhlcvClient {
  readonly id: string;
  fetchOHLCV(symbol: string, timeframe?: string, since?: number, limit?: number, params?: Record<string, unknown>): Promise<unknown[][]>;
}

export interface FetchKlinesRequest {
  symbol: string;
  /** ccxt timeframe, e.g. '1m', '1h'. */
  timeframe: string;
  /** Interval length of `timeframe`, ms. */
  intervalMs: number;
  /** First open time wanted (epoch ms, inclusive). */
  since: number;
  /** Open times before this (epoch ms, exclusive); default: up to the last closed bar. */
  until?: number;
  /** Bars per request; the exchange's own maximum is best (fewer requests). */
  pageSize: number;
}

export interface FetchProgress {
  pages: number;
  bars: number;
  /** Open time of the newest bar so far. */
  lastTime: number | undefined;
}

export interface FetchKlinesDeps {
  clock: Clock;
  onProgress?: (progress: FetchProgress) => void;
  /** Attempts per page for transient failures; default 4. */
  attempts?: number;
  /** First pause between attempts, doubled each time; default 1000 ms. */
  backoffMs?: number;
}

/** One line for the user, with a stable code; the exchange's own text is kept short. */
export function klineError(exchange: string, err: unknown): HedgehookError {
  if (isHedgehookError(err)) return err;
  const detail = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
  const fail = (code: ErrorCode, what: string) => new HedgehookError(code, `${exchange}: ${what}${detail}`, { cause: err });
  if (err instanceof ccxt.BadSymbol) return fail('HH_ERR_USAGE', '');
  if (err instanceof ccxt.DDoSProtection) return fail('HH_ERR_VENUE_RATE_LIMITED', 'rate limited: ');
  if (err instanceof ccxt.RequestTimeout) return fail('HH_ERR_VENUE_TIMEOUT', 'no answer in time: ');
  if (err instanceof ccxt.OperationFailed) return fail('HH_ERR_VENUE_UNAVAILABLE', 'unreachable or failing: ');
  return fail('HH_ERR_VENUE_REJECTED', '');
}

/**
 * Network trouble, 5xx, maintenance, 429: ccxt's OperationFailed and below ("may succeed
 * if tried again"). A kline read changes nothing, so trying again is always safe.
 */
function isTransient(err: unknown): boolean {
  return err instanceof ccxt.OperationFailed;
}

function toBar(row: unknown[], exchange: string): Bar {
  const [time, open, high, low, close, volume] = row as number[];
  const bar = { time: time!, open: open!, high: high!, low: low!, close: close!, volume: volume! };
  for (const [field, value] of Object.entries(bar)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new HedgehookError('HH_ERR_VENUE_REJECTED', `${exchange}: kline at ${String(time)} has no valid ${field}`);
    }
  }
  return bar;
}

function pause(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(ms, resolve));
}

/** Every closed bar in [since, until), sorted by open time, each once. */
export async function fetchKlines(client: OhlcvClient, request: FetchKlinesRequest, deps: FetchKlinesDeps): Promise<Bar[]> {
  const { symbol, timeframe, intervalMs, since, pageSize } = request;
  const attempts = deps.attempts ?? 4;
  const backoffMs = deps.backoffMs ?? 1000;
  // A bar is final once its interval is over: open time + interval ≤ now.
  const lastClosedOpen = deps.clock.now() - intervalMs;
  const stop = Math.min(request.until ?? Infinity, lastClosedOpen + 1);
  const bars = new Map<number, Bar>();
  const progress: FetchProgress = { pages: 0, bars: 0, lastTime: undefined };
  let cursor = since;

  while (cursor < stop) {
    // `until` keeps the exchange from sending bars we would drop (Binance: endTime, inclusive).
    const params = Number.isFinite(stop) ? { until: stop - 1 } : {};
    let rows: unknown[][] | undefined;
    for (let attempt = 1; rows === undefined; attempt++) {
      try {
        rows = await client.fetchOHLCV(symbol, timeframe, cursor, pageSize, params);
      } catch (err) {
        if (attempt >= attempts || !isTransient(err)) throw klineError(client.id, err);
        await pause(deps.clock, backoffMs * 2 ** (attempt - 1));
      }
    }
    progress.pages += 1;
    let newest: number | undefined;
    for (const row of rows) {
      const bar = toBar(row, client.id);
      if (bar.time < cursor || bar.time >= stop) continue;
      bars.set(bar.time, bar);
      newest = newest === undefined ? bar.time : Math.max(newest, bar.time);
    }
    // Nothing at or after the cursor: the exchange has no more bars in the range.
    if (newest === undefined) break;
    cursor = newest + intervalMs;
    progress.bars = bars.size;
    progress.lastTime = newest;
    deps.onProgress?.({ ...progress });
  }
  return [...bars.values()].sort((a, b) => a.time - b.time);
}
