/** The live stream: a webhook, its decision and operator actions reach a subscriber at once; slow clients never hold anyone up. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveHub } from '../../src/server/live.ts';
import { startMonitoredService } from '../helpers/monitored-service.ts';
import { signedWebhook } from '../helpers/service-process.ts';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

interface SseEvent {
  type: string;
  id: string;
  data: Record<string, unknown>;
}

/** Reads an event stream over fetch, as the dashboard does. */
async function openStream(url: string, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: ac.signal });
  const events: SseEvent[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  if (!res.ok) await res.body?.cancel();
  if (res.ok && res.body) {
    void (async () => {
      let buffer = '';
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          buffer += chunk;
          let cut;
          while ((cut = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!type || !data) continue;
            const e = { type, id: /^id: (.*)$/m.exec(block)?.[1] ?? '', data: JSON.parse(data) as Record<string, unknown> };
            events.push(e);
            for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    next(match: (e: SseEvent) => boolean, timeoutMs = 5_000): Promise<SseEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event; got ${events.map((e) => e.type).join(', ')}`)), timeoutMs);
        waiters.push({ match, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    close: () => ac.abort(),
  };
}

test('a new webhook, then its decision, reach the event stream without polling', async () => {
  const svc = await startMonitoredService();
  const stream = await openStream(`${svc.url}/api/events`);
  try {
    assert.equal(stream.status, 200);
    assert.match(stream.contentType ?? '', /text\/event-stream/);
    const hook = signedWebhook(PAYLOAD);
    const res = await fetch(`${svc.url}/webhooks/default`, { method: 'POST', headers: hook.headers, body: hook.body });
    const { id } = (await res.json()) as { id: string };
    const arrived = await stream.next((e) => e.type === 'webhook' && e.data.id === id);
    assert.equal(arrived.data.outcome, 'accepted');
    assert.equal(arrived.data.source, 'default');
    assert.equal(typeof arrived.data.latencyMs, 'number');
    const decided = await stream.next((e) => e.type === 'signal' && e.data.id === id);
    assert.equal(decided.data.state, 'skipped');
    const decision = decided.data.decision as { ratio: number; contributions: Record<string, number> };
    assert.ok(decision.ratio > 0 && decision.ratio <= 1);
    assert.ok('positionSize' in decision.contributions);
    assert.deepEqual(decided.data.orders, []);

    const rejected = await fetch(`${svc.url}/webhooks/default`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(rejected.status, 401);
    const r = await stream.next((e) => e.type === 'webhook' && e.data.outcome === 'rejected');
    assert.equal(r.data.reason, 'HH_ERR_SIGNATURE_MISSING');

    await fetch(`${svc.url}/api/halt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"reason":"test"}' });
    assert.equal((await stream.next((e) => e.type === 'control')).data.action, 'halt');
    await svc.monitoring.evaluate();
    const alert = await stream.next((e) => e.type === 'alert');
    assert.deepEqual([alert.data.key, alert.data.status], ['kill-switch', 'firing']);
  } finally {
    stream.close();
    await svc.stop();
  }
});

test('the stream takes the API token; a reconnect with Last-Event-ID gets what it missed', async () => {
  const token = 'live-test-token-0123456789abcdef';
  const svc = await startMonitoredService({ apiToken: token });
  try {
    assert.equal((await openStream(`${svc.url}/api/events`)).status, 401);
    svc.metrics.publish('control', { action: 'halt' });
    svc.metrics.publish('control', { action: 'resume' });
    const first = await openStream(`${svc.url}/api/events`, { authorization: `Bearer ${token}` });
    svc.metrics.publish('control', { action: 'dlq-replay' });
    const seen = await first.next((e) => e.data.action === 'dlq-replay');
    first.close();
    const resumed = await openStream(`${svc.url}/api/events`, { authorization: `Bearer ${token}`, 'last-event-id': String(Number(seen.id) - 2) });
    await resumed.next((e) => e.data.action === 'dlq-replay');
    assert.deepEqual(resumed.events.map((e) => e.data.action), ['resume', 'dlq-replay']);
    resumed.close();
  } finally {
    await svc.stop();
  }
});

test('a client that stops reading misses batches (and is told), the others and the publisher carry on', async () => {
  const hub = new LiveHub({ maxBufferedBytes: 16 * 1024 });
  const server = createServer((_req, res) => hub.attach(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const open = () => new Promise<IncomingMessage>((resolve) => get({ host: '127.0.0.1', port, path: '/' }, resolve));
  const slow = await open();
  slow.pause();
  const fast = await open();
  let fastText = '';
  fast.on('data', (c: Buffer) => (fastText += c.toString()));
  const heard: number[] = [];
  hub.subscribe((batch) => heard.push(batch.length));
  try {
    const padding = 'x'.repeat(2_000);
    // Enough to fill the slow client's socket buffers many times over, a batch per turn.
    for (let round = 0; round < 400 && hub.dropped === 0; round++) {
      for (let i = 0; i < 50; i++) hub.publish({ type: 'webhook', at: round, padding });
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.ok(hub.dropped > 0, 'the stalled stream skipped batches');
    const published = heard.reduce((a, b) => a + b, 0);
    assert.equal(published % 50, 0, 'in-process listeners got every batch');
    hub.publish({ type: 'marker', at: 0 });
    await new Promise((r) => setTimeout(r, 50));
    assert.match(fastText, /event: marker/, 'the reading client is unaffected');
    assert.doesNotMatch(fastText, /event: gap/);
    let slowText = '';
    slow.on('data', (c: Buffer) => (slowText += c.toString()));
    slow.resume();
    await new Promise((r) => setTimeout(r, 100));
    hub.publish({ type: 'after', at: 0 });
    for (let i = 0; i < 100 && !/event: after/.test(slowText); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(slowText, /event: gap\ndata: \{"missedBatches":\d+\}/, 'told to refetch');
    assert.match(slowText, /event: after/);
  } finally {
    hub.closeAll();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
