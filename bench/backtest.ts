/**
 * `node --import tsx bench/backtest.ts [--prices FILE] [--rounds N]`: backtest speed on the
 * 6-week 1-minute TRX perpetual file, through the full engine (decision stage → execution
 * stage → router → paper venues, per-bar liquidation and mark-to-market).
 *
 * Reports, after one warm-up round (the JIT), the best of N rounds of:
 * - bars per second of the bar loop alone (no signal): the mechanics' cost per bar;
 * - bars per second and wall time of one strategy (`model`) with the reference bot's
 *   signals, and of `all` (four strategies, each bar replayed four times).
 * Reading and parsing the file and generating the signals are measured apart; `wallMs` is the issue's figure:
 * a 6-week 1-minute backtest with ~500 signals in one process (parse + signals + one
 * strategy), without Node's start-up. `barsPerSecond` is the one-strategy figure.
 *
 * `benchBacktest()` (default file: HEDGEHOOK_SAMPLE_DATA or ../shared/data) returns all of
 * it as a plain JSON-ready object for `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TRX_USDT_PERP } from '../src/core/instrument.ts';
import { parsePriceText } from '../src/marketdata/price-file.ts';
import { DEFAULT_MODEL } from '../src/model/registry.ts';
import { barInterval } from '../src/backtest/bar-market.ts';
import { constantSchedule } from '../src/backtest/funding.ts';
import { TRXUSDT_BRACKETS } from '../src/backtest/margin.ts';
import { DEFAULT_REFERENCE, referenceSignals } from '../src/backtest/reference-signals.ts';
import { replayStrategy, type ReplayInput } from '../src/backtest/replay.ts';
import { parseStrategies } from '../src/backtest/strategies.ts';
import { paperVenueFactory } from '../src/cli/commands/backtest.ts';
import { DEFAULT_ROUTING } from '../src/execution/router.ts';
import { DEFAULT_FEATURE_SETTINGS } from '../src/model/features.ts';
import { DEFAULT_EWMA_SETTINGS } from '../src/model/volatility.ts';
import { DEFAULT_RISK_LIMITS } from '../src/risk/guard.ts';

export interface BacktestBench {
  file: string;
  bars: number;
  signals: number;
  /** Through the full engine, one strategy (`model`) with the signals. */
  barsPerSecond: number;
  /** Parse + reference signals + one strategy: the 6-week 1-minute backtest in one process. */
  wallMs: number;
  goal: { barsPerSecond: number; wallMs: number };
  meetsGoal: boolean;
  parseMs: number;
  signalsMs: number;
  barLoopBarsPerSecond: number;
  modelMs: number;
  modelBarsPerSecond: number;
  allMs: number;
  allBarsPerSecond: number;
}

const GOAL = { barsPerSecond: 1_000_000, wallMs: 2_000 };

export function defaultPrices(): string {
  return resolve(process.env.HEDGEHOOK_SAMPLE_DATA ?? '../shared/data', 'trxusdt-perp-1m-20230703-20230817.csv');
}

export async function benchBacktest(prices: string = defaultPrices(), rounds = 3): Promise<BacktestBench> {
  let t = performance.now();
  const text = await readFile(prices, 'utf8');
  const bars = parsePriceText(text, prices);
  const parseMs = performance.now() - t;
  const intervalMs = barInterval(bars);
  // The reference bot as `hedgehook backtest` runs it (hourly heartbeats): 492 signals on the 6-week file.
  t = performance.now();
  const signals = referenceSignals(bars, intervalMs, { ...DEFAULT_REFERENCE, equity: 10_000, leverage: 10 });
  const signalsMs = performance.now() - t;
  const funding = constantSchedule(0.0001);
  const input: ReplayInput = {
    symbol: TRX_USDT_PERP.symbol, instrument: TRX_USDT_PERP, bars, intervalMs, source: 'bench', signals, funding,
    placement: 'same-account', margin: { mode: 'cross', brackets: TRXUSDT_BRACKETS, liquidationFeeRate: 0.01 },
    wallet: 10_000, leverage: 10, account: { equity: 10_000, riskTolerance: 0.5 }, limits: DEFAULT_RISK_LIMITS,
    features: DEFAULT_FEATURE_SETTINGS, ewma: DEFAULT_EWMA_SETTINGS, routing: DEFAULT_ROUTING,
    venue: paperVenueFactory({ wallet: 10_000, funding, instrument: TRX_USDT_PERP }),
  };
  const all = parseStrategies('all', DEFAULT_MODEL);
  const model = all[3]!;
  const best = { loop: Infinity, model: Infinity, all: Infinity };
  for (let round = 0; round <= rounds; round++) {
    t = performance.now();
    await replayStrategy({ ...input, signals: [] }, model);
    const loop = performance.now() - t;
    t = performance.now();
    await replayStrategy(input, model);
    const one = performance.now() - t;
    t = performance.now();
    for (const s of all) await replayStrategy(input, s);
    const four = performance.now() - t;
    if (round === 0) continue; // warm-up
    best.loop = Math.min(best.loop, loop);
    best.model = Math.min(best.model, one);
    best.all = Math.min(best.all, four);
  }
  const barsPerSecond = Math.round((bars.length / best.model) * 1000);
  const wallMs = Math.round(parseMs + signalsMs + best.model);
  return {
    file: basename(prices),
    bars: bars.length,
    signals: signals.length,
    barsPerSecond,
    wallMs,
    goal: GOAL,
    meetsGoal: barsPerSecond >= GOAL.barsPerSecond && wallMs < GOAL.wallMs,
    parseMs: Math.round(parseMs),
    signalsMs: Math.round(signalsMs),
    barLoopBarsPerSecond: Math.round((bars.length / best.loop) * 1000),
    modelMs: Math.round(best.model),
    modelBarsPerSecond: Math.round((bars.length / best.model) * 1000),
    allMs: Math.round(best.all),
    allBarsPerSecond: Math.round(((bars.length * all.length) / best.all) * 1000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--prices');
  const j = process.argv.indexOf('--rounds');
  const prices = i >= 0 ? process.argv[i + 1]! : defaultPrices();
  const result = await benchBacktest(prices, j >= 0 ? Number(process.argv[j + 1]) : 3);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
