import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { HedgehookError } from '../../src/core/errors.ts';
import { isAcceptedContentType, prepareSource, receive, redactBody } from '../../src/ingest/receive.ts';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { SIGNAL_ID_PATTERN, signalId } from '../../src/ingest/signal-id.ts';
import { TRADINGVIEW_ADDRESSES } from '../../src/ingest/source.ts';
import {
  GH_SECRET,
  NOW_S,
  PAYLOAD,
  TV_PASSPHRASE,
  deps,
  githubRequest,
  settings,
  standardRequest,
  throwsCode,
  tradingViewRequest,
} from './fixtures.ts';

const BODY = JSON.stringify(PAYLOAD);
const ghSettings = settings({ name: 'gh', scheme: 'github', secrets: [GH_SECRET] });
const tvSettings = settings({ name: 'tv', scheme: 'tradingview', secrets: [TV_PASSPHRASE], allowlist: TRADINGVIEW_ADDRESSES });

describe('receive: standard', () => {
  it('returns a complete IncomingSignal', () => {
    const d = deps();
    const req = standardRequest(BODY, { headers: { 'user-agent': 'bot/1', 'x-forwarded-for': '10.0.0.1' } });
    const s = receive(req, settings(), d);
    assert.deepEqual(s, {
      id: signalId('default', 'msg_1'),
      source: 'default',
      dedupKey: 'msg_1',
      receivedAt: NOW_S * 1000,
      remoteAddr: '127.0.0.1',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(NOW_S),
        'user-agent': 'bot/1',
        'x-forwarded-for': '10.0.0.1',
      },
      body: BODY,
      payload: { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', strength: 0.8 },
      partitionKey: 'main|TRX/USDT:USDT',
    });
    assert.match(s.id, SIGNAL_ID_PATTERN);
  });

  it('keeps only the audit headers: never signatures, authorization or cookies', () => {
    const req = standardRequest(BODY, {
      headers: { authorization: 'Bearer t0ken', cookie: 'session=abc', 'x-hub-signature-256': 'sha256=00', 'x-real-ip': '1.2.3.4', 'x-github-event': 'push', 'x-other': 'y' },
    });
    const s = receive(req, settings(), deps());
    assert.deepEqual(Object.keys(s.headers).sort(), ['content-type', 'webhook-id', 'webhook-timestamp', 'x-github-event', 'x-real-ip']);
    const text = JSON.stringify(s);
    for (const secretish of ['t0ken', 'session=abc', req.headers['webhook-signature'] as string]) assert.ok(!text.includes(secretish));
  });

  it('reads headers in any case and repeated headers', () => {
    const req = standardRequest(BODY);
    const sig = req.headers['webhook-signature'] as string;
    const headers = { 'Content-Type': 'application/json', 'Webhook-Id': 'msg_1', 'WEBHOOK-TIMESTAMP': String(NOW_S), 'webhook-signature': ['v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', sig] };
    const s = receive({ ...req, headers }, settings(), deps());
    assert.equal(s.dedupKey, 'msg_1');
    assert.deepEqual(s.headers, { 'content-type': 'application/json', 'webhook-id': 'msg_1', 'webhook-timestamp': String(NOW_S) });
  });

  it('keeps the raw body text, so the stored body still verifies', () => {
    const body = '{ "symbol" : "TRXUSDT",\n  "action": "close" }';
    assert.equal(receive(standardRequest(body), settings(), deps()).body, body);
  });

  it('gives the same id to the same delivery and different ids to different ones', () => {
    const a = receive(standardRequest(BODY, { id: 'msg_a' }), settings(), deps());
    const again = receive(standardRequest(BODY, { id: 'msg_a', ts: NOW_S + 5 }), settings(), deps());
    const b = receive(standardRequest(BODY, { id: 'msg_b' }), settings(), deps());
    assert.equal(a.id, again.id);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.id, signalId('other-source', 'msg_a'));
  });

  it('answers a stale or badly signed request with a 401 code', () => {
    throwsCode(() => receive(standardRequest(BODY, { ts: NOW_S - 301 }), settings(), deps()), 'HH_ERR_TIMESTAMP_STALE');
    throwsCode(() => receive(standardRequest(BODY, { secret: 'whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24tdGVzdHM=' }), settings(), deps()), 'HH_ERR_SIGNATURE_INVALID');
    const { 'webhook-signature': _, ...unsigned } = standardRequest(BODY).headers;
    throwsCode(() => receive({ ...standardRequest(BODY), headers: unsigned }, settings(), deps()), 'HH_ERR_SIGNATURE_MISSING');
  });

  it('validates only after authentication', () => {
    throwsCode(() => receive(standardRequest('{"symbol":"TRXUSDT"}'), settings(), deps()), 'HH_ERR_INVALID_PAYLOAD', /^action: required$/);
    throwsCode(() => receive(standardRequest('not json'), settings(), deps()), 'HH_ERR_MALFORMED_JSON');
    throwsCode(() => receive(standardRequest(Buffer.from([0x7b, 0xff, 0x7d])), settings(), deps()), 'HH_ERR_MALFORMED_JSON', /UTF-8/);
  });
});

describe('receive: the order of checks', () => {
  const wrongSig = (req: ReturnType<typeof standardRequest>) => ({ ...req, headers: { ...req.headers, 'webhook-signature': 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' } });

  it('address before content type', () => {
    const s = settings({ allowlist: ['10.0.0.1'] });
    throwsCode(() => receive({ ...wrongSig(standardRequest('x')), contentType: 'text/html' }, s, deps()), 'HH_ERR_ADDRESS_NOT_ALLOWED');
  });

  it('content type before size and signature (wrong type + bad signature → 415)', () => {
    const req = wrongSig(standardRequest('x'.repeat(100)));
    throwsCode(() => receive({ ...req, contentType: 'application/x-www-form-urlencoded' }, settings({ maxBodyBytes: 10 }), deps()), 'HH_ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('size before signature (too large + bad signature → 413)', () => {
    throwsCode(() => receive(wrongSig(standardRequest('x'.repeat(100))), settings({ maxBodyBytes: 99 }), deps()), 'HH_ERR_BODY_TOO_LARGE', /100 bytes, the limit is 99/);
    assert.doesNotThrow(() => receive(standardRequest(BODY), settings({ maxBodyBytes: Buffer.byteLength(BODY) }), deps()));
  });

  it('signature before rate limit, rate limit before validation', () => {
    const d = deps();
    const s = settings({ rateLimit: { burst: 1, perSecond: 1 } });
    assert.doesNotThrow(() => receive(standardRequest(BODY), s, d));
    // The bucket is empty now: a bad signature still says 401, a bad payload says 429.
    throwsCode(() => receive(wrongSig(standardRequest(BODY)), s, d), 'HH_ERR_SIGNATURE_INVALID');
    throwsCode(() => receive(standardRequest('{"bad":'), s, d), 'HH_ERR_RATE_LIMITED');
    d.clock.advance(1000);
    throwsCode(() => receive(standardRequest('{"bad":'), s, d), 'HH_ERR_MALFORMED_JSON');
  });

  it('unauthenticated floods do not use up the budget of the real sender', () => {
    const d = deps();
    const s = settings({ rateLimit: { burst: 2, perSecond: 1 } });
    for (let i = 0; i < 50; i++) throwsCode(() => receive(wrongSig(standardRequest(BODY)), s, d), 'HH_ERR_SIGNATURE_INVALID');
    assert.doesNotThrow(() => receive(standardRequest(BODY, { id: 'a' }), s, d));
    assert.doesNotThrow(() => receive(standardRequest(BODY, { id: 'b' }), s, d));
    throwsCode(() => receive(standardRequest(BODY, { id: 'c' }), s, d), 'HH_ERR_RATE_LIMITED');
  });

  it('github and tradingview also take a token only after authentication', () => {
    const limit = { rateLimit: { burst: 1, perSecond: 1 } };
    const cases = [
      { s: settings({ ...ghSettings, ...limit }), bad: githubRequest(BODY, { secret: 'nope' }), good: githubRequest(BODY), code: 'HH_ERR_SIGNATURE_INVALID' as const },
      {
        s: settings({ ...tvSettings, ...limit, allowlist: [] }),
        bad: tradingViewRequest(JSON.stringify({ ...PAYLOAD, passphrase: 'nope' })),
        good: tradingViewRequest(JSON.stringify({ ...PAYLOAD, passphrase: TV_PASSPHRASE })),
        code: 'HH_ERR_PASSPHRASE_INVALID' as const,
      },
    ];
    for (const { s, bad, good, code } of cases) {
      const d = deps();
      for (let i = 0; i < 5; i++) throwsCode(() => receive(bad, s, d), code);
      assert.doesNotThrow(() => receive(good, s, d));
      throwsCode(() => receive(good, s, d), 'HH_ERR_RATE_LIMITED');
      throwsCode(() => receive(bad, s, d), code);
    }
  });
});

describe('receive: content type', () => {
  it('accepts JSON and plain text, with a UTF-8 charset or none', () => {
    for (const ct of ['application/json', 'Application/JSON', 'text/plain', 'application/json; charset=utf-8', 'text/plain;charset=UTF-8', 'application/json; charset="utf-8"', 'application/json; charset=utf8']) {
      assert.equal(isAcceptedContentType(ct), true, ct);
      assert.doesNotThrow(() => receive(standardRequest(BODY, { contentType: ct }), settings(), deps()), ct);
    }
  });

  it('refuses anything else with 415', () => {
    for (const ct of [undefined, '', 'application/xml', 'text/html', 'multipart/form-data', 'application/json; charset=latin1', 'application/jsonx', 'application/x-www-form-urlencoded']) {
      assert.equal(isAcceptedContentType(ct), false, String(ct));
      throwsCode(() => receive({ ...standardRequest(BODY), contentType: ct }, settings(), deps()), 'HH_ERR_UNSUPPORTED_MEDIA_TYPE');
    }
  });
});

describe('receive: allowlist', () => {
  it('allows only listed addresses, including IPv4-mapped IPv6 and CIDR ranges', () => {
    const s = settings({ allowlist: ['52.89.214.238', '10.1.0.0/16', '2001:db8::/32'] });
    for (const ok of ['52.89.214.238', '::ffff:52.89.214.238', '10.1.2.3', '2001:db8::1']) {
      assert.doesNotThrow(() => receive(standardRequest(BODY, { remoteAddr: ok }), s, deps()), ok);
    }
    for (const bad of ['52.89.214.239', '10.2.0.1', '2001:db9::1', '', 'not-an-ip']) {
      throwsCode(() => receive(standardRequest(BODY, { remoteAddr: bad }), s, deps()), 'HH_ERR_ADDRESS_NOT_ALLOWED');
    }
  });

  it('allows anyone when the allowlist is empty or missing', () => {
    assert.doesNotThrow(() => receive(standardRequest(BODY, { remoteAddr: '203.0.113.9' }), settings({ allowlist: [] }), deps()));
  });

  it('refuses an invalid allowlist entry at preparation', () => {
    throwsCode(() => prepareSource(settings({ allowlist: ['52.89.214'] })), 'HH_ERR_CONFIG_INVALID', /allowlist/);
    throwsCode(() => prepareSource(settings({ allowlist: ['10.0.0.0/33'] })), 'HH_ERR_CONFIG_INVALID', /allowlist/);
  });
});

describe('receive: github', () => {
  it('uses X-GitHub-Delivery as the dedup key when present', () => {
    const s = receive(githubRequest(BODY, { headers: { 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-github-event': 'push' } }), ghSettings, deps());
    assert.equal(s.dedupKey, '72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.equal(s.headers['x-github-delivery'], '72d3162e-cc78-11e3-81ab-4c9367dc0958');
    assert.ok(!('x-hub-signature-256' in s.headers));
  });

  it('falls back to the payload id, then to a hash of the body', () => {
    const withId = JSON.stringify({ ...PAYLOAD, id: 'strategy-42' });
    assert.equal(receive(githubRequest(withId), ghSettings, deps()).dedupKey, 'strategy-42');
    const expected = `sha256:${createHash('sha256').update(`gh\n${BODY}`).digest('hex')}`;
    assert.equal(receive(githubRequest(BODY), ghSettings, deps()).dedupKey, expected);
  });

  it('rejects a body signed with another secret', () => {
    throwsCode(() => receive(githubRequest(BODY, { secret: 'nope' }), ghSettings, deps()), 'HH_ERR_SIGNATURE_INVALID');
    const req = githubRequest(BODY);
    throwsCode(() => receive({ ...req, body: Buffer.from(`${BODY} `) }, ghSettings, deps()), 'HH_ERR_SIGNATURE_INVALID');
    assert.equal(signGithub(GH_SECRET, BODY), req.headers['x-hub-signature-256']);
  });
});

describe('receive: tradingview', () => {
  const alert = (extra: Record<string, unknown> = {}) => JSON.stringify({ passphrase: TV_PASSPHRASE, symbol: 'BINANCE:TRXUSDT.P', action: 'sell', position: { side: 'short', size: '-1200' }, ...extra });

  it('accepts the right passphrase from a TradingView address and removes it everywhere', () => {
    const s = receive(tradingViewRequest(alert()), tvSettings, deps());
    assert.deepEqual(s.payload, { account: 'main', symbol: 'TRX/USDT:USDT', action: 'update', position: { side: 'short', size: 1200 } });
    assert.equal(s.body, '{"symbol":"BINANCE:TRXUSDT.P","action":"sell","position":{"side":"short","size":"-1200"}}');
    assert.ok(!JSON.stringify(s).includes(TV_PASSPHRASE));
    assert.ok(!JSON.stringify(s).includes('passphrase'));
  });

  it('accepts every one of the four TradingView addresses', () => {
    for (const address of TRADINGVIEW_ADDRESSES) assert.doesNotThrow(() => receive(tradingViewRequest(alert(), address), tvSettings, deps()));
  });

  it('refuses other addresses with 403 before looking at the passphrase', () => {
    throwsCode(() => receive(tradingViewRequest(alert(), '198.51.100.7'), tvSettings, deps()), 'HH_ERR_ADDRESS_NOT_ALLOWED');
    throwsCode(() => receive(tradingViewRequest(alert({ passphrase: 'wrong' }), '198.51.100.7'), tvSettings, deps()), 'HH_ERR_ADDRESS_NOT_ALLOWED');
  });

  it('refuses a wrong or missing passphrase with 401', () => {
    throwsCode(() => receive(tradingViewRequest(alert({ passphrase: 'wrong' })), tvSettings, deps()), 'HH_ERR_PASSPHRASE_INVALID');
    throwsCode(() => receive(tradingViewRequest(alert({ passphrase: undefined })), tvSettings, deps()), 'HH_ERR_PASSPHRASE_INVALID');
    throwsCode(() => receive(tradingViewRequest('BUY TRXUSDT'), tvSettings, deps()), 'HH_ERR_PASSPHRASE_INVALID');
  });

  it('derives the dedup key from the payload id, else from the body without the passphrase', () => {
    assert.equal(receive(tradingViewRequest(alert({ id: 'tv-1' })), tvSettings, deps()).dedupKey, 'tv-1');
    const s = receive(tradingViewRequest(alert()), tvSettings, deps());
    assert.equal(s.dedupKey, `sha256:${createHash('sha256').update(`tv\n${s.body}`).digest('hex')}`);
    // Rotating the passphrase does not change the identity of a resent alert.
    const rotated = settings({ ...tvSettings, secrets: ['new passphrase', TV_PASSPHRASE] });
    const resent = receive(tradingViewRequest(alert({ passphrase: 'new passphrase' })), rotated, deps());
    assert.equal(resent.id, s.id);
  });

  it('reports payload mistakes after the passphrase with 400', () => {
    throwsCode(() => receive(tradingViewRequest(alert({ strength: '{{plot_0}}' })), tvSettings, deps()), 'HH_ERR_INVALID_PAYLOAD', /^strength: must be a finite number$/);
  });
});

describe('redactBody', () => {
  const tv = settings({ name: 'tv', scheme: 'tradingview', secrets: [TV_PASSPHRASE] });

  it('deletes passphrase keys from JSON, at any depth and in any case', () => {
    const body = Buffer.from(JSON.stringify({ passphrase: 'p1', symbol: 'X', nested: { Passphrase: 'p2' } }));
    const out = redactBody(tv, body);
    assert.equal(out, '{"symbol":"X","nested":{}}');
  });

  it('redacts passphrase-looking text when the body is not JSON', () => {
    for (const body of ['{"passphrase": "p1", "symbol": ', '{"passphrase": "p1', "passphrase=p1&symbol=X", "{'passphrase': 'p1'}", 'PASSPHRASE: p1']) {
      const out = redactBody(tv, Buffer.from(body));
      assert.ok(!out.includes('p1'), `${body} → ${out}`);
      assert.ok(out.includes('[redacted]'));
    }
  });

  it('removes a configured secret wherever it appears', () => {
    const out = redactBody(tv, Buffer.from(`{"note":"my pass is ${TV_PASSPHRASE}"`));
    assert.ok(!out.includes(TV_PASSPHRASE));
    const quoted = settings({ ...tv, secrets: ['a"b\\c'] });
    assert.ok(!redactBody(quoted, Buffer.from(JSON.stringify({ note: 'a"b\\c' }))).includes('a\\"b\\\\c'));
  });

  it('truncates to the limit', () => {
    const out = redactBody(tv, Buffer.from(`{"x":"${'y'.repeat(2000)}"}`), 100);
    assert.equal(out.length, 101);
    assert.ok(out.endsWith('…'));
  });

  it('copes with deep nesting and invalid UTF-8', () => {
    assert.doesNotThrow(() => redactBody(tv, Buffer.from(`${'['.repeat(100_000)}"passphrase": "p1"`)));
    assert.ok(!redactBody(tv, Buffer.from(`${'['.repeat(100_000)}"passphrase": "p1"`), 1_000_000).includes('p1'));
    assert.doesNotThrow(() => redactBody(tv, Buffer.from([0xff, 0xfe, 0x7b])));
  });
});

describe('prepareSource', () => {
  it('validates secrets once and caches the derived state', () => {
    const s = settings();
    assert.equal(prepareSource(s), prepareSource(s));
    throwsCode(() => prepareSource(settings({ secrets: ['not base64!'] })), 'HH_ERR_CONFIG_INVALID', /^sources\.default: /);
    throwsCode(() => prepareSource(settings({ scheme: 'github', secrets: [] })), 'HH_ERR_CONFIG_INVALID');
  });

  it('turns a bad secret into a config error, not a crash, when receive meets it first', () => {
    assert.throws(
      () => receive(standardRequest(BODY), settings({ secrets: ['whsec_###'] }), deps()),
      (e: unknown) => e instanceof HedgehookError && e.code === 'HH_ERR_CONFIG_INVALID',
    );
  });
});
