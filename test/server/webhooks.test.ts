import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signedRaw, signedWebhook, TEST_SECRET } from '../helpers/service-process.ts';
import { GITHUB_SECRET, source, testServer, TV_PASSPHRASE } from '../helpers/server.ts';

const PAYLOAD = { symbol: 'TRXUSDT.P', action: 'open', type: 'breakout', strength: 0.8, price: 0.2412, position: { side: 'long', size: 50000, leverage: 10 } };

function post(app: ReturnType<typeof testServer>['app'], url: string, headers: Record<string, string>, payload: string | Buffer, remoteAddress?: string) {
  return app.inject({ method: 'POST', url, headers, payload, ...(remoteAddress ? { remoteAddress } : {}) });
}

test('202 with {id, seq} once journaled, and the signal is in the journal', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  const res = await post(s.app, '/webhooks/default', hook.headers, hook.body);
  assert.equal(res.statusCode, 202);
  const body = res.json() as { id: string; seq: number };
  assert.match(body.id, /^sig_[a-z2-7]{20}$/);
  assert.equal(body.seq, 1);
  const stored = await s.journal.getSignal(body.id);
  assert.equal(stored?.payload.symbol, 'TRX/USDT:USDT');
  assert.equal(stored?.state, 'received');
});

test('200 {id, duplicate: true} for a repeat, and concurrent duplicates make one signal', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  const answers = await Promise.all(Array.from({ length: 5 }, () => post(s.app, '/webhooks/default', hook.headers, hook.body)));
  const codes = answers.map((r) => r.statusCode).sort();
  assert.deepEqual(codes, [200, 200, 200, 200, 202]);
  const ids = new Set(answers.map((r) => (r.json() as { id: string }).id));
  assert.equal(ids.size, 1);
  for (const r of answers.filter((a) => a.statusCode === 200)) assert.equal((r.json() as { duplicate: boolean }).duplicate, true);
  assert.equal((await s.journal.listSignals()).length, 1);
});

test('400 for malformed JSON and for an invalid payload, each with a one-line reason', async () => {
  const s = testServer();
  const bad = signedRaw('{"symbol": "TRXUSDT",');
  const malformed = await post(s.app, '/webhooks/default', bad.headers, bad.body);
  assert.equal(malformed.statusCode, 400);
  assert.equal((malformed.json() as { error: string }).error, 'HH_ERR_MALFORMED_JSON');

  const invalid = signedWebhook({ action: 'open', strength: 3 });
  const res = await post(s.app, '/webhooks/default', invalid.headers, invalid.body);
  assert.equal(res.statusCode, 400);
  const err = res.json() as { error: string; message: string };
  assert.equal(err.error, 'HH_ERR_INVALID_PAYLOAD');
  assert.match(err.message, /symbol/);
  assert.match(err.message, /strength/);
  assert.doesNotMatch(err.message, /\n|at \w+ \(/, 'one line, no stack trace');
});

test('401 for a wrong, missing or stale signature; a re-serialised body fails', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  const wrong = await post(s.app, '/webhooks/default', { ...hook.headers, 'webhook-signature': 'v1,' + Buffer.alloc(32).toString('base64') }, hook.body);
  assert.equal(wrong.statusCode, 401);
  assert.equal((wrong.json() as { error: string }).error, 'HH_ERR_SIGNATURE_INVALID');

  const { 'webhook-signature': _sig, ...unsigned } = hook.headers;
  const missing = await post(s.app, '/webhooks/default', unsigned, hook.body);
  assert.equal(missing.statusCode, 401);
  assert.equal((missing.json() as { error: string }).error, 'HH_ERR_SIGNATURE_MISSING');

  const old = signedWebhook(PAYLOAD, { nowSeconds: Math.floor(s.clock.now() / 1000) - 301 });
  const stale = await post(s.app, '/webhooks/default', old.headers, old.body);
  assert.equal(stale.statusCode, 401);
  assert.equal((stale.json() as { error: string }).error, 'HH_ERR_TIMESTAMP_STALE');

  const reserialised = JSON.stringify(JSON.parse(hook.body), null, 2);
  const res = await post(s.app, '/webhooks/default', hook.headers, reserialised);
  assert.equal(res.statusCode, 401);
  assert.equal((await s.journal.listSignals()).length, 0);
});

test('github scheme: the published vector is accepted by the route and a bad one is 401', async () => {
  const s = testServer();
  const body = JSON.stringify(PAYLOAD);
  const ok = await post(s.app, '/webhooks/gh', { 'content-type': 'application/json', 'x-hub-signature-256': signGithub(GITHUB_SECRET, body), 'x-github-delivery': 'd-1' }, body);
  assert.equal(ok.statusCode, 202);
  const bad = await post(s.app, '/webhooks/gh', { 'content-type': 'application/json', 'x-hub-signature-256': signGithub('other', body) }, body);
  assert.equal(bad.statusCode, 401);
});

test('tradingview: passphrase checked, removed before storage, never in rejections or logs', async () => {
  const s = testServer();
  const good = JSON.stringify({ ...PAYLOAD, passphrase: TV_PASSPHRASE, time: '2026-11-24T01:30:00Z' });
  const ok = await post(s.app, '/webhooks/tv', { 'content-type': 'text/plain; charset=utf-8' }, good);
  assert.equal(ok.statusCode, 202);
  const again = await post(s.app, '/webhooks/tv', { 'content-type': 'text/plain; charset=utf-8' }, good);
  assert.equal(again.statusCode, 200, 'TradingView resends an identical alert after a 5xx: it is one signal');

  const wrong = await post(s.app, '/webhooks/tv', { 'content-type': 'application/json' }, JSON.stringify({ ...PAYLOAD, passphrase: `${TV_PASSPHRASE}x` }));
  assert.equal(wrong.statusCode, 401);
  assert.equal((wrong.json() as { error: string }).error, 'HH_ERR_PASSPHRASE_INVALID');

  const everything = JSON.stringify([await s.journal.listSignals(), await s.journal.listRejections(), s.logs]);
  assert.doesNotMatch(everything, /correct horse battery staple/);
  assert.match(everything, /HH_ERR_PASSPHRASE_INVALID/);
});

test('403 outside the allowlist; a spoofed X-Forwarded-For is ignored unless trustProxy is on', async () => {
  const tvOnly = source('tvsafe', 'tradingview', [TV_PASSPHRASE], { allowlist: ['52.89.214.238', '34.212.75.30', '54.218.53.128', '52.32.178.7'] });
  const body = JSON.stringify({ ...PAYLOAD, passphrase: TV_PASSPHRASE });
  const s = testServer({ extraSources: [tvOnly] });
  const spoofed = await post(s.app, '/webhooks/tvsafe', { 'content-type': 'application/json', 'x-forwarded-for': '52.89.214.238' }, body, '203.0.113.9');
  assert.equal(spoofed.statusCode, 403);
  assert.equal((spoofed.json() as { error: string }).error, 'HH_ERR_ADDRESS_NOT_ALLOWED');
  const direct = await post(s.app, '/webhooks/tvsafe', { 'content-type': 'application/json' }, body, '52.89.214.238');
  assert.equal(direct.statusCode, 202);

  const proxied = testServer({ extraSources: [tvOnly], trustProxy: true });
  const viaProxy = await post(proxied.app, '/webhooks/tvsafe', { 'content-type': 'application/json', 'x-forwarded-for': '34.212.75.30' }, body, '127.0.0.1');
  assert.equal(viaProxy.statusCode, 202);
});

test('404 unknown source, 413 too large, 415 wrong or missing content type', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  const unknown = await post(s.app, '/webhooks/nope', hook.headers, hook.body);
  assert.equal(unknown.statusCode, 404);
  assert.equal((unknown.json() as { error: string }).error, 'HH_ERR_UNKNOWN_SOURCE');

  const big = signedWebhook({ ...PAYLOAD, type: 'x'.repeat(70 * 1024) });
  const tooLarge = await post(s.app, '/webhooks/default', big.headers, big.body);
  assert.equal(tooLarge.statusCode, 413);

  const form = await post(s.app, '/webhooks/default', { ...hook.headers, 'content-type': 'application/x-www-form-urlencoded' }, 'a=1');
  assert.equal(form.statusCode, 415);
  const { 'content-type': _ct, ...noType } = hook.headers;
  const none = await post(s.app, '/webhooks/default', noType, hook.body);
  assert.equal(none.statusCode, 415);

  await new Promise((resolve) => setImmediate(resolve)); // rejections are group-committed after the answer
  const rejections = await s.journal.listRejections();
  assert.deepEqual(rejections.map((r) => r.status).sort(), [404, 413, 415, 415]);
  for (const r of rejections) assert.ok(r.reason.length > 0 && !r.reason.includes('\n'));
});

test('429 once a source is over its rate limit; other sources are unaffected', async () => {
  const limited = source('slow', 'standard', [TEST_SECRET], { rateLimit: { burst: 2, perSecond: 1 } });
  const s = testServer({ extraSources: [limited] });
  const codes: number[] = [];
  for (let i = 0; i < 4; i++) {
    const hook = signedWebhook(PAYLOAD);
    codes.push((await post(s.app, '/webhooks/slow', hook.headers, hook.body)).statusCode);
  }
  assert.deepEqual(codes, [202, 202, 429, 429]);
  s.clock.advance(1000);
  const later = signedWebhook(PAYLOAD);
  assert.equal((await post(s.app, '/webhooks/slow', later.headers, later.body)).statusCode, 202);
  const other = signedWebhook(PAYLOAD);
  assert.equal((await post(s.app, '/webhooks/default', other.headers, other.body)).statusCode, 202);
});

test('503 when the journal cannot be written, and while draining; never a 2xx for what was not persisted', async () => {
  const s = testServer();
  await s.journal.close();
  const hook = signedWebhook(PAYLOAD);
  const res = await post(s.app, '/webhooks/default', hook.headers, hook.body);
  assert.equal(res.statusCode, 503);
  assert.equal((res.json() as { error: string }).error, 'HH_ERR_JOURNAL_UNAVAILABLE');
  assert.equal((await s.app.inject({ url: '/readyz' })).statusCode, 503);

  const d = testServer();
  assert.equal((await d.app.inject({ url: '/readyz' })).statusCode, 200);
  d.startDraining();
  const drained = await post(d.app, '/webhooks/default', hook.headers, hook.body);
  assert.equal(drained.statusCode, 503);
  assert.equal((await d.app.inject({ url: '/readyz' })).statusCode, 503);
  assert.equal((await d.journal.listSignals()).length, 0);
});

test('metrics count what happened, by source and outcome', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  await post(s.app, '/webhooks/default', hook.headers, hook.body);
  await post(s.app, '/webhooks/default', hook.headers, hook.body);
  await post(s.app, '/webhooks/default', { ...hook.headers, 'webhook-signature': 'v1,AAAA' }, hook.body);
  await post(s.app, '/webhooks/scanner-junk', hook.headers, hook.body);
  const text = (await s.app.inject({ url: '/metrics' })).body;
  assert.match(text, /hedgehook_webhooks_total\{source="default",outcome="accepted"\} 1/);
  assert.match(text, /hedgehook_webhooks_total\{source="default",outcome="duplicate"\} 1/);
  assert.match(text, /hedgehook_webhooks_total\{source="default",outcome="rejected"\} 1/);
  assert.match(text, /hedgehook_webhooks_total\{source="unknown",outcome="rejected"\} 1/);
  assert.match(text, /hedgehook_webhook_rejections_total\{source="default",reason="HH_ERR_SIGNATURE_INVALID"\} 1/);
  assert.match(text, /hedgehook_webhook_ack_seconds_count\{source="default",outcome="accepted"\} 1/);
  assert.match(text, /hedgehook_queue_depth 1/);
  assert.doesNotMatch(text, /scanner-junk/);
});

test('no secret or signature reaches the logs or the journal', async () => {
  const s = testServer();
  const hook = signedWebhook(PAYLOAD);
  await post(s.app, '/webhooks/default', hook.headers, hook.body);
  await post(s.app, '/webhooks/default', { ...hook.headers, 'webhook-id': 'other' }, hook.body);
  const signature = hook.headers['webhook-signature'].slice(3);
  const everything = JSON.stringify([await s.journal.listSignals(), await s.journal.listRejections(), s.logs]);
  assert.ok(s.logs.length > 0, 'the rejection was logged');
  assert.ok(!everything.includes(signature), 'signature leaked');
  assert.ok(!everything.includes(TEST_SECRET.slice(6)), 'secret leaked');
});
