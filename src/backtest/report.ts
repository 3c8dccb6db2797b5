/**
 * The backtest report: the JSON of the contract, the comparison table, and what the HTML
 * report draws.
 *
 * JSON (DESIGN.md): `{events, elapsedMs, strategies: [{name, positions, liquidations,
 * liquidationRate, hedgeCost, fees, funding, slippage, netPnl, maxDrawdown}]}`, extended
 * (never changed) with more per-strategy fields, the performance by signal type, and `run`,
 * what was simulated. The meaning of each figure (USDT unless said otherwise):
 *   positions        main positions the bot opened (and the replay could open)
 *   liquidations     of those, how many were liquidated; liquidationRate = liquidations / positions
 *   hedgeCost        what carrying the hedge cost: its fees + its slippage + the funding it
 *                    paid (negative funding = received); not its PnL, which is `hedgePnl`
 *   fees             trading fees of every fill, main and hedge (liquidation fees apart)
 *   funding          funding paid by every position (negative = received)
 *   slippage         Σ |fill price − price at the time| × size, main and hedge
 *   netPnl           final equity − starting equity, every account together
 *   maxDrawdown      largest fall from a peak of equity, as a fraction of that peak
 *
 * Determinism: the same inputs give the same bytes. Every figure is rounded once, here
 * (`round6`: to 1e-6, half away from zero), keys are written in a fixed order, nothing
 * depends on the machine, the wall clock or the path the files were read from — except
 * `elapsedMs`, the wall time of the run, which is the one input the report cannot
 * control: `--deterministic` writes it as 0 (see docs/backtest.md).
 */
import type { EpisodeRecord, StrategyRun } from './replay.ts';

export function round6(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.sign(x) * Math.round(Math.abs(x) * 1e6) / 1e6;
  return r === 0 ? 0 : r;
}

export interface TypeReport {
  type: string;
  positions: number;
  liquidations: number;
  liquidationRate: number;
  hedgeCost: number;
  netPnl: number;
}

export interface StrategyReport {
  name: string;
  positions: number;
  liquidations: number;
  liquidationRate: number;
  hedgeCost: number;
  fees: number;
  funding: number;
  slippage: number;
  netPnl: number;
  maxDrawdown: number;
  // extensions
  modelVersion: string;
  startingEquity: number;
  finalEquity: number;
  maxDrawdownUsdt: number;
  liquidationFees: number;
  hedgeLiquidations: number;
  averageHedgeRatio: number | null;
  costs: { main: { fees: number; slippage: number; funding: number }; hedge: { fees: number; slippage: number; funding: number } };
  signals: { delivered: number; hedged: number; skipped: number; rejected: number; failed: number; dropped: number };
  bySignalType: TypeReport[];
}

export interface RunDescription {
  symbol: string;
  prices: { file: string; sha256: string; bars: number; from: string; to: string; intervalMs: number };
  signals: { source: string; count: number };
  funding: string;
  placement: 'same-account' | 'separate-account';
  /** What the hedge protects in that placement (see account.ts). */
  protects: 'margin' | 'equity';
  marginMode: 'isolated' | 'cross';
  leverage: number;
  walletPerAccount: number;
  maintenance: { brackets: 'table' | 'single'; maintenanceMarginRate: number; maintenanceAmount: number; liquidationFeeRate: number };
  venue: { takerFee: number; spreadBps: number; levelNotional: number };
}

export interface BacktestReport {
  events: number;
  elapsedMs: number;
  strategies: StrategyReport[];
  run: RunDescription;
}

function byType(episodes: readonly EpisodeRecord[]): TypeReport[] {
  const groups = new Map<string, EpisodeRecord[]>();
  for (const e of episodes) groups.set(e.type, [...(groups.get(e.type) ?? []), e]);
  return [...groups.keys()].sort().map((type) => {
    const list = groups.get(type)!;
    const liquidations = list.filter((e) => e.liquidated).length;
    return {
      type,
      positions: list.length,
      liquidations,
      liquidationRate: round6(list.length ? liquidations / list.length : 0),
      hedgeCost: round6(list.reduce((s, e) => s + e.hedgeFees + e.hedgeSlippage + e.hedgeFunding, 0)),
      netPnl: round6(list.reduce((s, e) => s + e.netPnl, 0)),
    };
  });
}

export function strategyReport(run: StrategyRun): StrategyReport {
  const positions = run.episodes.length;
  const liquidations = run.episodes.filter((e) => e.liquidated).length;
  const count = (state: string) => run.decisions.filter((d) => d.state === state).length;
  const ratios = run.hedgeRatio.map((p) => p.ratio);
  return {
    name: run.name,
    positions,
    liquidations,
    liquidationRate: round6(positions ? liquidations / positions : 0),
    hedgeCost: round6(run.hedge.fees + run.hedge.slippage + run.hedge.funding),
    fees: round6(run.main.fees + run.hedge.fees),
    funding: round6(run.main.funding + run.hedge.funding),
    slippage: round6(run.main.slippage + run.hedge.slippage),
    netPnl: round6(run.finalEquity - run.startingEquity),
    maxDrawdown: round6(run.maxDrawdown),
    modelVersion: run.modelVersion,
    startingEquity: round6(run.startingEquity),
    finalEquity: round6(run.finalEquity),
    maxDrawdownUsdt: round6(run.maxDrawdownUsdt),
    liquidationFees: round6(run.liquidationFees),
    hedgeLiquidations: run.hedgeLiquidations,
    averageHedgeRatio: ratios.length ? round6(ratios.reduce((a, b) => a + b, 0) / ratios.length) : null,
    costs: {
      main: { fees: round6(run.main.fees), slippage: round6(run.main.slippage), funding: round6(run.main.funding) },
      hedge: { fees: round6(run.hedge.fees), slippage: round6(run.hedge.slippage), funding: round6(run.hedge.funding) },
    },
    signals: {
      delivered: run.signals.delivered,
      hedged: count('hedged'),
      skipped: count('skipped'),
      rejected: count('rejected'),
      failed: run.signals.failed,
      dropped: run.signals.dropped,
    },
    bySignalType: byType(run.episodes),
  };
}

export function buildReport(runs: readonly StrategyRun[], events: number, elapsedMs: number, run: RunDescription): BacktestReport {
  return { events, elapsedMs: Math.round(elapsedMs), strategies: runs.map(strategyReport), run };
}

export function reportJson(report: BacktestReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const usd = (x: number) => x.toFixed(2);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The comparison table printed on stdout. */
export function comparisonTable(report: BacktestReport): string {
  const head = ['STRATEGY', 'POSITIONS', 'LIQ', 'LIQ RATE', 'HEDGE COST', 'FEES', 'FUNDING', 'SLIPPAGE', 'NET PNL', 'MAX DD'];
  const rows = report.strategies.map((s) => [
    s.name,
    String(s.positions),
    String(s.liquidations),
    pct(s.liquidationRate),
    usd(s.hedgeCost),
    usd(s.fees),
    usd(s.funding),
    usd(s.slippage),
    usd(s.netPnl),
    pct(s.maxDrawdown),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const r = report.run;
  const footer =
    `${r.symbol}, ${r.prices.bars} bars ${r.prices.from} → ${r.prices.to}, ${r.signals.count} signals (${r.signals.source}); ` +
    `hedge in the ${r.placement === 'same-account' ? 'same account (hedge mode): it protects margin' : 'separate account: it protects equity, not margin'}; ` +
    `${r.marginMode} margin, funding ${r.funding}; ${report.events} events in ${report.elapsedMs} ms`;
  return [line(head), ...rows.map(line), '', footer].join('\n') + '\n';
}
