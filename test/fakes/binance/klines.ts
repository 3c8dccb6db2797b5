/**
 * `GET /fapi/v1/klines` for the fake: bars from a price file of the shared-data format
 * (`open_time,open,high,low,close,volume`) or, where none is given, bars generated from
 * the bar's open time alone (deterministic, so any range pages the same way every time).
 *
 * Paging follows Binance: `limit` defaults to 500, at most 1500; with `startTime` the
 * bars opening at or after it, oldest first; with only `endTime` the last `limit` bars
 * opening at or before it; with neither, the latest `limit` bars before now.
 */
import { readFileSync } from 'node:fs';
import { BINANCE_ERRORS, reject } from './errors.ts';

export interface KlineBar {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export const INTERVAL_MS: Readonly<Record<string, number>> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
  '1w': 604_800_000,
};

export const DEFAULT_KLINE_LIMIT = 500;
export const MAX_KLINE_LIMIT = 1500;

/** Reads a price file of the shared-data format. */
export function readPriceCsv(path: string): KlineBar[] {
  const lines = readFileSync(path, 'utf8').split('\n').slice(1);
  const bars: KlineBar[] = [];
  for (const line of lines) {
    const [t, open, high, low, close, volume] = line.trim().split(',');
    if (!t || close === undefined || volume === undefined || open === undefined || high === undefined || low === undefined) continue;
    bars.push({ openTime: Number(t), open, high, low, close, volume });
  }
  return bars;
}

/** A TRX-like bar for an open time: a slow wave around `base`, prices on a 0.00001 tick. */
export function generatedBar(openTime: number, intervalMs: number, base = 0.24): KlineBar {
  const price = (t: number) => Math.round(base * (1 + 0.05 * Math.sin(t / 86_400_000)) * 100000) / 100000;
  const open = price(openTime);
  const close = price(openTime + intervalMs);
  const swing = Math.round(base * 0.002 * 100000) / 100000;
  return {
    openTime,
    open: open.toFixed(5),
    high: (Math.max(open, close) + swing).toFixed(5),
    low: (Math.min(open, close) - swing).toFixed(5),
    close: close.toFixed(5),
    volume: String(1_000_000 + (Math.floor(openTime / intervalMs) % 997) * 1000),
  };
}

export interface KlineQuery {
  interval?: string;
  startTime?: string;
  endTime?: string;
  limit?: string;
}

function intParam(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) reject(BINANCE_ERRORS.badParam(name));
  return Number(text);
}

/**
 * The bars a query selects. `series` (sorted by open time) is used when given for this
 * interval; otherwise bars are generated on the interval grid from `firstOpenTime` to `now`.
 */
export function selectKlines(q: KlineQuery, now: number, firstOpenTime: number, series?: readonly KlineBar[]): KlineBar[] {
  if (q.interval === undefined) reject(BINANCE_ERRORS.mandatoryParam('interval'));
  const step = INTERVAL_MS[q.interval];
  if (step === undefined) reject(BINANCE_ERRORS.badParam('interval'));
  const limit = intParam(q.limit, 'limit') ?? DEFAULT_KLINE_LIMIT;
  if (limit < 1 || limit > MAX_KLINE_LIMIT) reject(BINANCE_ERRORS.badParam('limit'));
  const start = intParam(q.startTime, 'startTime');
  const end = intParam(q.endTime, 'endTime');
  if (start !== undefined && end !== undefined && start > end) reject(BINANCE_ERRORS.badParam('startTime'));

  if (series) {
    const inRange = series.filter((b) => (start === undefined || b.openTime >= start) && (end === undefined || b.openTime <= end));
    return start !== undefined ? inRange.slice(0, limit) : inRange.slice(-limit);
  }
  const first = Math.ceil(firstOpenTime / step) * step;
  const last = Math.floor(Math.min(end ?? now, now) / step) * step;
  const from = start !== undefined ? Math.max(first, Math.ceil(start / step) * step) : Math.max(first, last - (limit - 1) * step);
  const bars: KlineBar[] = [];
  for (let t = from; t <= last && bars.length < limit; t += step) bars.push(generatedBar(t, step));
  return bars;
}

/** Binance's kline row: [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBase, takerQuote, ignore]. */
export function klineRow(bar: KlineBar, intervalMs: number): (string | number)[] {
  const quote = (Number(bar.close) * Number(bar.volume)).toFixed(5);
  return [bar.openTime, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.openTime + intervalMs - 1, quote, 100, '0', '0', '0'];
}
