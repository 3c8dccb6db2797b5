/*
 * uPlot helpers for the dashboard: one place that knows sizes, colours and empty states.
 * Charts follow their container's width (ResizeObserver), so the page works from a phone
 * to a wide screen, and read their colours from the CSS variables (light and dark).
 */
(function () {
  'use strict';

  const PALETTE = ['#2f7ed8', '#e4572e', '#17a589', '#f3a712', '#8e44ad', '#6c757d', '#d81b60', '#00897b'];

  function cssVar(name, fallback) {
    const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return v || fallback;
  }

  function axis(extra) {
    const ink = cssVar('--muted', '#666');
    const grid = cssVar('--grid', 'rgba(0,0,0,0.08)');
    return Object.assign({ stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } }, extra || {});
  }

  /**
   * A time-series chart in `container`. `series` is [{label, color?, points?, dash?}],
   * `data` is uPlot's [xs(seconds), ...ys]. Returns {update(data, series?)}.
   */
  function timeChart(container, opts) {
    const height = opts.height || 220;
    let plot = null;
    let seriesKey = '';
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.hidden = true;
    container.appendChild(empty);
    const host = document.createElement('div');
    host.className = 'plot';
    container.appendChild(host);

    function build(series, data) {
      if (plot) plot.destroy();
      const width = Math.max(240, host.clientWidth || container.clientWidth || 320);
      plot = new uPlot(
        {
          width,
          height,
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false }, points: { size: 6 } },
          scales: { x: { time: true }, y: Object.assign({ auto: true }, opts.yScale || {}) },
          axes: [axis(), axis({ values: opts.yValues, size: opts.ySize || 50, label: opts.yLabel })],
          series: [{}].concat(
            series.map((s, i) => {
              const color = s.color || PALETTE[i % PALETTE.length];
              const out = { label: s.label, stroke: color, width: s.width || 1.5, spanGaps: !!s.spanGaps, value: opts.legendValue };
              if (s.dash) out.dash = s.dash;
              if (s.fill) out.fill = s.fill;
              if (s.dots) {
                // Quantiles exist only for minutes with traffic: mark each one.
                out.points = { show: true, size: 5, fill: color, stroke: color };
              }
              if (s.points) {
                out.paths = () => null;
                out.points = { show: true, size: 6, fill: color, stroke: color };
              } else if (opts.bars) {
                out.paths = uPlot.paths.bars({ size: [0.8, 40] });
                out.fill = color + '99';
                out.points = { show: false };
              }
              // Lines keep uPlot's default points: shown where data is sparse, so a lone
              // minute with data is still visible.
              return out;
            }),
          ),
        },
        data,
        host,
      );
      seriesKey = series.map((s) => s.label).join('\u0000');
    }

    const ro = new ResizeObserver(() => {
      if (plot && host.clientWidth > 0 && Math.abs(plot.width - host.clientWidth) > 2) plot.setSize({ width: host.clientWidth, height });
    });
    ro.observe(host);

    return {
      /** Empty state: `message` shown above an empty chart (axes still drawn). */
      update(data, series, message) {
        empty.textContent = message || '';
        empty.hidden = !message;
        const key = series.map((s) => s.label).join('\u0000');
        if (!plot || key !== seriesKey) build(series, data);
        else plot.setData(data);
      },
      get plot() {
        return plot;
      },
    };
  }

  window.hhCharts = { timeChart, PALETTE };
})();
