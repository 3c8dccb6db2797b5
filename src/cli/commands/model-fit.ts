/**
 * `hedgehook model fit --prices F [--signals F]`: the learning loop on history.
 *
 * 1. The signals are replayed through the engine with the active model (the backtest's
 *    wiring), which yields every decision with the features the engine computed.
 * 2. Each decision on an open position becomes a sample with its realised outcome
 *    (src/backtest/learner-samples.ts), and the learner (src/model/learner.ts) refits the
 *    weights weekly on the trailing weeks and evaluates each fit on the following week,
 *    side by side with the active model.
 * 3. The candidate (fitted on the latest weeks) is printed, written with `--out`, and with
 *    `--data-dir` stored in the registry and made active — only when it beat the active
 *    model out of sample on liquidations and cost. Either way the report shows both.
 *
 * The weekly job of `hedgehook serve` (src/engine/refit-job.ts) runs the same loop on the
 * journal's realised hedges, with the same promotion rule; this command runs it on price
 * files, by hand or from cron.
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { HedgehookError } from '../../core/errors.ts';
import type { ModelVersion } from '../../core/model.ts';
import { learnerSamples } from '../../backtest/learner-samples.ts';
import { replayStrategy } from '../../backtest/replay.ts';
import { round6 } from '../../backtest/report.ts';
import { DEFAULT_LEARNER, fittedModel, modelRatio, walkForward, type Evaluation } from '../../model/learner.ts';
import { TRXUSDT_LIQUIDATION_FEE_RATE } from '../../backtest/margin.ts';
import { withState } from '../data-dir.ts';
import { existingFile } from '../options.ts';
import { prepareBacktest, type BacktestOptions } from './backtest.ts';

interface FitOptions {
  prices: string;
  signals?: string;
  funding?: string;
  leverage: number;
  config?: string;
  model?: string;
  dataDir?: string;
  out?: string;
  json?: string;
  trainWeeks: number;
  version?: string;
  seed: number;
}

function intArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

function evaluationJson(e: Evaluation) {
  return { samples: e.samples, liquidations: e.liquidations, hedgeCost: round6(e.cost), loss: round6(e.loss) };
}

export function registerModelFit(model: Command): void {
  model
    .command('fit')
    .description('fit the weights from realised outcomes, walk-forward (weekly refits, next-week evaluation); promote only if better out of sample')
    .requiredOption('--prices <file>', 'price file (as for backtest)', existingFile)
    .option('--signals <file>', 'JSON lines of signals with "time" (default: the reference momentum bot)', existingFile)
    .option('--funding <file>', 'funding file (default: a constant 0.01% per 8 h)', existingFile)
    .option('--leverage <n>', "the bot's leverage, and of signals that do not say", intArg(1, 125), 10)
    .option('--config <file>', 'configuration file (env HEDGEHOOK_CONFIG)')
    .option('--model <file>', 'the active model as JSON (default: the data dir\'s active model, else the article\'s)', existingFile)
    .option('--data-dir <dir>', 'store the candidate in this service\'s registry and activate it if it beats the active one')
    .option('--out <file>', 'write the candidate model version (JSON) here, promoted or not')
    .option('--json <file>', 'write the fit report as JSON here')
    .option('--train-weeks <n>', 'trailing weeks each refit is trained on', intArg(1, 52), DEFAULT_LEARNER.trainWeeks)
    .option('--version <name>', 'version name of the candidate (default: fit-<last day of the data>)')
    .option('--seed <n>', 'seed of the reference bot', intArg(0, 2 ** 32 - 1), 1)
    .action(async (opts: FitOptions) => {
      let active: ModelVersion | undefined;
      if (opts.dataDir !== undefined && opts.model === undefined) active = await withState({ dataDir: opts.dataDir, ...(opts.config ? { config: opts.config } : {}) }, (s) => s.models.active());
      const backtestOpts: Omit<BacktestOptions, 'strategy'> = {
        prices: opts.prices,
        leverage: opts.leverage,
        hedgeAccount: 'same',
        margin: 'cross',
        liquidationFee: TRXUSDT_LIQUIDATION_FEE_RATE,
        seed: opts.seed,
        ...(opts.signals ? { signals: opts.signals } : {}),
        ...(opts.funding ? { funding: opts.funding } : {}),
        ...(opts.config ? { config: opts.config } : {}),
        ...(opts.model ? { model: opts.model } : {}),
      };
      const prepared = await prepareBacktest(backtestOpts);
      active ??= prepared.active;
      const { input } = prepared;
      const run = await replayStrategy(input, { name: 'active', model: active });
      const samples = learnerSamples(run.decisions, input.bars, input.intervalMs, prepared.funding, {
        takerFee: prepared.description.venue.takerFee,
        slippage: prepared.description.venue.spreadBps / 2 / 10_000,
        maintenanceMarginRate: prepared.description.maintenance.maintenanceMarginRate,
      });
      const settings = { ...DEFAULT_LEARNER, trainWeeks: opts.trainWeeks };
      const wf = walkForward(samples, modelRatio(active), settings);
      if (!wf.final) {
        throw new HedgehookError('HH_ERR_USAGE', `not enough decisions to fit: ${samples.length} samples, at least ${settings.minSamples} in the last ${settings.trainWeeks} weeks are needed`);
      }
      const lastBar = input.bars[input.bars.length - 1]!;
      const to = lastBar.time + input.intervalMs;
      const from = samples.reduce((m, s) => Math.min(m, s.time), Infinity);
      const version = opts.version ?? `fit-${new Date(to).toISOString().slice(0, 10)}`;
      const candidate = fittedModel(wf.final, {
        version,
        parent: active.version,
        dataset: basename(opts.prices),
        from,
        to,
        samples: wf.finalSamples,
        createdAt: to,
        metrics: {
          oosLiquidations: wf.candidate.liquidations,
          oosHedgeCost: round6(wf.candidate.cost),
          activeOosLiquidations: wf.active.liquidations,
          activeOosHedgeCost: round6(wf.active.cost),
        },
      });
      const report = {
        samples: samples.length,
        weeks: wf.weeks.map((w) => ({
          week: w.week,
          from: new Date(w.from).toISOString(),
          trainSamples: w.trainSamples,
          weights: w.fitted.weights,
          intercept: w.fitted.intercept,
          candidate: evaluationJson(w.candidate),
          active: evaluationJson(w.active),
        })),
        outOfSample: { candidate: evaluationJson(wf.candidate), active: evaluationJson(wf.active) },
        beatsActive: wf.beatsActive,
        active: active.version,
        candidate,
        promoted: false,
      };

      if (opts.out) await writeFile(opts.out, `${JSON.stringify(candidate, null, 2)}\n`);
      if (opts.dataDir !== undefined) {
        await withState({ dataDir: opts.dataDir, ...(opts.config ? { config: opts.config } : {}) }, async ({ models }) => {
          await models.put(candidate);
          if (wf.beatsActive) {
            await models.setActive(candidate.version, { at: Date.now(), by: 'model fit', reason: `beat ${active!.version} out of sample on liquidations and hedge cost` });
            report.promoted = true;
          }
        });
      }
      if (opts.json) await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`);

      const rows = report.weeks.map((w) => [String(w.week), w.from.slice(0, 10), String(w.trainSamples), `${w.candidate.liquidations} / ${w.active.liquidations}`, `${w.candidate.hedgeCost.toFixed(2)} / ${w.active.hedgeCost.toFixed(2)}`]);
      const head = ['WEEK', 'FROM', 'TRAINED ON', 'LIQ fit / active', 'HEDGE COST fit / active'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      const o = report.outOfSample;
      process.stdout.write(
        [line(head), ...rows.map(line)].join('\n') +
          `\n\nout of sample (${o.candidate.samples} decisions): fitted ${o.candidate.liquidations} liquidations, hedge cost ${o.candidate.hedgeCost.toFixed(2)}; ` +
          `active ${active.version} ${o.active.liquidations} liquidations, hedge cost ${o.active.hedgeCost.toFixed(2)}\n` +
          `candidate ${version}: weights ${JSON.stringify(candidate.weights)}, intercept ${candidate.intercept}\n` +
          (wf.beatsActive
            ? report.promoted
              ? `promoted: ${version} is now the active model\n`
              : `it beats ${active.version} out of sample${opts.dataDir === undefined ? ' (give --data-dir to promote it)' : ''}\n`
            : `not promoted: it does not beat ${active.version} out of sample on both liquidations and cost\n`),
      );
    });
}
