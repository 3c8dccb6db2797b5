/**
 * Price and funding files, read into `Bar[]` / `FundingRate[]`.
 *
 * Two price formats are told apart automatically:
 * - `ohlcv`: the format of shared/data and of `hedgehook data fetch` — a header line
 *   `open_time,open,high,low,close,volume` (optional), open time in epoch ms;
 * - `binance-klines`: Binance's public kline dumps (data.binance.vision), 12 columns
 *   `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,
 *   taker_buy_quote_volume,ignore`, with or without that header. Binance's newer dumps
 *   (spot since 2025) give times in microseconds; the unit is recognised per row by its
 *   magnitude, so concatenated old and new dumps read as one series.
 *
 * Bars come out sorted by time. A row repeated verbatim (overlapping downloads pasted
 * together) is dropped; two different bars at the same time are an error. Every bad row
 * is reported as one line `file:line: reason`; all of them together make one
 * HH_ERR_PRICE_FILE_INVALID whose message has one line per row (the CLI prints each).
 *
 * Parsing is pure over text (`parsePriceText`, `parseFundingText`); `readPriceFile` and
 * `readFundingFile` only add the file read.
 */
import { readFile } from 'node:fs/promises';
import { HedgehookError } from '../core/errors.ts';
import type { Bar } from '../core/market.ts';

export type PriceFileFormat = 'ohlcv' | 'binance-klines';

export interface PriceSeries {
  format: PriceFileFormat;
  /** Sorted by `time` (epoch ms), no two bars at the same time. */
  bars: Bar[];
}

/** One funding settlement: a rate per funding period (8 h on Binance), 0.0001 = 0.01%. */
export interface FundingRate {
  /** Epoch ms, floored to the second. */
  time: number;
  rate: number;
}

/** The rows that are wrong, one `file:line: reason` each; `message` joins the first ones. */
export class PriceFileError extends HedgehookError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length - shown.length;
    super('HH_ERR_PRICE_FILE_INVALID', more > 0 ? `${shown.join('\n')}\n… and ${more} more bad rows` : shown.join('\n'));
    this.name = 'PriceFileError';
    this.problems = problems;
  }
}

/** A file with thousands of bad rows is one wrong file: show enough to see the pattern. */
const MAX_REPORTED = 20;

const OHLCV_COLUMNS = ['open_time', 'open', 'high', 'low', 'close', 'volume'] as const;
const KLINE_COLUMNS = [
  ...OHLCV_COLUMNS,
  'close_time', 'quote_volume', 'count', 'taker_buy_volume', 'taker_buy_quote_volume', 'ignore',
] as const;
const FUNDING_COLUMNS = ['funding_time', 'funding_rate'] as const;
/** data.binance.vision's monthly fundingRate dumps. */
const BINANCE_FUNDING_COLUMNS = ['calc_time', 'funding_interval_hours', 'last_funding_rate'] as const;

/** Plain decimal or exponent notation; rejects what `Number()` would also take ('', '0x1f', ' 1'). */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Epoch ms between 1973 and 5138; epoch µs from 1973 on. Seconds are rejected, not guessed. */
const MIN_MS = 1e11;
const MIN_US = 1e14;
const MAX_US = 1e17;

/** An epoch time in ms from ms or µs (floored to the ms), or undefined when it is neither. */
export function epochMs(raw: number): number | undefined {
  if (!Number.isInteger(raw) || raw < MIN_MS || raw >= MAX_US) return undefined;
  return raw >= MIN_US ? Math.floor(raw / 1000) : raw;
}

interface Row {
  line: number;
  cells: string[];
}

/** Non-blank lines with their 1-based line numbers; tolerates CRLF and a BOM. */
function* rows(text: string): Generator<Row> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let raw = text.slice(start, end);
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() !== '') yield { line, cells: raw.split(',').map((c) => c.trim()) };
    start = end + 1;
    line++;
  }
}

function sameNames(cells: readonly string[], names: readonly string[]): boolean {
  return cells.length === names.length && cells.every((c, i) => c.toLowerCase() === names[i]);
}

const isHeader = (cells: readonly string[]): boolean => !NUMBER.test(cells[0] ?? '');

/** Collects the problems of one file; `where` prefixes every line. */
class Problems {
  readonly lines: string[] = [];
  constructor(private readonly source: string) {}
  add(line: number, reason: string): void {
    this.lines.push(`${this.source}:${line}: ${reason}`);
  }
  throwIfAny(): void {
    if (this.lines.length > 0) throw new PriceFileError(this.lines);
  }
}

/** The cell as a number, or a reported problem. */
function numberAt(row: Row, index: number, name: string, problems: Problems): number | undefined {
  const cell = row.cells[index] ?? '';
  if (!NUMBER.test(cell)) {
    problems.add(row.line, `${name} is not a number: ${JSON.stringify(cell)}`);
    return undefined;
  }
  const value = Number(cell);
  if (!Number.isFinite(value)) {
    problems.add(row.line, `${name} is out of range: ${cell}`);
    return undefined;
  }
  return value;
}

function timeAt(row: Row, index: number, name: string, problems: Problems): number | undefined {
  const raw = numberAt(row, index, name, problems);
  if (raw === undefined) return undefined;
  const ms = epochMs(raw);
  if (ms === undefined) problems.add(row.line, `${name} ${row.cells[index]} is neither epoch milliseconds nor microseconds`);
  return ms;
}

function parseBar(row: Row, format: PriceFileFormat, problems: Problems): Bar | undefined {
  const expected = format === 'ohlcv' ? OHLCV_COLUMNS.length : KLINE_COLUMNS.length;
  if (row.cells.length !== expected) {
    problems.add(row.line, `expected ${expected} columns (${format}), found ${row.cells.length}`);
    return undefined;
  }
  const before = problems.lines.length;
  const time = timeAt(row, 0, 'open_time', problems);
  const open = numberAt(row, 1, 'open', problems);
  const high = numberAt(row, 2, 'high', problems);
  const low = numberAt(row, 3, 'low', problems);
  const close = numberAt(row, 4, 'close', problems);
  const volume = numberAt(row, 5, 'volume', problems);
  if (problems.lines.length > before) return undefined;
  const bar = { time: time!, open: open!, high: high!, low: low!, close: close!, volume: volume! };
  if (!(bar.open > 0 && bar.high > 0 && bar.low > 0 && bar.close > 0)) {
    problems.add(row.line, `prices must be positive: open ${bar.open}, high ${bar.high}, low ${bar.low}, close ${bar.close}`);
    return undefined;
  }
  if (bar.volume < 0) {
    problems.add(row.line, `volume must not be negative: ${bar.volume}`);
    return undefined;
  }
  if (bar.high < Math.max(bar.open, bar.close, bar.low) || bar.low > Math.min(bar.open, bar.close)) {
    problems.add(row.line, `inconsistent bar: high ${bar.high} and low ${bar.low} must bound open ${bar.open} and close ${bar.close}`);
    return undefined;
  }
  if (format === 'binance-klines') {
    const closeTime = timeAt(row, 6, 'close_time', problems);
    if (closeTime === undefined) return undefined;
    if (closeTime < bar.time) {
      problems.add(row.line, `close_time ${row.cells[6]} is before open_time ${row.cells[0]}`);
      return undefined;
    }
  }
  return bar;
}

function detectPriceFormat(first: Row, problems: Problems): { format: PriceFileFormat; header: boolean } | undefined {
  if (isHeader(first.cells)) {
    if (sameNames(first.cells, OHLCV_COLUMNS)) return { format: 'ohlcv', header: true };
    if (sameNames(first.cells, KLINE_COLUMNS)) return { format: 'binance-klines', header: true };
    problems.add(first.line, `unrecognised header ${JSON.stringify(first.cells.join(','))}: expected `
      + `${OHLCV_COLUMNS.join(',')} or Binance's 12 kline columns`);
    return undefined;
  }
  if (first.cells.length === OHLCV_COLUMNS.length) return { format: 'ohlcv', header: false };
  if (first.cells.length === KLINE_COLUMNS.length) return { format: 'binance-klines', header: false };
  problems.add(first.line, `expected 6 columns (${OHLCV_COLUMNS.join(',')}) or Binance's 12 kline columns, found ${first.cells.length}`);
  return undefined;
}

/**
 * Sorts by time and settles rows at the same time: an exact repeat is dropped, a
 * conflicting one reported. Input files are nearly always sorted already, so this
 * sorts only when it must.
 */
function settle<T extends { time: number }>(
  items: T[], lines: number[], same: (a: T, b: T) => boolean, what: string, problems: Problems,
): T[] {
  let order = items.map((_, i) => i);
  let sorted = true;
  for (let i = 1; i < items.length; i++) {
    if (items[i]!.time < items[i - 1]!.time) {
      sorted = false;
      break;
    }
  }
  // A stable sort keeps the first occurrence first, so problems name it as the original.
  if (!sorted) order = order.sort((a, b) => items[a]!.time - items[b]!.time);
  const out: T[] = [];
  let previous = -1;
  for (const i of order) {
    const item = items[i]!;
    if (previous >= 0 && items[previous]!.time === item.time) {
      if (!same(items[previous]!, item)) {
        problems.add(lines[i]!, `${what} at ${item.time} conflicts with line ${lines[previous]!}`);
      }
      continue;
    }
    out.push(item);
    previous = i;
  }
  return out;
}

const sameBar = (a: Bar, b: Bar): boolean =>
  a.open === b.open && a.high === b.high && a.low === b.low && a.close === b.close && a.volume === b.volume;

/** Parses a price file's text into sorted bars. `source` names the file in problem lines. */
export function parsePriceText(text: string, source = '<prices>'): Bar[] {
  return parsePriceSeries(text, source).bars;
}

/** `parsePriceText` that also says which format it recognised. */
export function parsePriceSeries(text: string, source = '<prices>'): PriceSeries {
  const problems = new Problems(source);
  const iterator = rows(text);
  const first = iterator.next();
  if (first.done) throw new PriceFileError([`${source}: empty file, no bars`]);
  const detected = detectPriceFormat(first.value, problems);
  problems.throwIfAny();
  const { format, header } = detected!;
  const bars: Bar[] = [];
  const lines: number[] = [];
  const take = (row: Row) => {
    const bar = parseBar(row, format, problems);
    if (bar) {
      bars.push(bar);
      lines.push(row.line);
    }
  };
  if (!header) take(first.value);
  for (const row of iterator) take(row);
  const settled = settle(bars, lines, sameBar, 'a different bar', problems);
  problems.throwIfAny();
  if (settled.length === 0) throw new PriceFileError([`${source}: no bars after the header`]);
  return { format, bars: settled };
}

/** Parses a funding file: `funding_time,funding_rate` (or Binance's fundingRate dump). */
export function parseFundingText(text: string, source = '<funding>'): FundingRate[] {
  const problems = new Problems(source);
  const all = [...rows(text)];
  const first = all[0];
  if (!first) throw new PriceFileError([`${source}: empty file, no funding rates`]);
  // Column positions of (time, rate) and how many columns a row has.
  let layout = { time: 0, rate: 1, columns: 2 };
  let body = all;
  if (isHeader(first.cells)) {
    if (sameNames(first.cells, BINANCE_FUNDING_COLUMNS)) layout = { time: 0, rate: 2, columns: 3 };
    else if (!sameNames(first.cells, FUNDING_COLUMNS)) {
      problems.add(first.line, `unrecognised header ${JSON.stringify(first.cells.join(','))}: expected ${FUNDING_COLUMNS.join(',')}`);
    }
    body = all.slice(1);
  }
  problems.throwIfAny();
  const rates: FundingRate[] = [];
  const lines: number[] = [];
  for (const row of body) {
    if (row.cells.length !== layout.columns) {
      problems.add(row.line, `expected ${layout.columns} columns, found ${row.cells.length}`);
      continue;
    }
    const time = timeAt(row, layout.time, 'funding_time', problems);
    const rate = numberAt(row, layout.rate, 'funding_rate', problems);
    if (time === undefined || rate === undefined) continue;
    // A funding rate is capped at a few percent per period on every exchange; 1 = 100% is a unit mistake.
    if (Math.abs(rate) >= 1) {
      problems.add(row.line, `funding_rate ${rate} is not a fraction per period (0.0001 = 0.01%)`);
      continue;
    }
    // Binance stamps some settlements a millisecond late; the settlement is on the second.
    rates.push({ time: Math.floor(time / 1000) * 1000, rate });
    lines.push(row.line);
  }
  const settled = settle(rates, lines, (a, b) => a.rate === b.rate, 'a different funding rate', problems);
  problems.throwIfAny();
  if (settled.length === 0) throw new PriceFileError([`${source}: no funding rates after the header`]);
  return settled;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HedgehookError('HH_ERR_FILE_NOT_FOUND', `${path}: no such file`);
    throw new HedgehookError('HH_ERR_PRICE_FILE_INVALID', `${path}: cannot read (${code ?? 'unreadable'})`);
  }
}

/** Reads and parses a price file into sorted bars; problems are reported against `path`. */
export async function readPriceFile(path: string): Promise<Bar[]> {
  return parsePriceText(await readText(path), path);
}

/** Reads and parses a funding file; times floored to the second. */
export async function readFundingFile(path: string): Promise<FundingRate[]> {
  return parseFundingText(await readText(path), path);
}
