/**
 * `hedgehook backtest`: the wiring of a backtest — reads the files, builds the paper venues
 * and the engine's settings, runs every strategy (src/backtest/run.ts) and writes the
 * comparison table (stdout), the JSON report (`--json`) and the HTML report (`--html`).
 * A progress bar goes to stderr, only when stderr is a terminal.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { HedgehookError, isHedgehookError } from '../../core/errors.ts';
import { TRX_USDT_PERP, type InstrumentSpec } from '../../core/instrument.ts';
import type { Bar } from '../../core/market.ts';
import type { ModelVersion } from '../../core/model.ts';
import { seededRandom } from '../../core/random.ts';
import { DEFAULT_ROUTING } from '../../execution/router.ts';
import { parseJsonText } from '../../ingest/json.ts';
import { parseFundingText, parsePriceSeries } from '../../marketdata/price-file.ts';
import { DEFAULT_MODEL, parseModelVersion } from '../../model/registry.ts';
import { createPaperVenue } from '../../venues/paper/index.ts';
import type { MarginMode } from '../../backtest/account.ts';
import { barInterval } from '../../backtest/bar-market.ts';
import { constantSchedule, DEFAULT_FUNDING_RATE, fileSchedule, type FundingSchedule } from '../../backtest/funding.ts';
import { renderHtml } from '../../backtest/html.ts';
import { TRXUSDT_BRACKETS, TRXUSDT_LIQUIDATION_FEE_RATE, type MaintenanceBracket } from '../../backtest/margin.ts';
import { DEFAULT_REFERENCE, referenceSignals, type TimedSignal } from '../../backtest/reference-signals.ts';
import type { HedgePlacement, ReplayInput, VenueFactory } from '../../backtest/replay.ts';
import { comparisonTable, reportJson, type RunDescription } from '../../backtest/report.ts';
import { runBacktest } from '../../backtest/run.ts';
import { readSignalFile, signalLines } from '../../backtest/signals-file.ts';
import { parseStrategies } from '../../backtest/strategies.ts';
import { featureSettings, type Config } from '../config.ts';
import { existingFile, loadConfig } from '../options.ts';

export interface BacktestOptions {
  prices: string;
  signals?: string;
  strategy: string;
  leverage: number;
  funding?: string;
  fundingRate?: number;
  json?: string;
  html?: string;
  config?: string;
  model?: string;
  hedgeAccount: 'same' | 'separate';
  margin: MarginMode;
  mmr?: number;
  maintenanceAmount?: number;
  liquidationFee: number;
  wallet?: number;
  seed: number;
  writeSignals?: string;
  deterministic?: boolean;
}

function numberArg(min: number, max: number, what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`must be ${what}`);
    return n;
  };
}

function choice<T extends string>(options: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(options as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be ${options.join(' or ')}`);
    return value as T;
  };
}

async function readText(path: string, flag: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new HedgehookError('HH_ERR_FILE_NOT_FOUND', `${flag} ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
}

/** The paper venues of a backtest run: the configured fee and book model, funding from the schedule. */
export function paperVenueFactory(opts: { wallet: number; funding: FundingSchedule; config?: Config; instrument: InstrumentSpec }): VenueFactory {
  const configured = (opts.config?.venues ?? []).find((v) => v.kind === 'paper' && v.id === 'primary') as Record<string, unknown> | undefined;
  // The fee and book model of the configured primary paper venue; faults stay off (a
  // backtest measures the strategy, not a rehearsal of outages).
  const model: Record<string, unknown> = {};
  for (const k of ['takerFee', 'makerFee', 'spreadBps', 'levels', 'levelStepBps', 'levelNotional']) if (configured?.[k] !== undefined) model[k] = configured[k];
  return (id, { clock, market, hedgeMode }) =>
    createPaperVenue(
      {
        ...model,
        id,
        kind: 'paper',
        balance: opts.wallet,
        // The venue's own initial-margin check is kept loose: whether a position survives
        // is the backtest's margin model (margin.ts), not this check.
        leverage: 50,
        positionMode: hedgeMode ? 'hedge' : 'one-way',
        instruments: [opts.instrument as never],
      },
      {
        clock,
        market,
        random: seededRandom(1),
        fundingRate: (_symbol, time) => {
          const next = opts.funding.next(time - 1);
          return next && next.time === time ? next.rate : undefined;
        },
      },
    );
}

function isoMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16) + 'Z';
}

function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = -1;
  return (done, total) => {
    const pct = Math.floor((done / total) * 100);
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(pct).padStart(3)}%`);
    if (done >= total) process.stderr.write('\n');
  };
}

export interface PreparedBacktest {
  input: ReplayInput;
  description: RunDescription;
  active: ModelVersion;
  funding: FundingSchedule;
}

/** Reads the files and builds the replay's input: shared by `backtest` and `model fit`. */
export async function prepareBacktest(opts: Omit<BacktestOptions, 'strategy'>): Promise<PreparedBacktest> {
  const config = loadConfig(opts.config, process.env);
  const instrument: InstrumentSpec = TRX_USDT_PERP;
  const symbol = instrument.symbol;

  const priceText = await readText(opts.prices, '--prices');
  const series = parsePriceSeries(priceText, opts.prices);
  const bars: Bar[] = series.bars;
  if (bars.length < 2) throw new HedgehookError('HH_ERR_PRICE_FILE_INVALID', `${opts.prices}: a backtest needs at least 2 bars`);
  const intervalMs = barInterval(bars);

  const funding: FundingSchedule = opts.funding
    ? fileSchedule(parseFundingText(await readText(opts.funding, '--funding'), opts.funding), basename(opts.funding))
    : constantSchedule(opts.fundingRate ?? DEFAULT_FUNDING_RATE);

  let active: ModelVersion = DEFAULT_MODEL;
  if (opts.model) {
    try {
      active = parseModelVersion(parseJsonText(await readText(opts.model, '--model')));
    } catch (err) {
      throw new HedgehookError('HH_ERR_MODEL_INVALID', `--model ${opts.model}: ${isHedgehookError(err) ? err.message : String(err)}`);
    }
  }
  const wallet = opts.wallet ?? config.account.equity;

  let signals: TimedSignal[];
  let signalSource: string;
  if (opts.signals) {
    signals = await readSignalFile(opts.signals, symbol);
    signalSource = basename(opts.signals);
  } else {
    signals = referenceSignals(bars, intervalMs, { ...DEFAULT_REFERENCE, symbol, seed: opts.seed, leverage: opts.leverage, equity: wallet });
    signalSource = `reference momentum bot, seed ${opts.seed}`;
  }
  if (opts.writeSignals) await writeFile(opts.writeSignals, signalLines(signals));

  const single = opts.mmr !== undefined || opts.maintenanceAmount !== undefined;
  const brackets: readonly MaintenanceBracket[] = single
    ? [{ notionalCap: Infinity, maintenanceMarginRate: opts.mmr ?? TRXUSDT_BRACKETS[0]!.maintenanceMarginRate, maintenanceAmount: opts.maintenanceAmount ?? 0 }]
    : TRXUSDT_BRACKETS;
  const placement: HedgePlacement = opts.hedgeAccount === 'same' ? 'same-account' : 'separate-account';
  const venue = paperVenueFactory({ wallet, funding, config, instrument });

  const input: ReplayInput = {
    symbol,
    instrument,
    bars,
    intervalMs,
    source: basename(opts.prices),
    signals,
    funding,
    placement,
    margin: { mode: opts.margin, brackets, liquidationFeeRate: opts.liquidationFee },
    wallet,
    leverage: opts.leverage,
    account: config.account,
    limits: config.risk,
    features: featureSettings(config),
    ewma: config.model.ewma,
    routing: { ...DEFAULT_ROUTING, mode: 'failover' },
    venue,
  };
  const progress = progressBar();
  if (progress) input.progress = progress;

  const paper = (config.venues ?? []).find((v) => v.id === 'primary') as Record<string, unknown> | undefined;
  const description: RunDescription = {
    symbol,
    prices: {
      file: basename(opts.prices),
      sha256: createHash('sha256').update(priceText).digest('hex'),
      bars: bars.length,
      from: isoMinute(bars[0]!.time),
      to: isoMinute(bars[bars.length - 1]!.time + intervalMs),
      intervalMs,
    },
    signals: { source: signalSource, count: signals.length },
    funding: funding.source,
    placement,
    protects: placement === 'same-account' && opts.margin === 'cross' ? 'margin' : 'equity',
    marginMode: opts.margin,
    leverage: opts.leverage,
    walletPerAccount: wallet,
    maintenance: {
      brackets: single ? 'single' : 'table',
      maintenanceMarginRate: brackets[0]!.maintenanceMarginRate,
      maintenanceAmount: brackets[0]!.maintenanceAmount,
      liquidationFeeRate: opts.liquidationFee,
    },
    venue: {
      takerFee: (paper?.takerFee as number | undefined) ?? 0.0005,
      spreadBps: (paper?.spreadBps as number | undefined) ?? 1,
      levelNotional: (paper?.levelNotional as number | undefined) ?? 10_000,
    },
  };

  return { input, description, active, funding };
}

export async function backtestCommand(opts: BacktestOptions): Promise<{ table: string; json: string }> {
  const { input, description, active } = await prepareBacktest(opts);
  const strategies = parseStrategies(opts.strategy, active);
  const stopwatch = opts.deterministic ? { now: () => 0 } : { now: () => performance.now() };
  const { report, runs } = await runBacktest(input, strategies, description, stopwatch);
  const json = reportJson(report);
  if (opts.json) await writeFile(opts.json, json);
  if (opts.html) await writeFile(opts.html, renderHtml(report, runs));
  return { table: comparisonTable(report), json };
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('replay prices and signals through the engine and paper venues; compare hedging strategies')
    .requiredOption('--prices <file>', 'price file: open_time,open,high,low,close,volume (shared/data) or Binance klines', existingFile)
    .option('--signals <file>', 'JSON lines of the webhook payload, each with "time" (default: the reference momentum bot)', existingFile)
    .option('--strategy <s>', 'none | static:R | model | all (or a comma-separated list)', 'all')
    .option('--leverage <n>', "the bot's leverage, and of signals that do not say", numberArg(1, 125, 'a number from 1 to 125'), 10)
    .option('--funding <file>', 'funding file: funding_time,funding_rate (default: a constant rate every 8 h)', existingFile)
    .option('--funding-rate <r>', 'the constant funding rate per 8 h without --funding', numberArg(-0.05, 0.05, 'a rate per 8 h between -0.05 and 0.05'))
    .option('--json <out>', 'write the JSON report here')
    .option('--html <out>', 'write the self-contained HTML report here')
    .option('--config <file>', 'configuration file (account, risk, model, the primary paper venue) (env HEDGEHOOK_CONFIG)')
    .option('--model <file>', "a model version as JSON (as `hedgehook model add` takes; e.g. the output of `model fit`) for the 'model' strategy", existingFile)
    .option('--hedge-account <where>', 'same: the hedge sits in the main position\'s account (hedge mode); separate: on another venue', choice(['same', 'separate'] as const), 'same')
    .option('--margin <mode>', 'margin mode of the accounts', choice(['cross', 'isolated'] as const), 'cross')
    .option('--mmr <rate>', "maintenance margin rate, one bracket for every size (default: TRXUSDT's bracket table, 0.65% below 10 000 USDT)", numberArg(0, 0.5, 'a rate between 0 and 0.5'))
    .option('--maintenance-amount <usdt>', 'maintenance amount (cum) of that one bracket', numberArg(0, 1e9, 'a non-negative amount'))
    .option('--liquidation-fee <rate>', 'liquidation clearance fee, fraction of the notional', numberArg(0, 0.1, 'a rate between 0 and 0.1'), TRXUSDT_LIQUIDATION_FEE_RATE)
    .option('--wallet <usdt>', 'starting wallet of each account (default: account.equity of the configuration)', numberArg(1, 1e12, 'a positive amount'))
    .option('--seed <n>', 'seed of the reference bot', numberArg(0, 2 ** 32 - 1, 'an integer from 0 to 4294967295'), 1)
    .option('--write-signals <file>', 'write the replayed signals as JSON lines (e.g. the reference bot\'s, for `model fit`)')
    .option('--deterministic', 'write elapsedMs as 0, so the same inputs give a byte-identical JSON report')
    .action(async (opts: BacktestOptions) => {
      if (!Number.isInteger(opts.seed)) throw new HedgehookError('HH_ERR_USAGE', '--seed must be an integer');
      const { table } = await backtestCommand(opts);
      process.stdout.write(table);
    });
}
