import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tradingViewVerifier, verifyTradingView } from '../../src/ingest/schemes/tradingview.ts';
import { TV_PASSPHRASE, throwsCode } from './fixtures.ts';

const verifier = tradingViewVerifier([TV_PASSPHRASE]);
const alert = (extra: Record<string, unknown>) => Buffer.from(JSON.stringify({ symbol: 'TRXUSDT.P', action: 'buy', ...extra }));

describe('tradingview scheme', () => {
  it('accepts the right passphrase and removes it', () => {
    const out = verifyTradingView(verifier, alert({ passphrase: TV_PASSPHRASE }));
    assert.deepEqual(out.value, { symbol: 'TRXUSDT.P', action: 'buy' });
    assert.equal(out.body, '{"symbol":"TRXUSDT.P","action":"buy"}');
    assert.ok(!out.body.includes(TV_PASSPHRASE));
  });

  it('accepts any configured passphrase (rotation)', () => {
    const both = tradingViewVerifier(['old one', TV_PASSPHRASE]);
    assert.doesNotThrow(() => verifyTradingView(both, alert({ passphrase: 'old one' })));
    assert.doesNotThrow(() => verifyTradingView(both, alert({ passphrase: TV_PASSPHRASE })));
  });

  it('rejects a wrong passphrase, including prefixes and extensions of the right one', () => {
    for (const wrong of ['wrong', TV_PASSPHRASE.slice(0, -1), `${TV_PASSPHRASE} `, TV_PASSPHRASE.toUpperCase(), 'x'.repeat(5000)]) {
      throwsCode(() => verifyTradingView(verifier, alert({ passphrase: wrong })), 'HH_ERR_PASSPHRASE_INVALID', /does not match/);
    }
  });

  it('rejects a missing or non-string passphrase', () => {
    for (const extra of [{}, { passphrase: '' }, { passphrase: 123 }, { passphrase: null }, { passphrase: [TV_PASSPHRASE] }, { Passphrase: TV_PASSPHRASE }]) {
      throwsCode(() => verifyTradingView(verifier, alert(extra)), 'HH_ERR_PASSPHRASE_INVALID', /missing/);
    }
  });

  it('treats a body without JSON as unauthenticated, without echoing it', () => {
    for (const body of ['passphrase=' + TV_PASSPHRASE, `{"passphrase": "${TV_PASSPHRASE}"`, '[]', '"x"', '', Buffer.from([0x7b, 0xff, 0x7d])]) {
      assert.throws(
        () => verifyTradingView(verifier, typeof body === 'string' ? Buffer.from(body) : body),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'HH_ERR_PASSPHRASE_INVALID' && !e.message.includes(TV_PASSPHRASE),
      );
    }
  });

  it('ignores a passphrase inherited through __proto__', () => {
    const body = Buffer.from(`{"symbol":"TRXUSDT","action":"open","__proto__":{"passphrase":"${TV_PASSPHRASE}"}}`);
    throwsCode(() => verifyTradingView(verifier, body), 'HH_ERR_PASSPHRASE_INVALID', /missing/);
  });

  it('does not accept a passphrase inherited from a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.passphrase = TV_PASSPHRASE;
    try {
      throwsCode(() => verifyTradingView(verifier, alert({})), 'HH_ERR_PASSPHRASE_INVALID', /missing/);
    } finally {
      delete proto.passphrase;
    }
  });

  it('refuses an empty passphrase list or an empty passphrase in the configuration', () => {
    assert.throws(() => tradingViewVerifier([]));
    assert.throws(() => tradingViewVerifier(['']));
  });
});
