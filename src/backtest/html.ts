/**
 * The HTML report: one self-contained file (inline SVG and CSS, no script, no network),
 * so it opens anywhere and is as deterministic as the JSON. Charts:
 *   equity per strategy, with a marker at every liquidation of a main position;
 *   drawdown per strategy (from the sampled equity);
 *   hedge ratio over time per strategy (|hedge| / |main| after each signal);
 *   cost breakdown per strategy (fees, slippage, funding, liquidation fees; main and hedge);
 * and the comparison table with the performance by signal type.
 */
import type { BacktestReport } from './report.ts';
import type { StrategyRun } from './replay.ts';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];
const W = 960;
const H = 260;
const PAD = { left: 70, right: 16, top: 16, bottom: 28 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
  markers?: { x: number; y: number }[];
  step?: boolean;
}

function chart(title: string, series: Series[], yLabel: (y: number) => string, fixedY?: [number, number]): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return `<h2>${esc(title)}</h2><p>no data</p>`;
  let [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let [y0, y1] = fixedY ?? [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 1, y1 + 1];
  const sx = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const grid: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    grid.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${fmt(sy(y), 1)}" y2="${fmt(sy(y), 1)}" class="grid"/>`);
    grid.push(`<text x="${PAD.left - 6}" y="${fmt(sy(y) + 4, 1)}" class="ylab">${esc(yLabel(y))}</text>`);
    const x = x0 + ((x1 - x0) * k) / 4;
    grid.push(`<text x="${fmt(sx(x), 1)}" y="${H - 8}" class="xlab">${day(x)}</text>`);
  }
  const lines = series.map((s) => {
    let d = '';
    s.points.forEach((p, i) => {
      if (i === 0) d += `M${fmt(sx(p.x), 1)},${fmt(sy(p.y), 1)}`;
      else if (s.step) d += `H${fmt(sx(p.x), 1)}V${fmt(sy(p.y), 1)}`;
      else d += `L${fmt(sx(p.x), 1)},${fmt(sy(p.y), 1)}`;
    });
    const marks = (s.markers ?? []).map((m) => `<circle cx="${fmt(sx(m.x), 1)}" cy="${fmt(sy(m.y), 1)}" r="4" class="liq" stroke="${s.color}"><title>liquidation ${esc(s.name)} ${new Date(m.x).toISOString()}</title></circle>`).join('');
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.3"/>${marks}`;
  });
  const legend = series.map((s) => `<span><i style="background:${s.color}"></i>${esc(s.name)}</span>`).join(' ');
  return `<h2>${esc(title)}</h2><div class="legend">${legend}</div><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${esc(title)}">${grid.join('')}${lines.join('')}</svg>`;
}

function drawdown(points: { time: number; equity: number }[]): { x: number; y: number }[] {
  let peak = -Infinity;
  return points.map((p) => {
    peak = Math.max(peak, p.equity);
    return { x: p.time, y: peak > 0 ? -((peak - p.equity) / peak) * 100 : 0 };
  });
}

function equityAt(run: StrategyRun, time: number): number {
  let best = run.equity[0]?.equity ?? 0;
  for (const p of run.equity) {
    if (p.time > time) break;
    best = p.equity;
  }
  return best;
}

function costBars(report: BacktestReport): string {
  const parts = [
    { key: 'main fees', color: '#1f77b4', get: (s: BacktestReport['strategies'][number]) => s.costs.main.fees },
    { key: 'hedge fees', color: '#aec7e8', get: (s: BacktestReport['strategies'][number]) => s.costs.hedge.fees },
    { key: 'slippage', color: '#ff7f0e', get: (s: BacktestReport['strategies'][number]) => s.slippage },
    { key: 'funding', color: '#2ca02c', get: (s: BacktestReport['strategies'][number]) => s.funding },
    { key: 'liquidation fees', color: '#d62728', get: (s: BacktestReport['strategies'][number]) => s.liquidationFees },
  ];
  const rowH = 28;
  const height = PAD.top + report.strategies.length * rowH + PAD.bottom;
  const totals = report.strategies.map((s) => parts.reduce((t, p) => t + Math.abs(p.get(s)), 0));
  const max = Math.max(1e-9, ...totals);
  const scale = (W - 200 - PAD.right) / max;
  const rows = report.strategies.map((s, i) => {
    let x = 200;
    const y = PAD.top + i * rowH;
    const segs = parts.map((p) => {
      const v = p.get(s);
      const w = Math.abs(v) * scale;
      const rect = `<rect x="${fmt(x, 1)}" y="${y}" width="${fmt(w, 1)}" height="${rowH - 8}" fill="${p.color}"${v < 0 ? ' fill-opacity="0.4"' : ''}><title>${esc(p.key)}: ${fmt(v)} USDT${v < 0 ? ' (received)' : ''}</title></rect>`;
      x += w;
      return rect;
    });
    return `<text x="190" y="${y + rowH / 2}" class="ylab">${esc(s.name)}</text>${segs.join('')}<text x="${fmt(x + 6, 1)}" y="${y + rowH / 2}" class="val">${fmt(totals[i]!)} USDT</text>`;
  });
  const legend = parts.map((p) => `<span><i style="background:${p.color}"></i>${esc(p.key)}</span>`).join(' ');
  return `<h2>Cost breakdown (USDT; pale = received)</h2><div class="legend">${legend}</div><svg viewBox="0 0 ${W} ${height}" width="100%">${rows.join('')}</svg>`;
}

function table(report: BacktestReport): string {
  const head = ['strategy', 'model', 'positions', 'liquidations', 'liq. rate', 'hedge cost', 'fees', 'funding', 'slippage', 'net PnL', 'max DD', 'avg ratio'];
  const rows = report.strategies.map((s) => [
    s.name, s.modelVersion, String(s.positions), String(s.liquidations), `${fmt(s.liquidationRate * 100, 1)}%`, fmt(s.hedgeCost), fmt(s.fees), fmt(s.funding), fmt(s.slippage), fmt(s.netPnl), `${fmt(s.maxDrawdown * 100, 1)}%`, s.averageHedgeRatio === null ? '-' : fmt(s.averageHedgeRatio, 3),
  ]);
  const byType = report.strategies.flatMap((s) => s.bySignalType.map((t) => [s.name, t.type, String(t.positions), String(t.liquidations), `${fmt(t.liquidationRate * 100, 1)}%`, fmt(t.hedgeCost), fmt(t.netPnl)]));
  const html = (h: string[], r: string[][]) => `<table><tr>${h.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${r.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  return `<h2>Comparison</h2>${html(head, rows)}<h2>By signal type (of the opening signal)</h2>${html(['strategy', 'type', 'positions', 'liquidations', 'liq. rate', 'hedge cost', 'net PnL'], byType)}`;
}

export function renderHtml(report: BacktestReport, runs: readonly StrategyRun[]): string {
  const r = report.run;
  const colored = runs.map((run, i) => ({ run, color: COLORS[i % COLORS.length]! }));
  const equity = chart(
    'Equity (USDT), ○ = liquidation of the main position',
    colored.map(({ run, color }) => ({
      name: run.name,
      color,
      points: run.equity.map((p) => ({ x: p.time, y: p.equity })),
      markers: run.liquidations.filter((l) => l.closed.some((c) => c.role === 'main')).map((l) => ({ x: l.time, y: equityAt(run, l.time) })),
    })),
    (y) => fmt(y, 0),
  );
  const dd = chart('Drawdown (%)', colored.map(({ run, color }) => ({ name: run.name, color, points: drawdown(run.equity) })), (y) => fmt(y, 1));
  const ratio = chart(
    'Hedge ratio |hedge| / |main| after each signal',
    colored.map(({ run, color }) => ({ name: run.name, color, points: run.hedgeRatio.map((p) => ({ x: p.time, y: p.ratio })), step: true })),
    (y) => fmt(y, 2),
    [0, 1.05],
  );
  const about =
    `${esc(r.symbol)} · ${esc(r.prices.file)} (${r.prices.bars} bars, ${esc(r.prices.from)} → ${esc(r.prices.to)}) · ` +
    `${r.signals.count} signals (${esc(r.signals.source)}) · funding ${esc(r.funding)} · ${esc(r.marginMode)} margin · ` +
    `hedge in the ${r.placement === 'same-account' ? 'same account (hedge mode)' : 'separate account'}: it protects <b>${r.protects}</b> · ` +
    `leverage ${r.leverage} · wallet ${r.walletPerAccount} USDT per account`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hedgehook backtest</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.grid{stroke:#eee}.ylab{font-size:11px;text-anchor:end;fill:#555}.xlab{font-size:11px;text-anchor:middle;fill:#555}.val{font-size:11px;fill:#333}
.liq{fill:#fff;stroke-width:2}.legend span{margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
</style></head><body>
<h1>hedgehook backtest</h1>
<p>${about}</p>
${table(report)}
${equity}
${dd}
${ratio}
${costBars(report)}
<p><small>${report.events} events. Mechanics: docs/backtest.md.</small></p>
</body></html>
`;
}
