/**
 * `hedgehook data fetch`: exchange klines through ccxt into a price file (the format of
 * shared/data), paging through long ranges under ccxt's rate limiter. Progress goes to
 * stderr, and only when stderr is a terminal (scripts and logs get the one summary line).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { systemClock } from '../../core/clock.ts';
import { HedgehookError } from '../../core/errors.ts';
import type { FetchProgress } from '../../marketdata/fetch-klines.ts';

/** Where the exchange's requests go when `--url` is not given (a proxy, or a test fake). */
export const CCXT_URL_OVERRIDE_ENV = 'HEDGEHOOK_CCXT_URL_OVERRIDE';

interface FetchOptions {
  exchange: string;
  symbol: string;
  timeframe: string;
  since: number;
  until?: number;
  out: string;
  url?: string;
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A moment from the command line: epoch milliseconds, a UTC date (2023-07-04) or an ISO
 * date-time; a date-time without an offset is read as UTC, not as the machine's zone,
 * so the same command fetches the same bars everywhere.
 */
export function parseMoment(value: string): number {
  let ms = NaN;
  if (/^\d{12,}$/.test(value)) ms = Number(value);
  else if ((DATE_ONLY.test(value) || DATE_TIME.test(value)) && realDay(value)) {
    ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : /(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
  }
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('expected a date (2023-07-04), an ISO time (2023-07-04T12:00:00Z) or epoch milliseconds');
  return ms;
}

/** JavaScript reads 2023-02-30 as March 2nd; a user who typed it made a mistake. */
function realDay(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(':00.000Z', 'Z');
}

function progressLine(p: FetchProgress): string {
  return `\rfetched ${p.bars} bars in ${p.pages} pages${p.lastTime === undefined ? '' : `, up to ${iso(p.lastTime)}`}`;
}

async function runFetch(opts: FetchOptions): Promise<void> {
  // ccxt takes a second or two to load: only this command pays for it, not every command.
  const [{ createCcxtClient, ohlcvPageSize, parseOrigin }, { fetchKlines, klineError }, { writePriceFile }] = await Promise.all([
    import('../../marketdata/ccxt-client.ts'),
    import('../../marketdata/fetch-klines.ts'),
    import('../../marketdata/price-file-writer.ts'),
  ]);
  const now = systemClock.now();
  if (opts.until !== undefined && opts.until <= opts.since) throw new HedgehookError('HH_ERR_USAGE', '--until must be after --since');
  if (opts.since >= now) throw new HedgehookError('HH_ERR_USAGE', `--since ${iso(opts.since)} is in the future`);
  const url = opts.url ?? process.env[CCXT_URL_OVERRIDE_ENV];
  const exchange = createCcxtClient(opts.exchange, url === undefined ? {} : { url: parseOrigin(url) });
  if (!exchange.has['fetchOHLCV']) throw new HedgehookError('HH_ERR_USAGE', `${opts.exchange} offers no klines through ccxt`);
  const timeframes = exchange.timeframes as Record<string, unknown> | undefined;
  if (!timeframes || !(opts.timeframe in timeframes)) {
    throw new HedgehookError('HH_ERR_USAGE', `--timeframe ${opts.timeframe} is not offered by ${opts.exchange} (${Object.keys(timeframes ?? {}).join(', ')})`);
  }
  try {
    await exchange.loadMarkets();
  } catch (err) {
    throw klineError(opts.exchange, err);
  }
  const market = exchange.markets?.[opts.symbol];
  if (!market) throw new HedgehookError('HH_ERR_USAGE', `--symbol ${opts.symbol} is not a market of ${opts.exchange} (e.g. TRX/USDT:USDT)`);
  const pageSize = ohlcvPageSize(exchange, market);

  const tty = process.stderr.isTTY === true;
  const bars = await fetchKlines(
    exchange,
    {
      symbol: opts.symbol,
      timeframe: opts.timeframe,
      intervalMs: exchange.parseTimeframe(opts.timeframe) * 1000,
      since: opts.since,
      ...(opts.until === undefined ? {} : { until: opts.until }),
      pageSize,
    },
    { clock: systemClock, ...(tty ? { onProgress: (p: FetchProgress) => process.stderr.write(progressLine(p)) } : {}) },
  );
  if (tty) process.stderr.write('\n');
  await writePriceFile(opts.out, bars);
  const range = bars.length === 0 ? 'no bars in the range' : `${iso(bars[0]!.time)} .. ${iso(bars[bars.length - 1]!.time)}`;
  process.stdout.write(`wrote ${bars.length} ${opts.timeframe} bars of ${opts.symbol} from ${opts.exchange} (${range}) to ${opts.out}\n`);
}

export function registerData(program: Command): void {
  const data = program.command('data').description('market data: fetch exchange klines into a price file');
  data
    .command('fetch')
    .description('fetch klines through ccxt (paged, rate-limited) into the price-file format: open_time,open,high,low,close,volume')
    .option('--exchange <id>', 'ccxt exchange id', 'binanceusdm')
    .option('--symbol <symbol>', 'ccxt unified symbol', 'TRX/USDT:USDT')
    .option('--timeframe <tf>', 'bar interval: 1m, 5m, 1h, 1d…', '1m')
    .requiredOption('--since <date>', 'first bar: 2023-07-04, 2023-07-04T12:00:00Z or epoch ms (UTC)', parseMoment)
    .option('--until <date>', 'stop before this time (default: the last closed bar)', parseMoment)
    .requiredOption('--out <file>', 'the price file to write (replaced)')
    .option('--url <url>', `send the exchange's requests to this origin instead (a proxy or a test fake; env ${CCXT_URL_OVERRIDE_ENV})`)
    .action(async (opts: FetchOptions) => {
      await runFetch(opts);
    });
}
