import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { signedWebhook } from '../helpers/service-process.ts';
import { testServer } from '../helpers/server.ts';

const PAYLOAD = { symbol: 'TRXUSDT', action: 'open', type: 'breakout', account: 'main' };

async function accept(s: ReturnType<typeof testServer>, payload: object = PAYLOAD): Promise<string> {
  const hook = signedWebhook(payload);
  const res = await s.app.inject({ method: 'POST', url: '/webhooks/default', headers: hook.headers, payload: hook.body });
  assert.equal(res.statusCode, 202);
  return (res.json() as { id: string }).id;
}

test('GET /api/signals/:id has the contract shape; unknown ids are 404', async () => {
  const s = testServer();
  const id = await accept(s);
  const res = await s.app.inject({ url: `/api/signals/${id}` });
  assert.equal(res.statusCode, 200);
  const view = res.json() as Record<string, unknown>;
  assert.equal(view.id, id);
  assert.equal(view.state, 'received');
  assert.equal(view.symbol, 'TRX/USDT:USDT');
  assert.equal(typeof view.receivedAt, 'string');
  assert.ok(!Number.isNaN(Date.parse(view.receivedAt as string)));
  assert.equal(view.decision, null);
  assert.deepEqual(view.orders, []);
  assert.equal((await s.app.inject({ url: '/api/signals/sig_nope' })).statusCode, 404);

  const list = (await s.app.inject({ url: '/api/signals?limit=10' })).json() as { signals: { id: string }[] };
  assert.deepEqual(list.signals.map((x) => x.id), [id]);
  assert.equal((await s.app.inject({ url: '/api/signals?limit=0' })).statusCode, 400);
});

test('the API requires the bearer token when one is configured; webhooks and health do not', async () => {
  const token = 'a-long-random-api-token-0123456789';
  const s = testServer({ apiToken: token });
  assert.equal((await s.app.inject({ url: '/api/signals' })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/api/signals', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/metrics' })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/api/signals', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
  assert.equal((await s.app.inject({ url: '/healthz' })).statusCode, 200);
  await accept(s);
});

test('GET /api/dlq lists dead letters and POST /api/dlq/replay puts them back in order, once', async () => {
  const s = testServer();
  const ids = [await accept(s, { ...PAYLOAD, strength: 0.1 }), await accept(s, { ...PAYLOAD, account: 'b' })];
  const now = s.clock.now();
  for (;;) {
    const batch = await s.journal.claim(10, now);
    if (batch.length === 0) break;
    for (const d of batch) await s.journal.deadLetter(d, 'test', { code: 'HH_ERR_PROCESSING_FAILED', message: 'boom', retryable: true }, now);
  }
  const dlq = (await s.app.inject({ url: '/api/dlq' })).json() as { entries: { signalId: string; reason: string }[] };
  assert.deepEqual(dlq.entries.map((e) => e.signalId), ids);

  const bad = await s.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: { some: 'thing' } });
  assert.equal(bad.statusCode, 400);
  const first = await s.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: { all: true } });
  assert.deepEqual((first.json() as { replayed: string[] }).replayed, ids);
  const second = await s.app.inject({ method: 'POST', url: '/api/dlq/replay', payload: { all: true } });
  assert.deepEqual((second.json() as { replayed: string[] }).replayed, []);
  assert.equal((await s.journal.getSignal(ids[0]!))?.state, 'received');
});

test('a client that trickles its headers is cut off', { timeout: 10_000 }, async () => {
  const s = testServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 });
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = s.app.server.address() as { port: number };
    const closed = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('POST /webhooks/default HTTP/1.1\r\nHost: x\r\n'));
      let answer = '';
      socket.on('data', (c) => (answer += c.toString()));
      socket.on('close', () => resolve(answer));
    });
    // Without the timeouts this connection would stay open and the test would time out.
    // Whichever timer fires first, the client gets no 2xx: a 408 or a plain close.
    assert.match(closed, /^(HTTP\/1\.1 408[^]*)?$/);
  } finally {
    await s.app.close();
  }
});
