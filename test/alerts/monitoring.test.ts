/**
 * Each alert through the whole chain: the real service in process (ManualClock), the
 * monitoring wiring, the rules, the manager, the delivery, and a real HTTP sink. Each
 * alert fires exactly once while its condition lasts and resolves exactly once after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.ts';
import { HedgehookError } from '../../src/core/errors.ts';
import { alertsConfigSchema } from '../../src/alerts/config.ts';
import { startMonitoredService } from '../helpers/monitored-service.ts';
import { signedWebhook } from '../helpers/service-process.ts';
import { settle, startSink, type Answer } from './sink.ts';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

async function setup(opts: { answer?: (n: number) => Answer; alerts?: object; poison?: boolean } = {}) {
  const sink = await startSink(opts.answer);
  const clock = new ManualClock(Date.now());
  const failed = new Set<string>();
  const svc = await startMonitoredService({
    clock,
    alerts: alertsConfigSchema.parse({ url: sink.url, evaluateEveryMs: 1_000, cooldownMs: 0, silence: { afterMs: 60_000 }, ...opts.alerts }),
    processor: (decide) => async (d) => {
      if (opts.poison && d.payload.type === 'poison' && !failed.has(d.id)) {
        failed.add(d.id);
        throw new HedgehookError('HH_ERR_PROCESSING_FAILED', 'poisoned', { retryable: false });
      }
      return decide(d);
    },
  });
  /**
   * Moves the clock by `ms`, one evaluation period at a time. Posts in flight finish
   * first: the request timeout runs on this clock, and real I/O does not.
   */
  const tick = async (ms = 1_000) => {
    for (let done = 0; done < ms; done += 1_000) {
      await svc.monitoring.deliveriesIdle();
      clock.advance(Math.min(1_000, ms - done));
      await svc.monitoring.evaluate();
    }
    await svc.monitoring.deliveriesIdle();
  };
  const posts = () => sink.received.map((r) => `${r.body.status}:${r.body.key}`);
  const webhook = async (payload: object = PAYLOAD) => {
    const hook = signedWebhook(payload);
    return fetch(`${svc.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
  };
  const api = (path: string, body: object) => fetch(`${svc.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    sink, clock, svc, tick, posts, webhook, api,
    async close() {
      await svc.stop();
      await sink.close();
    },
  };
}

test('kill switch: fires when halted (at once, from the API action), resolves on resume', async () => {
  const t = await setup();
  try {
    assert.equal((await t.api('/api/halt', { reason: 'maintenance', by: 'ops' })).status, 200);
    await t.sink.waitFor(1);
    await t.tick(5_000);
    assert.deepEqual(t.posts(), ['firing:kill-switch']);
    assert.match(String(t.sink.received[0]!.body.summary), /by ops: maintenance/);
    const summary = (await (await fetch(`${t.svc.url}/api/dashboard/summary`)).json()) as { alerts: { key: string }[] };
    assert.deepEqual(summary.alerts.map((a) => a.key), ['kill-switch'], 'the dashboard lists it too');
    assert.equal((await t.api('/api/resume', { by: 'ops' })).status, 200);
    await t.sink.waitFor(2);
    await t.tick(3_000);
    assert.deepEqual(t.posts(), ['firing:kill-switch', 'resolved:kill-switch']);
    const metrics = await (await fetch(`${t.svc.url}/metrics`)).text();
    assert.match(metrics, /hedgehook_alert_notifications_total\{result="sent"\} 2/);
  } finally {
    await t.close();
  }
});

test('dlq: fires when a signal is dead-lettered, resolves when it is replayed', async () => {
  const t = await setup({ poison: true });
  try {
    assert.equal((await t.webhook({ ...PAYLOAD, type: 'poison' })).status, 202);
    await t.sink.waitFor(1);
    await t.tick(3_000);
    assert.deepEqual(t.posts(), ['firing:dlq']);
    assert.equal((await t.api('/api/dlq/replay', { all: true })).status, 200);
    await t.svc.worker.idle();
    await t.tick(2_000);
    assert.deepEqual(t.posts(), ['firing:dlq', 'resolved:dlq']);
  } finally {
    await t.close();
  }
});

test('receiver silence: fires after the period without a webhook, resolves on the next one', async () => {
  const t = await setup();
  try {
    assert.equal((await t.webhook()).status, 202);
    await t.tick(59_000);
    assert.deepEqual(t.posts(), []);
    await t.tick(3_000);
    assert.deepEqual(t.posts(), ['firing:silence:default']);
    await t.tick(10_000);
    assert.equal(t.posts().length, 1, 'still silent: no second notification');
    assert.equal((await t.webhook()).status, 202);
    await t.tick(1_000);
    assert.deepEqual(t.posts(), ['firing:silence:default', 'resolved:silence:default']);
  } finally {
    await t.close();
  }
});

test('venue down and venue failing fire once each and resolve with hysteresis', async () => {
  const t = await setup();
  try {
    const tel = t.svc.monitoring.telemetry;
    tel.setVenueHealth({ venue: 'backup', up: false, reason: 'HH_ERR_VENUE_UNAVAILABLE: 503' });
    for (let i = 0; i < 10; i++) tel.observeOrder({ venue: 'primary', outcome: i % 2 ? 'failed' : 'timeout', latencyMs: 500 });
    await t.tick(3_000);
    assert.deepEqual(t.posts().sort(), ['firing:venue:backup', 'firing:venue:primary']);
    tel.setVenueHealth({ venue: 'backup', up: true });
    for (let i = 0; i < 10; i++) tel.observeOrder({ venue: 'primary', outcome: 'filled', latencyMs: 20 });
    await t.tick(2_000);
    assert.deepEqual(t.posts().slice(2), ['resolved:venue:backup'], 'primary at 50% failed stays firing');
    for (let i = 0; i < 10; i++) tel.observeOrder({ venue: 'primary', outcome: 'filled', latencyMs: 20 });
    await t.tick(2_000);
    assert.deepEqual(t.posts().slice(3), ['resolved:venue:primary'], 'the last 20 orders hold no failure now');
  } finally {
    await t.close();
  }
});

test('ack-latency objective: fires when p99 is above it, resolves when the window is fast again', async () => {
  const t = await setup({ alerts: { ackLatency: { objectiveMs: 250, windowMs: 60_000, minSamples: 20 }, silence: {} } });
  try {
    for (let i = 0; i < 30; i++) t.svc.metrics.observeWebhook('default', 'accepted', i < 25 ? 3 : 900);
    await t.tick(2_000);
    assert.deepEqual(t.posts(), ['firing:ack-latency']);
    assert.match(String(t.sink.received[0]!.body.summary), /p99 is \d+ ms .* above the 250 ms objective/);
    // Enough fast acks that the five slow ones fall below the 99th percentile.
    for (let i = 0; i < 600; i++) t.svc.metrics.observeWebhook('default', 'accepted', 2);
    await t.tick(1_000);
    assert.deepEqual(t.posts(), ['firing:ack-latency', 'resolved:ack-latency']);
  } finally {
    await t.close();
  }
});

test('margin near liquidation fires and resolves below the recover line', async () => {
  const t = await setup();
  try {
    const tel = t.svc.monitoring.telemetry;
    tel.setMargin({ account: 'main', venue: 'binance', symbol: 'TRX/USDT:USDT', ratio: 0.9 });
    await t.tick(2_000);
    tel.setMargin({ account: 'main', venue: 'binance', symbol: 'TRX/USDT:USDT', ratio: 0.75 });
    await t.tick(2_000);
    assert.deepEqual(t.posts(), ['firing:margin:main:binance:TRX/USDT:USDT']);
    tel.setMargin({ account: 'main', venue: 'binance', symbol: 'TRX/USDT:USDT', ratio: 0.4 });
    await t.tick(1_000);
    assert.deepEqual(t.posts(), ['firing:margin:main:binance:TRX/USDT:USDT', 'resolved:margin:main:binance:TRX/USDT:USDT']);
  } finally {
    await t.close();
  }
});

test('no storm: a venue flapping every evaluation makes one notification per cooldown', async () => {
  const t = await setup({ alerts: { cooldownMs: 60_000 } });
  try {
    for (let i = 0; i < 40; i++) {
      t.svc.monitoring.telemetry.setVenueHealth({ venue: 'backup', up: i % 2 === 1 });
      await t.tick(1_000);
    }
    assert.deepEqual(t.posts(), ['firing:venue:backup', 'resolved:venue:backup']);
  } finally {
    await t.close();
  }
});

test('a sink that hangs does not hold up webhooks', async () => {
  const t = await setup({ answer: () => 'hang' });
  try {
    assert.equal((await t.api('/api/halt', {})).status, 200);
    await t.sink.waitFor(1);
    for (let i = 0; i < 5; i++) assert.equal((await t.webhook({ ...PAYLOAD, strength: i / 10 })).status, 202);
    t.svc.monitoring.telemetry.setVenueHealth({ venue: 'backup', up: false });
    t.clock.advance(1_000);
    await t.svc.monitoring.evaluate();
    await settle();
    assert.equal(t.sink.received.length, 1, 'the second alert waits behind the hung post');
    assert.equal((await t.webhook({ ...PAYLOAD, strength: 0.9 })).status, 202);
  } finally {
    await t.close();
  }
});
