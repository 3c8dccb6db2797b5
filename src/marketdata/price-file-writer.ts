/**
 * Writes bars in the price-file format of shared/data (what `readPriceFile` reads back):
 * the header `open_time,open,high,low,close,volume`, then one bar per line, sorted by open
 * time (epoch ms). Numbers are written as the shortest decimal that reads back as the same
 * double, in plain notation (0.00001, never 1e-5), so a price the exchange sent as
 * "0.07718" is written 0.07718: nothing is rounded here.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import { Decimal } from '../core/decimal.ts';
import type { Bar } from '../core/market.ts';

export const PRICE_FILE_HEADER = 'open_time,open,high,low,close,volume';

function plain(n: number): string {
  return Decimal.from(n).toString();
}

export function formatBar(bar: Bar): string {
  return `${bar.time},${plain(bar.open)},${plain(bar.high)},${plain(bar.low)},${plain(bar.close)},${plain(bar.volume)}`;
}

/** The whole file's text; `bars` must already be sorted and unique by time. */
export function formatPriceFile(bars: readonly Bar[]): string {
  let text = `${PRICE_FILE_HEADER}\n`;
  for (const bar of bars) text += `${formatBar(bar)}\n`;
  return text;
}

/**
 * Writes next to the target then renames, so an interrupted fetch never leaves a
 * truncated file where a complete one is expected.
 */
export async function writePriceFile(path: string, bars: readonly Bar[]): Promise<void> {
  const temporary = `${path}.${process.pid}.partial`;
  try {
    await writeFile(temporary, formatPriceFile(bars), 'utf8');
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
