/**
 * The benchmarks of `npm run bench` beyond the webhook path (bench/run.ts): journal commit
 * → order on the wire (issue 4), the backtest's bars per second (issue 5), the decision
 * state a restart rebuilds before it listens (issue 2: start-up and recovery) and throughput
 * for 1, 2 and 3 scale-out processes (issue 8). Each returns JSON for the report and a
 * line for the printed table. `--skip-scale-out` leaves the last out (it needs PostgreSQL
 * and NATS, and takes a minute).
 */
import { benchBacktest, type BacktestBench } from './backtest.ts';
import { benchExecution, type ExecutionBench } from './execution.ts';
import { benchRestart, type RestartBench } from './restart.ts';
import { benchScaleOut, type ScaleOutReport } from './scale-out.ts';

export interface SectionsReport {
  execution: ExecutionBench & { goal: { p99Ms: number }; meetsGoal: boolean };
  backtest: BacktestBench;
  restart: RestartBench;
  scaleOut?: ScaleOutReport;
}

export async function benchSections(options: { scaleOut: boolean; log: (line: string) => void }): Promise<SectionsReport> {
  options.log('journal commit → order on the wire (paper venues, zero latency), in process…');
  const execution = await benchExecution(1000);
  options.log('backtest: 6-week 1-minute file through the full engine…');
  const backtest = await benchBacktest();
  options.log('restart: the decision state rebuilt from 30,000 settled signals, in process…');
  const restart = await benchRestart();
  const report: SectionsReport = {
    execution: { ...execution, goal: { p99Ms: 2 }, meetsGoal: execution.commitToWireMs.p99 < 2 },
    backtest,
    restart,
  };
  if (options.scaleOut) {
    options.log('scale-out: 1, 2 and 3 processes on PostgreSQL + NATS JetStream…');
    report.scaleOut = await benchScaleOut();
  }
  return report;
}

/** Markdown table lines for the printed summary (and the README). */
export function sectionLines(r: SectionsReport): string[] {
  const e = r.execution.commitToWireMs;
  const b = r.backtest;
  const s = r.restart;
  const lines = [
    `| journal commit → order on the wire (1000 signals, one at a time) | p50 ${e.p50} ms, p99 ${e.p99} ms, max ${e.max} ms | p99 < 2 ms: ${r.execution.meetsGoal ? 'met' : 'not met'} |`,
    `| backtest, ${b.bars.toLocaleString('en')} 1-minute bars, ${b.signals} signals, one strategy | ${Math.round(b.barsPerSecond).toLocaleString('en')} bars/s; whole run ${Math.round(b.wallMs)} ms | ≥ 1 M bars/s and < 2 s: ${b.meetsGoal ? 'met' : 'not met'} |`,
    `| restart: decision state rebuilt from ${s.signals.toLocaleString('en')} settled signals (SQLite, in process) | ${s.restoreMs.median} ms; the journal read without outcomes ${s.readAllMs.withoutOutcomes} ms, with them ${s.readAllMs.withOutcomes} ms | |`,
  ];
  if (r.scaleOut?.skipped) lines.push(`| scale-out | skipped: ${r.scaleOut.skipped} | |`);
  for (const run of r.scaleOut?.runs ?? []) {
    lines.push(`| scale-out, ${run.processes} process${run.processes > 1 ? 'es' : ''} (${run.webhooks} webhooks, ${run.connections} connection${run.connections > 1 ? 's' : ''}) | ${run.acceptedPerSec} accepted/s, ${run.processedPerSec} processed/s; ack p50 ${run.ackLatencyMs.p50} ms, p99 ${run.ackLatencyMs.p99} ms | |`);
  }
  return lines;
}
