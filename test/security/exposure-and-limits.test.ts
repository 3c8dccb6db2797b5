/**
 * Exposure and limits: the API listens on loopback by default and needs a bearer token
 * on any other address; bodies, rates and time are bounded, and a caller without the
 * secret cannot spend a source's rate budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/cli/config.ts';
import { resolveApiToken } from '../../src/cli/secrets.ts';
import { signedWebhook, startServiceProcess } from '../helpers/service-process.ts';
import { source, testServer } from '../helpers/server.ts';
import { TEST_SECRET } from '../helpers/service-process.ts';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open' };

test('loopback by default: `serve` with no host listens on 127.0.0.1 and the API needs no token there', { timeout: 60_000 }, async () => {
  assert.equal(parseConfig({}).server.host, '127.0.0.1');
  const service = await startServiceProcess({ dataDir: mkdtempSync(join(tmpdir(), 'hedgehook-loopback-')) });
  try {
    assert.match(service.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${service.url}/api/signals`)).status, 200);
  } finally {
    service.child.kill('SIGTERM');
    await service.exited;
  }
});

test('beyond loopback a token is always required: from the environment, the config, or generated 0600', () => {
  const config = parseConfig({});
  const announced: string[] = [];
  for (const host of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
    assert.equal(resolveApiToken(config, host, mkdtempSync(join(tmpdir(), 'hh-tok-')), {}, (l) => announced.push(l)), undefined, host);
  }
  for (const host of ['0.0.0.0', '::', '192.168.1.5', 'hedgehook.example.com']) {
    const dir = mkdtempSync(join(tmpdir(), 'hh-tok-'));
    const token = resolveApiToken(config, host, dir, {}, (l) => announced.push(l));
    assert.ok(token && token.length >= 32, host);
    assert.equal(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
  }
  assert.equal(resolveApiToken(config, '0.0.0.0', mkdtempSync(join(tmpdir(), 'hh-tok-')), { HEDGEHOOK_API_TOKEN: 'from-the-environment-0123' }, () => {}), 'from-the-environment-0123');
});

test('with a token, every API route and /metrics answer 401 without it; health and webhooks stay open', async () => {
  const token = 'token-for-the-exposure-test-0123456789';
  const s = testServer({ apiToken: token });
  await s.app.ready();
  // Every route the server has, from its printed tree ("├── api/signals (GET)", nested "└── /:id (GET)").
  const listed: { method: string; url: string }[] = [];
  const stack: string[] = [];
  for (const line of s.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^(.*?)(?:├── |└── )(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack[depth] = m[2]!;
    stack.length = depth + 1;
    const url = stack.join('').replace(/:\w+/g, 'sig_x');
    if (url.startsWith('/api/') || url === '/metrics') for (const method of m[3]!.split(', ')) listed.push({ method, url });
  }
  const routes = [
    ...listed,
    { method: 'GET', url: '/api/signals' }, { method: 'GET', url: '/api/dlq' }, { method: 'GET', url: '/api/positions' },
    { method: 'POST', url: '/api/dlq/replay' }, { method: 'POST', url: '/api/halt' }, { method: 'POST', url: '/api/resume' }, { method: 'GET', url: '/metrics' },
  ];
  assert.ok(listed.length >= 8, `routes found: ${JSON.stringify(listed)}`);
  for (const r of routes) {
    const res = await s.app.inject({ method: r.method as 'GET' | 'POST', url: r.url, payload: r.method === 'POST' ? {} : undefined });
    assert.equal(res.statusCode, 401, `${r.method} ${r.url} without a token`);
  }
  assert.equal((await s.controls.killSwitch()).halted, false, 'POST /api/halt without a token changed nothing');
  assert.equal((await s.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
  const hook = signedWebhook(PAYLOAD);
  assert.equal((await s.app.inject({ method: 'POST', url: '/webhooks/default', headers: hook.headers, payload: hook.body })).statusCode, 202);
});

test('body limit: over the source maxBodyBytes is 413 and recorded', async () => {
  const s = testServer({ extraSources: [source('small', 'standard', [TEST_SECRET], { maxBodyBytes: 1024 })] });
  const big = signedWebhook({ ...PAYLOAD, type: 'x'.repeat(1100) });
  const res = await s.app.inject({ method: 'POST', url: '/webhooks/small', headers: big.headers, payload: big.body });
  assert.equal(res.statusCode, 413);
  await new Promise((r) => setImmediate(r));
  assert.equal((await s.journal.listRejections(1))[0]?.code, 'HH_ERR_BODY_TOO_LARGE');
  const huge = await s.app.inject({ method: 'POST', url: '/webhooks/default', headers: { 'content-type': 'application/json' }, payload: Buffer.alloc(5 * 1024 * 1024, 0x20) });
  assert.equal(huge.statusCode, 413);
});

test('rate limit: 429 with retry-after over the budget; unauthenticated floods cannot spend it', async () => {
  const s = testServer({ extraSources: [source('slow', 'standard', [TEST_SECRET], { rateLimit: { burst: 3, perSecond: 1 } })] });
  const send = (headers: Record<string, string>, body: string) => s.app.inject({ method: 'POST', url: '/webhooks/slow', headers, payload: body });
  for (let i = 0; i < 100; i++) {
    const res = await send({ 'content-type': 'application/json', 'webhook-id': `x${i}`, 'webhook-timestamp': String(Math.floor(s.clock.now() / 1000)), 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') }, '{}');
    assert.equal(res.statusCode, 401);
  }
  const codes: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 4; i++) {
    const hook = signedWebhook(PAYLOAD, { nowSeconds: Math.floor(s.clock.now() / 1000) });
    const res = await send(hook.headers, hook.body);
    codes.push(res.statusCode);
    if (res.statusCode === 429) retryAfter = res.headers['retry-after'] as string;
  }
  assert.deepEqual(codes, [202, 202, 202, 429]);
  assert.equal(retryAfter, '1');
  s.clock.advance(1_000);
  const later = signedWebhook(PAYLOAD, { nowSeconds: Math.floor(s.clock.now() / 1000) });
  assert.equal((await send(later.headers, later.body)).statusCode, 202, 'the budget refills with time');
});

/** Opens a raw connection, sends `first`, then one byte every `everyMs`; resolves when the server closes it. */
function trickle(port: number, first: string, everyMs: number): Promise<{ closedAfterMs: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(first);
      if (everyMs > 0) timer = setInterval(() => socket.write('x'), everyMs);
    });
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, answer });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error('the server kept a trickling connection open for 20 s'));
    }, 20_000).unref();
  });
}

test('time limits: an idle half-sent request and a client trickling its headers are both cut off', { timeout: 60_000 }, async () => {
  const s = testServer({ requestTimeoutMs: 800, headersTimeoutMs: 400, keepAliveTimeoutMs: 400 });
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const port = (s.app.server.address() as { port: number }).port;
    const idle = await trickle(port, 'POST /webhooks/default HTTP/1.1\r\nHost: x\r\n', 0);
    assert.ok(idle.closedAfterMs < 20_000);
    // Slowloris: a header byte every 100 ms never lets the connection go idle.
    const slow = await trickle(port, 'POST /webhooks/default HTTP/1.1\r\nHost: x\r\nX-Slow: ', 100);
    assert.ok(slow.closedAfterMs < 20_000);
    assert.match(slow.answer, /^HTTP\/1\.1 408|^$/, `answered: ${slow.answer.slice(0, 80)}`);
  } finally {
    await s.app.close();
  }
});
