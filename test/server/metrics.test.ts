/** The metrics count what happened: webhooks through the real server, signals through the real worker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../src/server/latency-histogram.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { performanceByType } from '../../src/server/dashboard-api.ts';
import type { SignalFact } from '../../src/core/signal.ts';
import { testServer } from '../helpers/server.ts';
import { startMonitoredService } from '../helpers/monitored-service.ts';
import { signedWebhook } from '../helpers/service-process.ts';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

/** `name{labels} value` lines of the exposition, as a map. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

test('webhook counters and the ack histogram count every outcome, by source and reason', async () => {
  const s = testServer();
  const send = (headers: Record<string, string>, body: string, source = 'default') => s.app.inject({ method: 'POST', url: `/webhooks/${source}`, headers, payload: body });
  for (let i = 0; i < 3; i++) {
    const h = signedWebhook({ ...PAYLOAD, strength: i / 10 });
    assert.equal((await send(h.headers, h.body)).statusCode, 202);
  }
  const again = signedWebhook(PAYLOAD, { id: 'msg_same' });
  assert.equal((await send(again.headers, again.body)).statusCode, 202);
  assert.equal((await send(again.headers, again.body)).statusCode, 200);
  const forged = signedWebhook(PAYLOAD, { secret: 'whsec_' + Buffer.from('not the secret at all').toString('base64') });
  assert.equal((await send(forged.headers, forged.body)).statusCode, 401);
  assert.equal((await send({ 'content-type': 'application/json' }, '{}', 'nope')).statusCode, 404);
  const bad = signedWebhook({ action: 'open' });
  assert.equal((await send(bad.headers, bad.body)).statusCode, 400);

  const m = parse((await s.app.inject({ url: '/metrics' })).body);
  assert.equal(m.get('hedgehook_webhooks_total{source="default",outcome="accepted"}'), 4);
  assert.equal(m.get('hedgehook_webhooks_total{source="default",outcome="duplicate"}'), 1);
  assert.equal(m.get('hedgehook_webhooks_total{source="default",outcome="rejected"}'), 2);
  assert.equal(m.get('hedgehook_webhooks_total{source="unknown",outcome="rejected"}'), 1, 'unknown names never become labels');
  assert.equal(m.get('hedgehook_webhook_rejections_total{source="default",reason="HH_ERR_SIGNATURE_INVALID"}'), 1);
  assert.equal(m.get('hedgehook_webhook_rejections_total{source="default",reason="HH_ERR_INVALID_PAYLOAD"}'), 1);
  assert.equal(m.get('hedgehook_webhook_rejections_total{source="unknown",reason="HH_ERR_UNKNOWN_SOURCE"}'), 1);
  assert.equal(m.get('hedgehook_webhook_ack_seconds_count{source="default",outcome="accepted"}'), 4);
  assert.equal(m.get('hedgehook_webhook_ack_seconds_count{source="default",outcome="rejected"}'), 2);
  assert.ok(m.has('hedgehook_webhook_last_seen_timestamp_seconds{source="default"}'));
  assert.equal(m.get('hedgehook_queue_depth'), 4);
  // Sent one after the other: each append its own group commit; the duplicate is answered by one too.
  assert.equal(m.get('hedgehook_journal_appends_total'), 5);
  assert.equal(m.get('hedgehook_journal_group_commits_total'), 5);

  // The dashboard's summary counts the same.
  const summary = (await s.app.inject({ url: '/api/dashboard/summary' })).json() as { webhooks: { accepted: number; duplicate: number; rejected: number; reasons: { reason: string; count: number }[] }; latency: { ack: { count: number } } };
  assert.deepEqual([summary.webhooks.accepted, summary.webhooks.duplicate, summary.webhooks.rejected], [4, 1, 3]);
  assert.equal(summary.latency.ack.count, 8);
  assert.deepEqual(summary.webhooks.reasons.map((r) => r.reason).sort(), ['HH_ERR_INVALID_PAYLOAD', 'HH_ERR_SIGNATURE_INVALID', 'HH_ERR_UNKNOWN_SOURCE']);
});

test('settled signals, decisions, the model, the kill switch and positions are measured', async () => {
  const svc = await startMonitoredService();
  try {
    for (let i = 0; i < 3; i++) {
      const h = signedWebhook({ ...PAYLOAD, strength: 0.5 + i / 10 });
      assert.equal((await fetch(`${svc.url}/webhooks/default`, { method: 'POST', headers: h.headers, body: h.body })).status, 202);
    }
    for (;;) {
      if ((await svc.journal.depth()) === 0) break;
      await svc.worker.idle();
    }
    await fetch(`${svc.url}/api/halt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const m = parse(await (await fetch(`${svc.url}/metrics`)).text());
    assert.equal(m.get('hedgehook_signals_processed_total{state="skipped"}'), 3);
    assert.equal(m.get('hedgehook_decision_seconds_count{outcome="hedge"}'), 3, 'decided to hedge (no venue yet, so settled skipped)');
    assert.equal(m.get('hedgehook_signal_seconds_count{state="skipped"}'), 3);
    assert.equal(m.get('hedgehook_model_info{version="article-v1"}'), 1);
    assert.equal(m.get('hedgehook_kill_switch_engaged'), 1);
    assert.equal(m.get('hedgehook_position_size{account="main",symbol="TRX/USDT:USDT"}'), 50000);
    assert.equal(m.get('hedgehook_dlq_size'), 0);
    const summary = (await (await fetch(`${svc.url}/api/dashboard/summary`)).json()) as { latency: { decision: { count: number } } };
    assert.equal(summary.latency.decision.count, 3);
  } finally {
    await svc.stop();
  }
});

test('the execution stage reports orders, equity, margin and venue health through the telemetry port', async () => {
  const svc = await startMonitoredService();
  try {
    const t = svc.monitoring.telemetry;
    t.observeOrder({ venue: 'primary', outcome: 'filled', latencyMs: 18 });
    t.observeOrder({ venue: 'primary', outcome: 'filled', latencyMs: 22 });
    t.observeOrder({ venue: 'primary', outcome: 'canceled', latencyMs: 500 });
    t.observeOrder({ venue: 'backup', outcome: 'timeout', latencyMs: 3000 });
    t.setVenueHealth({ venue: 'backup', up: false, reason: 'HH_ERR_VENUE_UNAVAILABLE' });
    t.setEquity({ account: 'main', hedged: 10_050, unhedged: 9_800 });
    t.setMargin({ account: 'main', venue: 'binance', symbol: 'TRX/USDT:USDT', ratio: 0.31 });
    const m = parse(await (await fetch(`${svc.url}/metrics`)).text());
    assert.equal(m.get('hedgehook_venue_order_seconds_count{venue="primary",outcome="filled"}'), 2);
    assert.equal(m.get('hedgehook_venue_order_seconds_count{venue="backup",outcome="timeout"}'), 1);
    assert.ok(Math.abs(m.get('hedgehook_venue_order_seconds_sum{venue="primary",outcome="filled"}')! - 0.04) < 1e-12, 'latencies in seconds');
    assert.equal(m.get('hedgehook_venue_up{venue="backup"}'), 0);
    assert.equal(m.get('hedgehook_equity_usdt{account="main",curve="hedged"}'), 10_050);
    assert.equal(m.get('hedgehook_equity_usdt{account="main",curve="unhedged"}'), 9_800);
    assert.equal(m.get('hedgehook_margin_ratio{account="main",venue="binance",symbol="TRX/USDT:USDT"}'), 0.31);

    const summary = (await (await fetch(`${svc.url}/api/dashboard/summary`)).json()) as { venues: { venue: string; up: boolean | null; orders: number; successRate: number | null }[] };
    assert.deepEqual(summary.venues.map((v) => [v.venue, v.up, v.orders, v.successRate]), [['backup', false, 1, 0], ['primary', null, 3, 1]], 'a lost race (canceled) is neither success nor failure');
    const equity = (await (await fetch(`${svc.url}/api/dashboard/equity`)).json()) as { accounts: { account: string; points: { hedged: number }[] }[] };
    assert.deepEqual(equity.accounts.map((a) => [a.account, a.points.map((p) => p.hedged)]), [['main', [10_050]]]);
  } finally {
    await svc.stop();
  }
});

test('the dashboard page and its assets are served without a token; its data needs one', async () => {
  const token = 'a-long-random-api-token-0123456789';
  const s = testServer({ apiToken: token });
  const page = await s.app.inject({ url: '/' });
  assert.equal(page.statusCode, 200);
  assert.match(page.headers['content-type'] as string, /text\/html/);
  assert.match(page.headers['content-security-policy'] as string, /script-src 'self'/);
  assert.match(page.body, /<script src="\/dashboard\/uplot.js"/);
  for (const asset of ['/dashboard/app.js', '/dashboard/charts.js', '/dashboard/style.css', '/dashboard/uplot.js', '/dashboard/uplot.css']) {
    const res = await s.app.inject({ url: asset });
    assert.equal(res.statusCode, 200, asset);
    assert.ok(res.body.length > 500, asset);
  }
  assert.match((await s.app.inject({ url: '/dashboard/uplot.js' })).body, /uPlot/);
  for (const url of ['/api/dashboard/summary', '/api/dashboard/series', '/api/dashboard/equity', '/api/dashboard/performance', '/api/events']) {
    assert.equal((await s.app.inject({ url })).statusCode, 401, url);
  }
  const ok = await s.app.inject({ url: '/api/dashboard/series?minutes=5', headers: { authorization: `Bearer ${token}` } });
  assert.equal(ok.statusCode, 200);
  assert.equal((ok.json() as { times: number[] }).times.length, 5);
  assert.equal((await s.app.inject({ url: '/api/dashboard/series?minutes=0', headers: { authorization: `Bearer ${token}` } })).statusCode, 400);
});

test('performance by type: count, states, average ratio, the legs\' number, fees as cost, filled notional', () => {
  const fact = (id: string, type: string | undefined, state: SignalFact['state'], ratio?: number): SignalFact => ({
    seq: 1, id, state, ...(type ? { type } : {}), ...(ratio === undefined ? {} : { ratio }),
  });
  const rows = performanceByType(
    [fact('a', 'breakout', 'hedged', 0.6), fact('b', 'breakout', 'skipped', 0.4), fact('c', 'breakout', 'dead'), fact('d', undefined, 'rejected', 0.9)],
    new Map([
      ['a', { signalId: 'a', legs: 2, fees: 0.01, filledNotional: 25 }],
      ['elsewhere', { signalId: 'elsewhere', legs: 5, fees: 9, filledNotional: 900 }],
    ]),
  );
  assert.deepEqual(rows, [
    { type: 'breakout', count: 3, states: { hedged: 1, skipped: 1, dead: 1 }, averageRatio: 0.5, decided: 2, orders: 2, cost: 0.01, filledNotional: 25 },
    { type: '(none)', count: 1, states: { rejected: 1 }, averageRatio: 0.9, decided: 1, orders: 0, cost: 0, filledNotional: 0 },
  ]);
});

test('dashboard quantiles are within one histogram bucket (±19%) of the exact ones', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const samples = Array.from({ length: 5000 }, () => 0.05 * Math.exp(rand() * 9)); // 50 µs … 400 ms
  const h = new LatencyHistogram();
  for (const v of samples) h.record(v);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.99]) {
    const exact = sorted[Math.ceil(q * sorted.length) - 1]!;
    const got = h.quantile(q)!;
    assert.ok(Math.abs(got - exact) / exact < 0.19, `q${q}: ${got} vs ${exact}`);
  }
  assert.equal(h.quantile(1), Math.max(...samples));
  assert.equal(new LatencyHistogram().quantile(0.5), null);
});

test('mirrored totals count each event once, however often they are scraped', async () => {
  let batches = 0;
  let accepted = 0;
  const metrics = createMetrics({ queueDepth: async () => 0, dlqSize: async () => 0, journalStats: () => ({ batches, accepted, duplicates: 1 }) });
  // More events than the live hub's pending batch holds (4096), in one turn: the oldest are dropped.
  for (let i = 0; i < 4100; i++) metrics.live.publish({ type: 'webhook', at: i });
  batches = 2;
  accepted = 6;
  const scrape = async () => parse(await metrics.registry.metrics());
  const first = await scrape();
  assert.equal(first.get('hedgehook_live_events_dropped_total'), 4);
  assert.equal(first.get('hedgehook_journal_group_commits_total'), 2);
  assert.equal(first.get('hedgehook_journal_appends_total'), 7);
  batches = 3;
  const second = await scrape();
  assert.equal(second.get('hedgehook_live_events_dropped_total'), 4);
  assert.equal(second.get('hedgehook_journal_group_commits_total'), 3);
  assert.equal(second.get('hedgehook_journal_appends_total'), 7);
});
