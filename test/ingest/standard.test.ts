import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ManualClock } from '../../src/core/clock.ts';
import { HedgehookError } from '../../src/core/errors.ts';
import { signStandard, standardVerifier, verifyStandard } from '../../src/ingest/schemes/standard.ts';
import { NOW_S, STD_SECRET, STD_SECRET_2, throwsCode } from './fixtures.ts';

// The published Standard Webhooks test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

const clockAt = (seconds: number) => new ManualClock(seconds * 1000);
const verifier = standardVerifier([STD_SECRET], 300);

function headersFor(body: string | Buffer, opts: { id?: string; ts?: number; secret?: string } = {}) {
  const id = opts.id ?? 'msg_1';
  const ts = opts.ts ?? NOW_S;
  return { id, timestamp: String(ts), signature: signStandard(opts.secret ?? STD_SECRET, id, ts, body) };
}

describe('standard webhooks: the published vector', () => {
  it('signStandard produces the published signature (string and bytes)', () => {
    assert.equal(signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body), VECTOR.signature);
    assert.equal(signStandard(VECTOR.secret, VECTOR.id, VECTOR.timestamp, Buffer.from(VECTOR.body)), VECTOR.signature);
  });

  it('verification at that time accepts it and returns the webhook id', () => {
    const v = standardVerifier([VECTOR.secret], 300);
    const id = verifyStandard(
      v,
      { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature },
      Buffer.from(VECTOR.body),
      clockAt(VECTOR.timestamp),
    );
    assert.equal(id, VECTOR.id);
  });

  it('agrees with the standardwebhooks package', () => {
    const lib = new Webhook(STD_SECRET).sign('msg_x', new Date(NOW_S * 1000), '{"a":"é"}');
    assert.equal(signStandard(STD_SECRET, 'msg_x', NOW_S, '{"a":"é"}'), lib);
    assert.doesNotThrow(() =>
      verifyStandard(verifier, { id: 'msg_x', timestamp: String(NOW_S), signature: lib }, Buffer.from('{"a":"é"}'), clockAt(NOW_S)),
    );
  });
});

describe('standard webhooks: timestamp tolerance', () => {
  const body = Buffer.from('{"symbol":"TRXUSDT","action":"open"}');
  const h = headersFor(body);

  for (const skew of [-300, -1, 0, 1, 300]) {
    it(`accepts a timestamp ${skew} s from now`, () => {
      assert.equal(verifyStandard(verifier, h, body, clockAt(NOW_S + skew)), 'msg_1');
    });
  }

  it('accepts the last millisecond of the 300th second', () => {
    assert.doesNotThrow(() => verifyStandard(verifier, h, body, new ManualClock((NOW_S + 300) * 1000 + 999)));
  });

  it('rejects a timestamp 301 s old', () => {
    throwsCode(() => verifyStandard(verifier, h, body, clockAt(NOW_S + 301)), 'HH_ERR_TIMESTAMP_STALE', /301 s old/);
  });

  it('rejects a timestamp 301 s in the future', () => {
    throwsCode(() => verifyStandard(verifier, h, body, clockAt(NOW_S - 301)), 'HH_ERR_TIMESTAMP_STALE', /future/);
  });

  it('honours a configured tolerance', () => {
    const strict = standardVerifier([STD_SECRET], 10);
    assert.doesNotThrow(() => verifyStandard(strict, h, body, clockAt(NOW_S + 10)));
    throwsCode(() => verifyStandard(strict, h, body, clockAt(NOW_S + 11)), 'HH_ERR_TIMESTAMP_STALE');
  });

  it('rejects a timestamp that is not integer seconds', () => {
    for (const ts of ['1614265330.5', '1614265330abc', '-5', '', ' ', '1e9', '0x60371b32']) {
      const hh = { ...h, timestamp: ts };
      throwsCode(() => verifyStandard(verifier, hh, body, clockAt(NOW_S)), ts === '' ? 'HH_ERR_SIGNATURE_MISSING' : 'HH_ERR_TIMESTAMP_STALE');
    }
  });

  it('takes time only from the injected clock', () => {
    // The real clock is years past 2021; only the ManualClock makes this timestamp fresh.
    assert.doesNotThrow(() => verifyStandard(verifier, h, body, clockAt(NOW_S)));
    throwsCode(() => verifyStandard(verifier, h, body, new ManualClock(Date.UTC(2030, 0, 1))), 'HH_ERR_TIMESTAMP_STALE');
  });
});

describe('standard webhooks: signatures', () => {
  const body = Buffer.from('{"symbol":"TRXUSDT","action":"open","strength":0.5}');
  const clock = clockAt(NOW_S);

  it('accepts when any of several signatures matches', () => {
    const good = signStandard(STD_SECRET, 'msg_1', NOW_S, body);
    const other = signStandard(STD_SECRET_2, 'msg_1', NOW_S, body);
    const bogus = 'v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
    for (const header of [`${bogus} ${good}`, `${good} ${bogus}`, `v2,xyz ${other} ${good}`, `${other}, ${good}`]) {
      assert.equal(verifyStandard(verifier, { id: 'msg_1', timestamp: String(NOW_S), signature: header }, body, clock), 'msg_1');
    }
  });

  it('accepts a signature by any configured secret (rotation)', () => {
    const both = standardVerifier([STD_SECRET, STD_SECRET_2], 300);
    for (const secret of [STD_SECRET, STD_SECRET_2]) {
      assert.doesNotThrow(() => verifyStandard(both, headersFor(body, { secret }), body, clock));
    }
    // The old verifier does not know the new secret.
    throwsCode(() => verifyStandard(verifier, headersFor(body, { secret: STD_SECRET_2 }), body, clock), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('rejects a re-serialised body (same JSON, different whitespace)', () => {
    const h = headersFor(body);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 1));
    assert.deepEqual(JSON.parse(reserialised.toString()), JSON.parse(body.toString()));
    throwsCode(() => verifyStandard(verifier, h, reserialised, clock), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('rejects any one-byte change of the body', () => {
    const h = headersFor(body);
    for (let i = 0; i < body.length; i++) {
      const changed = Buffer.from(body);
      changed[i] = changed[i]! ^ 0x01;
      throwsCode(() => verifyStandard(verifier, h, changed, clock), 'HH_ERR_SIGNATURE_INVALID');
    }
    throwsCode(() => verifyStandard(verifier, h, Buffer.concat([body, Buffer.from(' ')]), clock), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('rejects a changed id or timestamp (both are signed)', () => {
    const h = headersFor(body);
    throwsCode(() => verifyStandard(verifier, { ...h, id: 'msg_2' }, body, clock), 'HH_ERR_SIGNATURE_INVALID');
    throwsCode(() => verifyStandard(verifier, { ...h, timestamp: String(NOW_S + 1) }, body, clock), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('verifies the raw bytes: bodies that are not UTF-8 do not collide', () => {
    // The package decodes Buffers lossily: both bodies become "\uFFFD" and sign alike.
    const a = Buffer.from([0xff]);
    const b = Buffer.from([0xfe]);
    const lib = new Webhook(STD_SECRET);
    assert.equal(lib.sign('m', new Date(NOW_S * 1000), a), lib.sign('m', new Date(NOW_S * 1000), b));
    const sigA = signStandard(STD_SECRET, 'm', NOW_S, a);
    assert.notEqual(sigA, signStandard(STD_SECRET, 'm', NOW_S, b));
    assert.doesNotThrow(() => verifyStandard(verifier, { id: 'm', timestamp: String(NOW_S), signature: sigA }, a, clock));
    throwsCode(() => verifyStandard(verifier, { id: 'm', timestamp: String(NOW_S), signature: sigA }, b, clock), 'HH_ERR_SIGNATURE_INVALID');
  });

  it('signs exactly the HMAC-SHA256 of id.timestamp.body, base64', () => {
    const key = Buffer.from(STD_SECRET.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`msg_1.${NOW_S}.`).update(body).digest('base64');
    assert.equal(signStandard(STD_SECRET, 'msg_1', NOW_S, body), `v1,${expected}`);
  });

  it('rejects malformed and foreign-version entries', () => {
    const good = signStandard(STD_SECRET, 'msg_1', NOW_S, body).slice(3);
    for (const header of [`v2,${good}`, good, `v1,${good.slice(0, -1)}`, `v1,${good}x`, 'v1,', 'garbage']) {
      throwsCode(
        () => verifyStandard(verifier, { id: 'msg_1', timestamp: String(NOW_S), signature: header }, body, clock),
        'HH_ERR_SIGNATURE_INVALID',
      );
    }
  });

  it('reports missing headers as HH_ERR_SIGNATURE_MISSING', () => {
    const h = headersFor(body);
    for (const key of ['id', 'timestamp', 'signature'] as const) {
      throwsCode(() => verifyStandard(verifier, { ...h, [key]: undefined }, body, clock), 'HH_ERR_SIGNATURE_MISSING');
      throwsCode(() => verifyStandard(verifier, { ...h, [key]: '' }, body, clock), 'HH_ERR_SIGNATURE_MISSING');
    }
  });

  it('rejects an over-long or non-ASCII webhook-id', () => {
    for (const id of ['x'.repeat(257), 'msg é', 'msg\t1']) {
      throwsCode(() => verifyStandard(verifier, headersFor(body, { id }), body, clock), 'HH_ERR_SIGNATURE_INVALID', /webhook-id/);
    }
  });

  it('refuses secrets that are not whsec_ base64', () => {
    for (const bad of ['whsec_', 'whsec_!!!!', 'whsec_abc']) {
      assert.throws(() => standardVerifier([bad], 300), (e: unknown) => e instanceof HedgehookError && e.code === 'HH_ERR_CONFIG_INVALID');
    }
    assert.throws(() => standardVerifier([], 300), (e: unknown) => e instanceof HedgehookError && e.code === 'HH_ERR_CONFIG_INVALID');
  });
});
