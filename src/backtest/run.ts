/**
 * A backtest: every strategy replayed over the same bars and the same signals, one after
 * the other, each with its own engine, venues and accounts (nothing carries over from one
 * strategy to the next), then one report.
 */
import { buildReport, type BacktestReport, type RunDescription } from './report.ts';
import { replayStrategy, type ReplayInput, type StrategyRun, type StrategySpec } from './replay.ts';

export interface BacktestResult {
  report: BacktestReport;
  runs: StrategyRun[];
}

export interface Stopwatch {
  /** Milliseconds, any origin; only differences are used. */
  now(): number;
}

export async function runBacktest(
  input: ReplayInput,
  strategies: readonly StrategySpec[],
  description: RunDescription,
  stopwatch: Stopwatch,
): Promise<BacktestResult> {
  const started = stopwatch.now();
  const runs: StrategyRun[] = [];
  const total = input.bars.length * strategies.length;
  for (let k = 0; k < strategies.length; k++) {
    const offset = k * input.bars.length;
    const progress = input.progress;
    const run = await replayStrategy(
      progress ? { ...input, progress: (done) => progress(offset + done, total) } : input,
      strategies[k]!,
    );
    runs.push(run);
  }
  input.progress?.(total, total);
  // Events: every bar and every signal, replayed once per strategy.
  const events = (input.bars.length + input.signals.length) * strategies.length;
  return { report: buildReport(runs, events, stopwatch.now() - started, description), runs };
}
