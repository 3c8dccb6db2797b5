/*
 * The hedgehook dashboard. Plain browser JavaScript, no build step, no CDN.
 *
 * Data: the JSON API (`/api/…`, with the bearer token when the service requires one) and
 * the live stream `/api/events`, read with fetch rather than EventSource because
 * EventSource cannot send an Authorization header. Events only say what changed; the page
 * then refetches the parts concerned (debounced), so what it shows is always what the API
 * says. Everything is built with textContent: no payload field is ever parsed as HTML.
 */
(function () {
  'use strict';

  const TOKEN_KEY = 'hedgehook.apiToken';
  const $ = (id) => document.getElementById(id);
  let token = localStorage.getItem(TOKEN_KEY) || '';
  let windowMinutes = 60;
  let latencyKind = 'ack';
  let ordersAvailable = false;
  let lastEventId = null;
  let streamAbort = null;
  const expanded = new Set();
  const data = { summary: null, series: null, signals: [], orders: [], dlq: [] };

  // -- small helpers --------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }

  const nf0 = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const fmtInt = (n) => (n === null || n === undefined ? '—' : nf0.format(n));
  function fmtNum(n, digits) {
    if (n === null || n === undefined || !Number.isFinite(n)) return '—';
    return n.toLocaleString(undefined, { maximumFractionDigits: digits === undefined ? 4 : digits });
  }
  function fmtMs(ms) {
    if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
    if (ms >= 1000) return (ms / 1000).toFixed(ms >= 10000 ? 0 : 2) + ' s';
    if (ms >= 10) return ms.toFixed(0) + ' ms';
    if (ms >= 1) return ms.toFixed(1) + ' ms';
    return ms.toFixed(2) + ' ms';
  }
  function fmtTime(t) {
    if (t === null || t === undefined) return '—';
    const d = new Date(t);
    return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }
  function fmtWhen(t) {
    if (t === null || t === undefined) return '—';
    const d = new Date(t);
    const today = new Date().toDateString() === d.toDateString();
    return today ? fmtTime(d) : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  const badge = (s) => el('span', { class: 'state ' + String(s).replace(/[^a-z]/gi, ''), text: s });
  function emptyRow(tbody, cols, text) {
    tbody.replaceChildren(el('tr', {}, el('td', { class: 'empty-row', colspan: cols, text })));
  }
  function quantile(sorted, q) {
    if (sorted.length === 0) return null;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  }

  // -- API --------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, init) {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = 'Bearer ' + token;
    const opts = { cache: 'no-store', headers };
    if (init && init.method) opts.method = init.method;
    if (init && init.body !== undefined) {
      headers['content-type'] = 'application/json';
      opts.body = JSON.stringify(init.body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (err) {
      showError('Cannot reach the service: ' + err.message);
      throw err;
    }
    if (res.status === 401) {
      askToken();
      throw new ApiError(401, 'the API token is missing or wrong');
    }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new ApiError(res.status, (body && body.message) || res.statusText);
    clearError();
    return body;
  }

  function showError(text) {
    const e = $('error');
    e.textContent = text;
    e.hidden = false;
  }
  function clearError() {
    $('error').hidden = true;
  }

  // -- refresh scheduling -------------------------------------------------------------------

  const loaders = {
    summary: loadSummary,
    series: loadSeries,
    signals: loadSignals,
    orders: loadOrders,
    performance: loadPerformance,
    equity: loadEquity,
    positions: loadPositions,
    dlq: loadDlq,
  };
  const dirty = new Set();
  const running = new Map();
  let flushTimer = null;
  let firstDirtyAt = 0;

  /** Marks parts to refetch; bursts of events become one fetch per part (≤ 1 s late). */
  function want(...parts) {
    if (dirty.size === 0) firstDirtyAt = Date.now();
    for (const p of parts) dirty.add(p);
    clearTimeout(flushTimer);
    const wait = Date.now() - firstDirtyAt > 1000 ? 0 : 200;
    flushTimer = setTimeout(flush, wait);
  }

  function flush() {
    const parts = [...dirty];
    dirty.clear();
    for (const p of parts) load(p);
  }

  function load(part) {
    if (running.has(part)) {
      running.get(part).again = true;
      return running.get(part).promise;
    }
    const entry = { again: false, promise: null };
    entry.promise = (async () => {
      do {
        entry.again = false;
        try {
          await loaders[part]();
        } catch (err) {
          if (!(err instanceof ApiError && err.status === 401)) console.warn('dashboard: loading ' + part + ' failed:', err.message);
        }
      } while (entry.again);
      running.delete(part);
    })();
    running.set(part, entry);
    return entry.promise;
  }

  function refreshAll() {
    return Promise.all(Object.keys(loaders).map(load));
  }

  // -- summary: tiles, header, latency, alerts, reasons, venue health -----------------------

  async function loadSummary() {
    const s = await api('/api/dashboard/summary?minutes=' + windowMinutes);
    data.summary = s;
    ordersAvailable = !!(s.features && s.features.orders);
    $('tile-accepted').textContent = fmtInt(s.webhooks.accepted);
    $('tile-duplicate').textContent = fmtInt(s.webhooks.duplicate);
    $('tile-rejected').textContent = fmtInt(s.webhooks.rejected);
    $('tile-queue').textContent = fmtInt(s.queueDepth);
    $('tile-dlq').textContent = fmtInt(s.dlqSize);
    $('tile-ack').textContent = fmtMs(s.latency.ack.p99);
    $('tile-hedge').textContent = fmtMs(s.latency.hedge.p99);
    $('model').textContent = 'model ' + s.model;
    $('since').textContent = 'counting since ' + fmtWhen(s.since);
    $('latency-window').textContent = 'last ' + (windowMinutes >= 60 ? windowMinutes / 60 + ' h' : windowMinutes + ' min');

    const ks = s.killSwitch;
    const kill = $('kill-state');
    kill.dataset.halted = String(ks.halted);
    kill.textContent = ks.halted ? 'HALTED' + (ks.reason ? ': ' + ks.reason : '') : 'trading';
    kill.title = ks.at ? (ks.halted ? 'halted' : 'resumed') + ' by ' + (ks.by || '?') + ' at ' + fmtWhen(ks.at) : 'never halted';
    const btn = $('kill-button');
    btn.textContent = ks.halted ? 'Resume' : 'Halt';
    btn.className = ks.halted ? '' : 'danger';

    for (const row of $('latency').tBodies[0].rows) {
      const q = s.latency[row.dataset.kind];
      const cells = row.cells;
      cells[1].textContent = fmtMs(q.p50);
      cells[2].textContent = fmtMs(q.p90);
      cells[3].textContent = fmtMs(q.p99);
      cells[4].textContent = fmtInt(q.count);
    }

    const alerts = $('alerts');
    alerts.replaceChildren(...s.alerts.map((a) => el('div', { class: 'alert ' + a.severity, 'data-key': a.key }, el('strong', { text: a.rule + ' ' }), a.summary, el('span', { class: 'muted small', text: ' since ' + fmtWhen(a.since) }))));
    alerts.hidden = s.alerts.length === 0;

    const reasons = $('reasons').tBodies[0];
    if (s.webhooks.reasons.length === 0) emptyRow(reasons, 3, 'No rejected webhooks since start-up.');
    else reasons.replaceChildren(...s.webhooks.reasons.map((r) => el('tr', {}, el('td', { text: r.source }), el('td', {}, el('code', { text: r.reason })), el('td', { class: 'num', text: fmtInt(r.count) }))));
    $('reasons-box').querySelector('summary').textContent = 'Rejections by reason (' + fmtInt(s.webhooks.rejected) + ')';
    renderVenues();
  }

  // -- charts -------------------------------------------------------------------------------

  const charts = {};
  function chart(name, opts) {
    if (!charts[name]) charts[name] = window.hhCharts.timeChart($('chart-' + name), opts);
    return charts[name];
  }
  const OUTCOME_COLOURS = { accepted: ['#17a589', '#2f7ed8', '#00897b'], duplicate: ['#f3a712', '#c98a00'], rejected: ['#d64541', '#d81b60', '#8e44ad'] };

  async function loadSeries() {
    const s = await api('/api/dashboard/series?minutes=' + windowMinutes);
    data.series = s;
    renderArrivals();
    renderLatencyChart();
  }

  function renderArrivals() {
    const s = data.series;
    const xs = s.times.map((t) => t / 1000);
    const used = {};
    const series = s.arrivals.map((a) => {
      const list = OUTCOME_COLOURS[a.outcome] || ['#6c757d'];
      const i = (used[a.outcome] = (used[a.outcome] || 0) + 1) - 1;
      return { label: a.source + ' ' + a.outcome, color: list[i % list.length] };
    });
    const total = s.arrivals.reduce((n, a) => n + a.counts.reduce((x, y) => x + y, 0), 0);
    chart('arrivals', { height: 220, yLabel: 'per minute', legendValue: (u, v) => (v === null || v === undefined ? '—' : fmtInt(v)) })
      .update([xs, ...s.arrivals.map((a) => a.counts)], series, total === 0 ? 'No webhooks in this window yet.' : '');
  }

  function renderLatencyChart() {
    const s = data.series;
    if (!s) return;
    const xs = s.times.map((t) => t / 1000);
    const l = s.latency[latencyKind];
    const any = l.p99.some((v) => v !== null);
    const message = any ? '' : latencyKind === 'hedge' ? 'No hedges placed in this window (execution stage).' : 'No webhooks in this window yet.';
    chart('latency', { height: 180, yLabel: 'ms', legendValue: (u, v) => fmtMs(v) }).update(
      [xs, l.p50, l.p90, l.p99],
      [
        { label: 'p50', color: '#17a589', spanGaps: true, dots: true },
        { label: 'p90', color: '#f3a712', spanGaps: true, dots: true },
        { label: 'p99', color: '#d64541', spanGaps: true, dots: true },
      ],
      message,
    );
  }

  // -- venues and orders -----------------------------------------------------------------------

  async function loadOrders() {
    if (!ordersAvailable) {
      data.orders = [];
    } else {
      const body = await api('/api/orders?limit=500');
      data.orders = Array.isArray(body) ? body : body.orders || [];
    }
    renderVenues();
    renderFills();
    renderSignals();
  }

  function venueStatsFromOrders(orders) {
    const by = new Map();
    for (const o of orders) {
      let v = by.get(o.venue);
      if (!v) by.set(o.venue, (v = { venue: o.venue, orders: 0, judged: 0, filled: 0, latencies: [] }));
      v.orders++;
      if (o.status === 'filled') v.filled++;
      if (['filled', 'rejected', 'failed', 'expired', 'unknown'].includes(o.status) || (o.status === 'canceled' && o.filled > 0)) v.judged++;
      if (typeof o.latencyMs === 'number' && o.filled > 0) v.latencies.push(o.latencyMs);
    }
    return [...by.values()].map((v) => {
      const sorted = v.latencies.sort((a, b) => a - b);
      return { venue: v.venue, orders: v.orders, successRate: v.judged === 0 ? null : v.filled / v.judged, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99) };
    });
  }

  function renderVenues() {
    const s = data.summary;
    const health = new Map(((s && s.venues) || []).map((v) => [v.venue, v]));
    let rows;
    if (data.orders.length > 0) {
      rows = venueStatsFromOrders(data.orders);
      $('venues-source').textContent = 'latest ' + data.orders.length + ' order legs';
    } else {
      rows = ((s && s.venues) || []).map((v) => ({ venue: v.venue, orders: v.orders, successRate: v.successRate, p50: v.latency.p50, p90: v.latency.p90, p99: v.latency.p99 }));
      $('venues-source').textContent = rows.length ? 'since start-up' : '';
    }
    for (const v of health.keys()) if (!rows.some((r) => r.venue === v)) rows.push({ venue: v, orders: 0, successRate: null, p50: null, p90: null, p99: null });
    const tbody = $('venues').tBodies[0];
    if (rows.length === 0) {
      emptyRow(tbody, 7, ordersAvailable ? 'No orders yet.' : 'No venue activity yet: orders appear once the execution stage places hedges.');
      return;
    }
    tbody.replaceChildren(...rows.sort((a, b) => a.venue.localeCompare(b.venue)).map((r) => {
      const h = health.get(r.venue);
      const up = h ? h.up : null;
      const state = up === null || up === undefined ? el('span', { class: 'muted', text: '—' }) : badge(up ? 'up' : 'down');
      if (h && h.reason) state.title = h.reason;
      return el('tr', { 'data-venue': r.venue },
        el('th', { text: r.venue }), el('td', {}, state), el('td', { class: 'num', text: fmtInt(r.orders) }),
        el('td', { class: 'num', text: r.successRate === null ? '—' : (r.successRate * 100).toFixed(1) + ' %' }),
        el('td', { class: 'num', text: fmtMs(r.p50) }), el('td', { class: 'num', text: fmtMs(r.p90) }), el('td', { class: 'num', text: fmtMs(r.p99) }));
    }));
  }

  function renderFills() {
    const orders = data.orders.filter((o) => typeof o.latencyMs === 'number' && o.createdAt);
    const venues = [...new Set(orders.map((o) => o.venue))].sort();
    const times = [...new Set(orders.map((o) => Math.floor(new Date(o.createdAt).getTime() / 1000)))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const ys = venues.map(() => times.map(() => null));
    for (const o of orders) ys[venues.indexOf(o.venue)][index.get(Math.floor(new Date(o.createdAt).getTime() / 1000))] = o.latencyMs;
    const message = orders.length ? '' : ordersAvailable ? 'No order latencies yet.' : 'Fill latency per venue appears once orders are placed.';
    chart('fills', { height: 160, yLabel: 'ms', legendValue: (u, v) => fmtMs(v) }).update([times, ...ys], venues.map((v) => ({ label: v, points: true })), message);
  }

  // -- signals ---------------------------------------------------------------------------------

  async function loadSignals() {
    const body = await api('/api/signals?limit=50');
    data.signals = body.signals;
    renderSignals();
  }

  const FEATURE_COLOURS = { positionSize: '#2f7ed8', signalStrength: '#17a589', volatility: '#f3a712', riskTolerance: '#8e44ad', timeOfDay: '#6c757d', uplift: '#d64541' };

  function contributionsBar(decision) {
    if (!decision || !decision.contributions) return el('span', { class: 'muted', text: '—' });
    const entries = Object.entries(decision.contributions).filter(([, v]) => typeof v === 'number' && v > 0);
    const total = entries.reduce((n, [, v]) => n + v, 0);
    const bar = el('span', { class: 'contrib', title: entries.map(([k, v]) => k + ' ' + v.toFixed(3)).join('\n') });
    for (const [k, v] of entries) {
      const seg = el('span');
      seg.style.width = (total > 1 ? v / total : v) * 100 + '%';
      seg.style.background = FEATURE_COLOURS[k] || '#999';
      bar.append(seg);
    }
    return bar;
  }

  function ordersOf(sig) {
    if (sig.orders && sig.orders.length) return sig.orders;
    return data.orders.filter((o) => o.signalId === sig.id);
  }

  function ordersCell(orders) {
    if (!orders.length) return el('span', { class: 'muted', text: '—' });
    return el('span', {}, ...orders.map((o, i) => el('span', {}, i ? ' · ' : '', o.venue + ' ', badge(o.status), o.latencyMs !== undefined && o.latencyMs !== null ? ' ' + fmtMs(o.latencyMs) : '')));
  }

  function detailRow(sig) {
    const d = sig.decision;
    const kv = el('div', { class: 'kv' });
    const add = (k, v) => kv.append(el('span', { class: 'muted', text: k }), el('span', { text: v }));
    add('signal', sig.id);
    add('received', new Date(sig.receivedAt).toLocaleString());
    if (sig.reason) add('reason', sig.reason);
    if (d) {
      add('ratio', fmtNum(d.ratio, 4) + ' (model ' + (d.modelVersion || '?') + ')');
      add('target hedge', fmtNum(d.targetHedge) + ' (was ' + fmtNum(d.currentHedge) + ')');
      for (const [k, v] of Object.entries(d.contributions || {})) add('  ' + k, fmtNum(v, 4) + (d.features && d.features[k] !== undefined ? '  (feature ' + fmtNum(d.features[k], 3) + ')' : ''));
      if (d.order) add('order', d.order.side + ' ' + d.order.amount + ' ' + d.order.symbol + ' @ ~' + d.order.referencePrice);
    }
    const orders = ordersOf(sig);
    const table = orders.length
      ? el('table', {},
          el('thead', {}, el('tr', {}, ...['venue', 'client order id', 'purpose', 'side', 'amount', 'filled', 'status', 'latency', 'avg price', 'fee'].map((h) => el('th', { text: h })))),
          el('tbody', {}, ...orders.map((o) => el('tr', {},
            el('td', { text: o.venue }), el('td', {}, el('code', { text: o.clientOrderId || '—' })), el('td', { text: o.purpose || 'hedge' }),
            el('td', { text: o.side }), el('td', { class: 'num', text: fmtNum(o.amount) }), el('td', { class: 'num', text: fmtNum(o.filled) }),
            el('td', {}, badge(o.status)), el('td', { class: 'num', text: fmtMs(o.latencyMs) }), el('td', { class: 'num', text: fmtNum(o.averagePrice, 6) }), el('td', { class: 'num', text: fmtNum(o.fee, 6) })))))
      : el('p', { class: 'muted small', text: 'No orders for this signal.' });
    return el('tr', { class: 'detail' }, el('td', { colspan: 8 }, kv, table));
  }

  let knownIds = new Set();
  function renderSignals() {
    const tbody = $('signals').tBodies[0];
    if (data.signals.length === 0) {
      emptyRow(tbody, 8, 'No signals yet: send one with `npx hedgehook send` (see the README).');
      return;
    }
    const rows = [];
    const first = knownIds.size === 0;
    for (const sig of data.signals) {
      const d = sig.decision;
      const tr = el('tr', { 'data-id': sig.id, 'data-state': sig.state, class: !first && !knownIds.has(sig.id) ? 'fresh' : null, onclick: () => { expanded.has(sig.id) ? expanded.delete(sig.id) : expanded.add(sig.id); renderSignals(); } },
        el('td', { text: fmtWhen(sig.receivedAt) }), el('td', { text: sig.source }), el('td', { text: sig.type || '—' }),
        el('td', { text: sig.symbol + ' · ' + sig.action }), el('td', {}, badge(sig.state)),
        el('td', { class: 'num', text: d && d.ratio !== null && d.ratio !== undefined ? d.ratio.toFixed(3) : '—' }),
        el('td', {}, contributionsBar(d)), el('td', {}, ordersCell(ordersOf(sig))));
      if (sig.reason) tr.title = sig.reason;
      rows.push(tr);
      if (expanded.has(sig.id)) rows.push(detailRow(sig));
    }
    knownIds = new Set(data.signals.map((s) => s.id));
    tbody.replaceChildren(...rows);
  }

  /** A webhook just accepted: show it at once, the refetch fills in the rest. */
  function provisionalSignal(e) {
    if (!e.id || data.signals.some((s) => s.id === e.id)) return;
    data.signals.unshift({ id: e.id, source: e.source, receivedAt: e.at, type: null, symbol: '…', action: '…', state: 'received', decision: null, orders: [], reason: null });
    renderSignals();
  }

  // -- performance, equity, positions ------------------------------------------------------------

  async function loadPerformance() {
    const p = await api('/api/dashboard/performance');
    $('perf-window').textContent = 'latest ' + fmtInt(p.signals) + ' signals';
    const tbody = $('performance').tBodies[0];
    if (p.types.length === 0) return emptyRow(tbody, 5, 'No signals yet.');
    tbody.replaceChildren(...p.types.map((t) => el('tr', { 'data-type': t.type },
      el('th', { text: t.type }), el('td', { class: 'num', text: fmtInt(t.count) }),
      el('td', { class: 'num', text: t.averageRatio === null ? '—' : t.averageRatio.toFixed(3) }),
      el('td', { class: 'num', text: t.orders ? fmtNum(t.cost, 4) + ' USDT' : '—' }),
      el('td', {}, ...Object.entries(t.states).map(([k, n], i) => el('span', {}, i ? ' ' : '', badge(k + ' ' + n)))))));
  }

  async function loadEquity() {
    const body = await api('/api/dashboard/equity');
    const times = [...new Set(body.accounts.flatMap((a) => a.points.map((p) => Math.floor(p.at / 1000))))].sort((a, b) => a - b);
    const index = new Map(times.map((t, i) => [t, i]));
    const series = [];
    const ys = [];
    body.accounts.forEach((a, i) => {
      const hedged = times.map(() => null);
      const unhedged = times.map(() => null);
      for (const p of a.points) {
        hedged[index.get(Math.floor(p.at / 1000))] = p.hedged;
        unhedged[index.get(Math.floor(p.at / 1000))] = p.unhedged;
      }
      const colour = window.hhCharts.PALETTE[i % window.hhCharts.PALETTE.length];
      series.push({ label: a.account + ' hedged', color: colour, spanGaps: true, width: 2 }, { label: a.account + ' unhedged', color: colour, dash: [6, 4], spanGaps: true });
      ys.push(hedged, unhedged);
    });
    const message = times.length ? '' : 'No equity figures yet: they come from fills and market prices once the execution stage runs.';
    chart('equity', { height: 200, yLabel: 'USDT', ySize: 64, legendValue: (u, v) => fmtNum(v, 2) }).update([times, ...ys], series, message);
  }

  async function loadPositions() {
    const body = await api('/api/positions');
    const tbody = $('positions').tBodies[0];
    if (body.positions.length === 0) return emptyRow(tbody, 6, 'No positions reported yet.');
    tbody.replaceChildren(...body.positions.map((p) => {
      const m = p.main;
      const main = m ? m.side + ' ' + fmtNum(m.size) + (m.entryPrice ? ' @ ' + m.entryPrice : '') + (m.leverage ? ' ×' + m.leverage : '') : '—';
      const hedges = p.hedges.length ? p.hedges.map((h) => h.venue + ' ' + fmtNum(h.signedSize)).join(' · ') : '—';
      const pnl = (p.realisedPnl || 0) - (p.fees || 0) + (p.unrealisedPnl || 0);
      return el('tr', {},
        el('th', { text: p.account + ' · ' + p.symbol }), el('td', { text: main }), el('td', { text: hedges }),
        el('td', { class: 'num', text: fmtNum(p.netExposure) }), el('td', { class: 'num', text: p.hedgeRatio === null ? '—' : p.hedgeRatio.toFixed(3) }),
        el('td', { class: 'num', text: p.hedges.length ? fmtNum(pnl, 4) : '—' }));
    }));
  }

  // -- DLQ and kill switch ---------------------------------------------------------------------

  async function loadDlq() {
    const body = await api('/api/dlq');
    data.dlq = body.entries;
    $('replay-all').disabled = body.entries.length === 0;
    const tbody = $('dlq').tBodies[0];
    if (body.entries.length === 0) return emptyRow(tbody, 6, 'The dead-letter queue is empty.');
    tbody.replaceChildren(...body.entries.map((e) => el('tr', { 'data-signal': e.signalId },
      el('td', { text: fmtWhen(e.deadAt) }), el('td', {}, el('code', { text: e.signalId })), el('td', { text: e.source }),
      el('td', { class: 'num', text: fmtInt(e.attempts) }), el('td', { class: 'wrap', text: e.reason }),
      el('td', {}, el('button', { type: 'button', class: 'small', text: 'Replay', onclick: () => replay([e.signalId]) })))));
  }

  function confirmAction(title, text, opts) {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = (opts && opts.ok) || 'Confirm';
    const reasonLabel = $('confirm-reason-label');
    reasonLabel.hidden = !(opts && opts.reason);
    $('confirm-reason').value = '';
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? { reason: $('confirm-reason').value.trim() } : null), { once: true });
      dialog.showModal();
    });
  }

  async function replay(ids) {
    const all = ids === 'all';
    const n = all ? data.dlq.length : ids.length;
    const ok = await confirmAction('Replay ' + (all ? 'all ' : '') + n + ' dead letter' + (n === 1 ? '' : 's') + '?', 'They go back on the queue in their original order and are decided again. Fix the cause first.', { ok: 'Replay' });
    if (!ok) return;
    try {
      const res = await api('/api/dlq/replay', { method: 'POST', body: all ? { all: true } : { ids } });
      showNotice('Replayed ' + res.replayed.length + ' signal' + (res.replayed.length === 1 ? '' : 's') + '.');
    } catch (err) {
      showError('Replay failed: ' + err.message);
    }
    want('dlq', 'summary', 'signals');
  }

  async function toggleKillSwitch() {
    const halted = data.summary && data.summary.killSwitch.halted;
    const ok = halted
      ? await confirmAction('Resume trading?', 'New hedge orders will be placed again for the signals that follow.', { ok: 'Resume' })
      : await confirmAction('Halt all new orders?', 'Webhooks are still journaled and decided, but no order is sent until you resume.', { ok: 'Halt', reason: true });
    if (!ok) return;
    try {
      if (halted) await api('/api/resume', { method: 'POST', body: { by: 'dashboard' } });
      else await api('/api/halt', { method: 'POST', body: ok.reason ? { by: 'dashboard', reason: ok.reason } : { by: 'dashboard' } });
    } catch (err) {
      showError((halted ? 'Resume' : 'Halt') + ' failed: ' + err.message);
    }
    want('summary');
  }

  function showNotice(text) {
    const e = $('error');
    e.textContent = text;
    e.className = 'banner';
    e.hidden = false;
    setTimeout(() => {
      e.hidden = true;
      e.className = 'banner error';
    }, 4000);
  }

  // -- token ---------------------------------------------------------------------------------------

  let asking = false;
  function askToken() {
    $('token-button').hidden = false;
    setLive('unauthorized', 'token needed');
    if (asking) return;
    asking = true;
    const dialog = $('token');
    $('token-input').value = '';
    dialog.returnValue = '';
    dialog.addEventListener('close', () => {
      asking = false;
      if (dialog.returnValue !== 'ok') return;
      token = $('token-input').value.trim();
      localStorage.setItem(TOKEN_KEY, token);
      refreshAll();
      connect();
    }, { once: true });
    dialog.showModal();
  }

  // -- live stream -----------------------------------------------------------------------------------

  function setLive(state, text) {
    const p = $('live');
    p.dataset.state = state;
    p.textContent = text;
  }

  const HANDLERS = {
    webhook(e) {
      want('summary', 'series');
      if (e.outcome === 'accepted') provisionalSignal(e);
      if (e.outcome !== 'rejected') want('signals');
    },
    signal() { want('signals', 'performance', 'summary', 'positions', 'series', 'orders'); },
    order() { want('orders', 'summary'); },
    equity() { want('equity'); },
    venue() { want('summary'); },
    control() { want('summary', 'dlq', 'signals'); },
    killswitch() { want('summary'); },
    dlq() { want('dlq', 'summary'); },
    alert() { want('summary'); },
    gap() { refreshAll(); },
  };

  function dispatch(block) {
    let type = 'message';
    let payload = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('data: ')) payload += line.slice(6);
      else if (line.startsWith('id: ')) lastEventId = line.slice(4);
    }
    if (!payload) return;
    let event;
    try {
      event = JSON.parse(payload);
    } catch {
      return;
    }
    const h = HANDLERS[type];
    if (h) h(event);
  }

  async function connect() {
    if (streamAbort) streamAbort.abort();
    const ac = new AbortController();
    streamAbort = ac;
    const headers = { accept: 'text/event-stream' };
    if (token) headers.authorization = 'Bearer ' + token;
    if (lastEventId) headers['last-event-id'] = lastEventId;
    try {
      const res = await fetch('/api/events', { headers, signal: ac.signal, cache: 'no-store' });
      if (res.status === 401) return askToken();
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      setLive('live', 'live');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          dispatch(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (err) {
      if (ac.signal.aborted) return;
    }
    if (ac.signal.aborted) return;
    // The service restarted or the network dropped: catch up and reconnect.
    setLive('reconnecting', 'reconnecting…');
    setTimeout(() => {
      if (streamAbort === ac) {
        refreshAll();
        connect();
      }
    }, 2000);
  }

  /** The market-data feed: a simulated one is labelled in the header, never passed off as a market. */
  async function loadMarket() {
    const m = await api('/api/market');
    const pill = $('market');
    pill.hidden = false;
    pill.dataset.kind = m.kind;
    pill.textContent = m.kind === 'simulated' ? 'SIMULATED prices' : m.kind === 'starting' ? 'VENUES NOT OPEN yet' : m.kind + ' prices';
    pill.title = m.description + (m.venues.length ? ' · venues: ' + m.venues.map((v) => v.id + ' (' + v.kind + ')').join(', ') : '');
    // Webhooks are journaled while the venues open (or are retried): look again until they are.
    if (m.kind === 'starting') setTimeout(() => loadMarket().catch(() => {}), 5000);
  }

  // -- start ------------------------------------------------------------------------------------------

  function start() {
    $('kill-button').addEventListener('click', toggleKillSwitch);
    $('replay-all').addEventListener('click', () => replay('all'));
    $('token-button').addEventListener('click', askToken);
    $('window').addEventListener('change', (ev) => {
      windowMinutes = Number(ev.target.value);
      want('series', 'summary');
    });
    for (const tab of document.querySelectorAll('[data-latency]')) {
      tab.addEventListener('click', () => {
        latencyKind = tab.dataset.latency;
        for (const t of document.querySelectorAll('[data-latency]')) t.setAttribute('aria-selected', String(t === tab));
        renderLatencyChart();
      });
    }
    // Minutes roll over even when nothing happens.
    setInterval(() => want('series', 'summary'), 30000);
    loadMarket().catch(() => {});
    load('summary').then(() => refreshAll()).finally(() => {
      document.body.dataset.ready = 'true';
    });
    connect();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
