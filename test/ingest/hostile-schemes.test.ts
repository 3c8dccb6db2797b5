/**
 * Hostile senders against the three auth schemes, as properties over receive(): a
 * signature is accepted for exactly the bytes, id and timestamp it was made over, with a
 * configured secret; the key-rotation list cannot be abused to smuggle a bad entry in;
 * the TradingView passphrase is accepted only when equal and never reaches what is stored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HedgehookError } from '../../src/core/errors.ts';
import { receive, type ReceiveRequest } from '../../src/ingest/receive.ts';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import { validatePayload } from '../../src/ingest/payload.ts';
import { GH_SECRET, NOW_S, STD_SECRET, STD_SECRET_2, TV_PASSPHRASE, deps, settings, throwsCode } from './fixtures.ts';

const STD = settings({ name: 'std', secrets: [STD_SECRET, STD_SECRET_2] });
const GH = settings({ name: 'gh', scheme: 'github', secrets: [GH_SECRET] });
const TV = settings({ name: 'tv', scheme: 'tradingview', secrets: [TV_PASSPHRASE] });
const OTHER_STD_SECRET = 'whsec_b3RoZXItc2VjcmV0LW5vdC1jb25maWd1cmVkLWhlcmU=';

const msgId = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-.:'.split('')), minLength: 1, maxLength: 40 });
const validBody = fc
  .record({
    symbol: fc.constantFrom('TRXUSDT.P', 'BINANCE:TRXUSDT.P', 'TRX/USDT:USDT', 'BTCUSDT'),
    action: fc.constantFrom('open', 'add', 'reduce', 'close', 'update', 'buy', 'sell'),
    strength: fc.double({ min: 0, max: 1, noNaN: true }),
    type: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }).filter((t) => !/[\x00-\x1f\x7f]/.test(t)),
  }, { requiredKeys: ['symbol', 'action'] })
  .map((v) => Buffer.from(JSON.stringify(v)));

function standardReq(body: Buffer, id: string, ts: number, signature: string): ReceiveRequest {
  return {
    source: 'std',
    body,
    contentType: 'application/json',
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature },
    remoteAddr: '127.0.0.1',
  };
}

/** One byte of `b` changed at `at` (modulo its length). */
function flipByte(b: Buffer, at: number): Buffer {
  const out = Buffer.from(b);
  const i = at % out.length;
  out[i] = out[i]! ^ 0x01;
  return out;
}

test('standard: a signature holds only for the exact body, id and timestamp, and a configured secret', () => {
  fc.assert(
    fc.property(validBody, msgId, fc.integer({ min: -299, max: 299 }), fc.nat(), fc.constantFrom(STD_SECRET, STD_SECRET_2), (body, id, skew, at, secret) => {
      const ts = NOW_S + skew;
      const sig = signStandard(secret, id, ts, body);
      assert.equal(receive(standardReq(body, id, ts, sig), STD, deps()).dedupKey, id);
      throwsCode(() => receive(standardReq(flipByte(body, at), id, ts, sig), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(standardReq(body, `${id}x`, ts, sig), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(standardReq(body, id, ts + (skew > 0 ? -1 : 1), sig), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(standardReq(body, id, ts, signStandard(OTHER_STD_SECRET, id, ts, body)), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
    }),
    { numRuns: 200 },
  );
});

test('standard: in a rotation list, one valid entry among junk is accepted; junk alone never is', () => {
  const junkEntry = fc.oneof(
    fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v1,${b}`),
    fc.base64String({ maxLength: 60 }).map((b) => `v1,${b}`),
    fc.base64String({ minLength: 44, maxLength: 44 }).map((b) => `v2,${b}`),
    fc.string({ unit: 'grapheme-ascii', maxLength: 50 }).map((s) => s.replace(/\s/g, '')),
  );
  fc.assert(
    fc.property(validBody, msgId, fc.array(junkEntry.filter((e) => e.length > 0), { maxLength: 20 }), fc.nat(), (body, id, junk, at) => {
      const good = signStandard(STD_SECRET_2, id, NOW_S, body);
      fc.pre(!junk.includes(good));
      const withGood = [...junk];
      withGood.splice(at % (junk.length + 1), 0, good);
      assert.equal(receive(standardReq(body, id, NOW_S, withGood.join(' ')), STD, deps()).dedupKey, id);
      if (junk.length > 0) throwsCode(() => receive(standardReq(body, id, NOW_S, junk.join(' ')), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
      // The right MAC under another version tag, or cut short, is not a v1 signature.
      throwsCode(() => receive(standardReq(body, id, NOW_S, good.replace('v1,', 'v2,')), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(standardReq(body, id, NOW_S, good.slice(0, -2)), STD, deps()), 'HH_ERR_SIGNATURE_INVALID');
    }),
    { numRuns: 150 },
  );
});

test('standard: any timestamp outside ±tolerance is stale, whatever its format', () => {
  fc.assert(
    fc.property(validBody, fc.oneof(fc.integer({ min: 301, max: 10 ** 9 }), fc.integer({ min: -(10 ** 9), max: -301 })), (body, skew) => {
      const ts = NOW_S + skew;
      fc.pre(ts >= 0);
      throwsCode(() => receive(standardReq(body, 'msg_1', ts, signStandard(STD_SECRET, 'msg_1', ts, body)), STD, deps()), 'HH_ERR_TIMESTAMP_STALE');
    }),
    { numRuns: 100 },
  );
  for (const ts of ['1e9', '-1', '0x10', ' 1614265330', '1614265330.0', '9'.repeat(400), '']) {
    const body = Buffer.from('{"symbol":"TRXUSDT.P","action":"open"}');
    const req = standardReq(body, 'msg_1', 0, signStandard(STD_SECRET, 'msg_1', NOW_S, body));
    req.headers['webhook-timestamp'] = ts;
    assert.throws(() => receive(req, STD, deps()), (e: unknown) => e instanceof HedgehookError && ['HH_ERR_TIMESTAMP_STALE', 'HH_ERR_SIGNATURE_MISSING'].includes(e.code), ts);
  }
});

test('github: only the exact body under a configured secret; hex case does not matter', () => {
  fc.assert(
    fc.property(validBody, fc.nat(), fc.string({ minLength: 1, maxLength: 30 }), (body, at, otherSecret) => {
      fc.pre(otherSecret !== GH_SECRET);
      const req = (b: Buffer, sig: string): ReceiveRequest => ({
        source: 'gh', body: b, contentType: 'application/json', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, remoteAddr: '127.0.0.1',
      });
      const sig = signGithub(GH_SECRET, body);
      assert.ok(receive(req(body, sig), GH, deps()));
      assert.ok(receive(req(body, `sha256=${sig.slice(7).toUpperCase()}`), GH, deps()));
      throwsCode(() => receive(req(flipByte(body, at), sig), GH, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(req(body, signGithub(otherSecret, body)), GH, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(req(body, sig.replace('sha256=', 'sha1=')), GH, deps()), 'HH_ERR_SIGNATURE_INVALID');
      throwsCode(() => receive(req(body, `${sig}00`), GH, deps()), 'HH_ERR_SIGNATURE_INVALID');
    }),
    { numRuns: 150 },
  );
});

test('tradingview: accepted only with the exact passphrase, which never reaches the stored body or payload', () => {
  const near = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom(TV_PASSPHRASE.toUpperCase(), ` ${TV_PASSPHRASE}`, `${TV_PASSPHRASE} `, TV_PASSPHRASE.slice(0, -1), `${TV_PASSPHRASE}\u0000`, TV_PASSPHRASE.normalize('NFD'), 'x'.repeat(5000)),
    fc.nat({ max: TV_PASSPHRASE.length - 1 }).map((n) => TV_PASSPHRASE.slice(0, n)),
  );
  fc.assert(
    fc.property(validBody, near, (bytes, wrong) => {
      fc.pre(wrong !== TV_PASSPHRASE);
      const alert = JSON.parse(bytes.toString()) as Record<string, unknown>;
      const req = (value: unknown): ReceiveRequest => ({
        source: 'tv', body: Buffer.from(JSON.stringify(value)), contentType: 'text/plain; charset=utf-8', headers: { 'content-type': 'text/plain; charset=utf-8' }, remoteAddr: '52.89.214.238',
      });
      const ok = receive(req({ ...alert, passphrase: TV_PASSPHRASE }), TV, deps());
      assert.ok(!ok.body.includes(TV_PASSPHRASE) && !JSON.stringify(ok.payload).includes(TV_PASSPHRASE));
      assert.deepEqual(ok.payload, validatePayload(alert));
      throwsCode(() => receive(req({ ...alert, passphrase: wrong }), TV, deps()), 'HH_ERR_PASSPHRASE_INVALID');
      throwsCode(() => receive(req({ ...alert, passphrase: [TV_PASSPHRASE] }), TV, deps()), 'HH_ERR_PASSPHRASE_INVALID');
      throwsCode(() => receive(req(alert), TV, deps()), 'HH_ERR_PASSPHRASE_INVALID');
    }),
    { numRuns: 150 },
  );
});

test('payload labels: no lone surrogates and no bidirectional overrides in `type`', () => {
  for (const type of ['\ud800', 'a\udc00b', 'abc\u202edef', '\u2066x\u2069']) {
    throwsCode(() => validatePayload({ symbol: 'TRXUSDT.P', action: 'open', type }), 'HH_ERR_INVALID_PAYLOAD', /type/);
  }
  for (const type of ['breakout', 'Ausbruch – 15m', '突破', '🚀 moon']) {
    assert.equal(validatePayload({ symbol: 'TRXUSDT.P', action: 'open', type }).type, type);
  }
});
