/** Property tests: whatever arrives, receive answers with a valid signal or a HedgehookError. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HedgehookError, type ErrorCode } from '../../src/core/errors.ts';
import { partitionKey, type IncomingSignal } from '../../src/core/signal.ts';
import { validatePayload } from '../../src/ingest/payload.ts';
import { receive, type ReceiveRequest } from '../../src/ingest/receive.ts';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import { SIGNAL_ID_PATTERN, signalId } from '../../src/ingest/signal-id.ts';
import { normaliseSymbol, QUOTE_CURRENCIES } from '../../src/ingest/symbol.ts';
import type { SourceSettings } from '../../src/ingest/source.ts';
import { GH_SECRET, NOW_S, STD_SECRET, TV_PASSPHRASE, deps, settings } from './fixtures.ts';

const SOURCES: Record<SourceSettings['scheme'], SourceSettings> = {
  standard: settings({ name: 'std' }),
  github: settings({ name: 'gh', scheme: 'github', secrets: [GH_SECRET] }),
  tradingview: settings({ name: 'tv', scheme: 'tradingview', secrets: [TV_PASSPHRASE] }),
};
const SCHEMES = Object.keys(SOURCES) as SourceSettings['scheme'][];

/** The codes receive may answer with; anything else (or a non-HedgehookError) is a bug. */
const REQUEST_CODES = new Set<ErrorCode>([
  'HH_ERR_ADDRESS_NOT_ALLOWED',
  'HH_ERR_UNSUPPORTED_MEDIA_TYPE',
  'HH_ERR_BODY_TOO_LARGE',
  'HH_ERR_SIGNATURE_MISSING',
  'HH_ERR_SIGNATURE_INVALID',
  'HH_ERR_TIMESTAMP_STALE',
  'HH_ERR_PASSPHRASE_INVALID',
  'HH_ERR_RATE_LIMITED',
  'HH_ERR_MALFORMED_JSON',
  'HH_ERR_INVALID_PAYLOAD',
]);

const PAYLOAD_KEYS = new Set(['id', 'account', 'symbol', 'action', 'type', 'strength', 'price', 'time', 'position']);
const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** A request for `scheme` over `body`, signed correctly (or, with `sign` false, not at all). */
function signedRequest(scheme: SourceSettings['scheme'], body: Buffer, sign = true): ReceiveRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sign && scheme === 'standard') {
    headers['webhook-id'] = 'msg_prop';
    headers['webhook-timestamp'] = String(NOW_S);
    headers['webhook-signature'] = signStandard(STD_SECRET, 'msg_prop', NOW_S, body);
  } else if (sign && scheme === 'github') {
    headers['x-hub-signature-256'] = signGithub(GH_SECRET, body);
  }
  return { source: SOURCES[scheme].name, body, contentType: 'application/json', headers, remoteAddr: '127.0.0.1' };
}

/** Runs receive; returns the signal, or undefined after checking that it threw a request error. */
function attempt(req: ReceiveRequest, s: SourceSettings): IncomingSignal | undefined {
  try {
    const signal = receive(req, s, deps());
    assertValidSignal(signal, s);
    return signal;
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    assert.ok(err instanceof HedgehookError, `not a HedgehookError: ${String(err)}`);
    assert.ok(REQUEST_CODES.has(err.code), `unexpected code ${err.code}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    return undefined;
  } finally {
    assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_KEYS, 'Object.prototype was changed');
  }
}

function assertValidSignal(signal: IncomingSignal, s: SourceSettings): void {
  assert.match(signal.id, SIGNAL_ID_PATTERN);
  assert.equal(signal.id, signalId(s.name, signal.dedupKey));
  assert.equal(signal.partitionKey, partitionKey(signal.payload));
  // A stored payload validates again to itself: the journal can re-check what it holds.
  assert.deepEqual(validatePayload(signal.payload), signal.payload);
  assert.match(signal.payload.symbol, /^[A-Z0-9]+\/([A-Z]+):\1$/);
  if (s.scheme === 'tradingview') assert.ok(!JSON.stringify(signal).includes(TV_PASSPHRASE));
}

/** JSON text with any keys, including `__proto__`, `constructor` and repeats, which JSON.parse keeps as own keys. */
const hostileObject = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom('symbol', 'action', 'strength', 'price', 'time', 'position', 'id', 'account', 'type', 'passphrase', '__proto__', 'constructor', 'prototype'),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        fc.jsonValue({ maxDepth: 3 }),
        fc.constantFrom('TRXUSDT.P', 'open', 'buy', '0.5', '-3', TV_PASSPHRASE, '2026-11-24T01:30:00Z', 1e308, -0, { size: -1 }, { side: 'flat', size: 0 }),
      ),
    ),
    { maxLength: 10 },
  )
  .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);

const anyJsonText = fc.oneof(
  hostileObject,
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
  fc.nat({ max: 200 }).map((n) => `{"symbol":"TRXUSDT","action":"open","x":${'['.repeat(n)}${']'.repeat(n)}}`),
);

describe('receive: properties', () => {
  it('arbitrary bytes, headers and content types: a valid signal or a HedgehookError, nothing else', () => {
    const headerNames = fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-hub-signature-256', 'x-github-delivery', 'content-type', 'Webhook-Signature', 'cookie');
    fc.assert(
      fc.property(
        fc.constantFrom(...SCHEMES),
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.constantFrom('application/json', 'text/plain; charset=utf-8', 'text/html', 'application/json; charset=latin1', ';', '')),
        fc.dictionary(headerNames, fc.oneof(fc.string({ maxLength: 60 }), fc.array(fc.string({ maxLength: 60 }), { maxLength: 3 }))),
        fc.constantFrom('127.0.0.1', '::ffff:52.89.214.238', '', 'garbage'),
        (scheme, bytes, contentType, headers, remoteAddr) => {
          const req = { source: SOURCES[scheme].name, body: Buffer.from(bytes), contentType: contentType ?? undefined, headers, remoteAddr };
          attempt(req, SOURCES[scheme]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('arbitrary bytes, correctly signed: never anything but a valid signal or a HedgehookError', () => {
    fc.assert(
      fc.property(fc.constantFrom('standard', 'github') as fc.Arbitrary<SourceSettings['scheme']>, fc.uint8Array({ maxLength: 300 }), (scheme, bytes) => {
        const signal = attempt(signedRequest(scheme, Buffer.from(bytes)), SOURCES[scheme]);
        if (signal) assert.equal(Buffer.from(signal.body).equals(Buffer.from(bytes)), true);
      }),
      { numRuns: 300 },
    );
  });

  it('arbitrary JSON, correctly signed (or carrying the passphrase): a valid signal or a HedgehookError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCHEMES), anyJsonText, fc.boolean(), (scheme, text, withPassphrase) => {
        let body = text;
        if (scheme === 'tradingview' && withPassphrase && text.startsWith('{')) {
          body = `{"passphrase":${JSON.stringify(TV_PASSPHRASE)}${text === '{}' ? '' : ','}${text.slice(1)}`;
        }
        attempt(signedRequest(scheme, Buffer.from(body)), SOURCES[scheme]);
      }),
      { numRuns: 500 },
    );
  });
});

// --- valid payloads ---------------------------------------------------------------------

const asMaybeString = (n: number) => fc.constantFrom(n, String(n));
const base = fc.stringMatching(/^[A-Z][A-Z0-9]{0,9}$/);
const quote = fc.constantFrom(...QUOTE_CURRENCIES);

/** A ticker in one of the spellings we accept, and the unified symbol it must become (when unambiguous). */
const ticker = fc.tuple(base, quote, fc.nat({ max: 5 })).map(([b, q, form]) => {
  const spellings = [`${b}/${q}`, `${b}/${q}:${q}`, `${b}-${q}`, `${b}${q}`, `${b}${q}.P`, `BINANCE:${b}${q}.P`];
  return { input: spellings[form]!, base: b, quote: q, concatenated: form >= 3 };
});

const side = fc.constantFrom('long', 'short', 'flat');
const position = fc
  .record({
    side: fc.option(side, { nil: undefined }),
    size: fc.double({ min: 0, max: 1e9, noNaN: true }),
    entryPrice: fc.option(fc.double({ min: 1e-8, max: 1e6, noNaN: true }), { nil: undefined }),
    leverage: fc.option(fc.integer({ min: 1, max: 125 }), { nil: undefined }),
    negate: fc.boolean(),
  })
  .map((p) => {
    const size = p.side === 'flat' ? 0 : p.size;
    const signed = p.negate && p.side !== 'long' && size > 0 ? -size : size;
    const expectedSide = p.side ?? (signed < 0 ? 'short' : signed > 0 ? 'long' : 'flat');
    return { given: { side: p.side, size: signed, entryPrice: p.entryPrice, leverage: p.leverage }, expectedSide, size };
  });

const validPayload = fc.record(
  {
    id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
    account: fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/),
    action: fc.constantFrom('open', 'add', 'reduce', 'close', 'update', 'OPEN', 'Close', 'buy', 'SELL'),
    type: fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/\p{Cc}/u.test(s)),
    strength: fc.double({ min: 0, max: 1, noNaN: true }).chain(asMaybeString),
    price: fc.double({ min: 1e-8, max: 1e9, noNaN: true }).chain(asMaybeString),
    time: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2999, 11, 31) }),
    timeForm: fc.constantFrom('ms', 's', 'iso'),
    position,
    extra: fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => !['id', 'account', 'action', 'type', 'strength', 'price', 'time', 'position', 'symbol', 'passphrase'].includes(k)), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    ticker,
  },
  { requiredKeys: ['action', 'ticker', 'timeForm', 'time', 'extra'] },
);

describe('receive: valid payloads are accepted', () => {
  it('every scheme accepts every valid, correctly authenticated payload and normalises it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCHEMES), validPayload, (scheme, p) => {
        const time = p.timeForm === 'ms' ? p.time : p.timeForm === 's' ? Math.floor(p.time / 1000) : new Date(p.time).toISOString();
        const json: Record<string, unknown> = { ...p.extra, symbol: p.ticker.input, action: p.action, time };
        for (const key of ['id', 'account', 'type', 'strength', 'price'] as const) if (p[key] !== undefined) json[key] = p[key];
        if (p.position) json.position = p.position.given;
        if (scheme === 'tradingview') json.passphrase = TV_PASSPHRASE;
        const body = Buffer.from(JSON.stringify(json));

        const signal = receive(signedRequest(scheme, body), SOURCES[scheme], deps());
        assertValidSignal(signal, SOURCES[scheme]);

        const out = signal.payload;
        const action = p.action.toLowerCase();
        assert.equal(out.action, action === 'buy' || action === 'sell' ? 'update' : action);
        assert.equal(out.account, p.account ?? 'main');
        assert.equal(out.id, p.id);
        assert.equal(out.type, p.type);
        assert.equal(out.strength, p.strength === undefined ? undefined : Number(p.strength));
        assert.equal(out.price, p.price === undefined ? undefined : Number(p.price));
        assert.equal(out.time, p.timeForm === 's' ? Math.floor(p.time / 1000) * 1000 : p.time);
        if (p.ticker.concatenated) {
          // A concatenated ticker may split differently (ATUSD is A/TUSD), but never loses a letter.
          const [b, q] = out.symbol.split(':')[0]!.split('/');
          assert.equal(`${b}${q}`, `${p.ticker.base}${p.ticker.quote}`);
        } else {
          assert.equal(out.symbol, `${p.ticker.base}/${p.ticker.quote}:${p.ticker.quote}`);
        }
        assert.equal(normaliseSymbol(out.symbol), out.symbol);
        if (p.position) {
          assert.equal(out.position?.side, p.position.expectedSide);
          assert.equal(out.position?.size, p.position.size);
          assert.equal(out.position?.entryPrice, p.position.given.entryPrice);
          assert.equal(out.position?.leverage, p.position.given.leverage);
        } else {
          assert.equal(out.position, undefined);
        }
        // Unknown fields are stripped: only the fields of SignalPayload remain.
        for (const key of Object.keys(out)) assert.ok(PAYLOAD_KEYS.has(key), `unexpected key ${key}`);
      }),
      { numRuns: 400 },
    );
  });
});
