import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_JSON_DEPTH, exceedsDepth, parseJsonBytes } from '../../src/ingest/json.ts';
import { parsePayload, validatePayload } from '../../src/ingest/payload.ts';
import { throwsCode } from './fixtures.ts';

const MIN = { symbol: 'TRXUSDT.P', action: 'open' };
const invalid = (value: unknown, detail: RegExp) => throwsCode(() => validatePayload(value), 'HH_ERR_INVALID_PAYLOAD', detail);

describe('payload: required fields and defaults', () => {
  it('needs only symbol and action; account defaults to main', () => {
    assert.deepEqual(validatePayload(MIN), { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open' });
  });

  it('keeps the example payload of DESIGN.md, normalised', () => {
    const p = validatePayload({
      id: 'optional-idempotency-key',
      account: 'main',
      symbol: 'TRX/USDT:USDT',
      action: 'open',
      type: 'breakout',
      strength: 0.8,
      price: 0.2412,
      time: '2026-11-24T01:30:00Z',
      position: { side: 'long', size: 50000, entryPrice: 0.2381, leverage: 10 },
    });
    assert.deepEqual(p, {
      id: 'optional-idempotency-key',
      account: 'main',
      symbol: 'TRX/USDT:USDT',
      action: 'open',
      type: 'breakout',
      strength: 0.8,
      price: 0.2412,
      time: Date.UTC(2026, 10, 24, 1, 30),
      position: { side: 'long', size: 50000, entryPrice: 0.2381, leverage: 10 },
    });
  });

  it('names every missing required field in one line', () => {
    invalid({}, /^symbol: required; action: required$/);
    invalid({ symbol: 'TRXUSDT' }, /^action: required$/);
    invalid({ action: 'open' }, /^symbol: required$/);
  });

  it('rejects a payload that is not an object', () => {
    for (const v of [null, 1, 'x', [], true]) invalid(v, /^payload must be a JSON object$/);
  });

  it('treats null as not given for optional fields', () => {
    assert.deepEqual(validatePayload({ ...MIN, strength: null, price: null, position: null, id: null }), validatePayload(MIN));
  });
});

describe('payload: actions', () => {
  it('accepts every action, case-insensitively', () => {
    for (const a of ['open', 'add', 'reduce', 'close', 'update']) {
      assert.equal(validatePayload({ ...MIN, action: a }).action, a);
      assert.equal(validatePayload({ ...MIN, action: a.toUpperCase() }).action, a);
    }
  });

  it("maps TradingView's buy/sell to update", () => {
    for (const a of ['buy', 'sell', 'BUY', 'Sell']) assert.equal(validatePayload({ ...MIN, action: a }).action, 'update');
  });

  it('rejects anything else', () => {
    for (const a of ['long', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 1, null]) {
      invalid({ ...MIN, action: a }, /^action: must be one of open, add, reduce, close, update, buy, sell$/);
    }
    assert.equal(validatePayload({ ...MIN, action: ' Close ' }).action, 'close');
  });
});

describe('payload: numbers', () => {
  it('range-checks strength to 0..1', () => {
    assert.equal(validatePayload({ ...MIN, strength: 0 }).strength, 0);
    assert.equal(validatePayload({ ...MIN, strength: 1 }).strength, 1);
    invalid({ ...MIN, strength: 1.01 }, /^strength: must be between 0 and 1$/);
    invalid({ ...MIN, strength: -0.1 }, /^strength: must be between 0 and 1$/);
  });

  it('requires a positive finite price', () => {
    invalid({ ...MIN, price: 0 }, /^price: must be greater than 0/);
    invalid({ ...MIN, price: -1 }, /^price: must be greater than 0/);
    invalid({ ...MIN, price: 1e300 }, /^price: /);
  });

  it('accepts numbers rendered inside quotes', () => {
    const p = validatePayload({ ...MIN, strength: '0.8', price: ' 0.2412 ', position: { side: 'long', size: '5e4', entryPrice: '.2381', leverage: '10' } });
    assert.equal(p.strength, 0.8);
    assert.equal(p.price, 0.2412);
    assert.deepEqual(p.position, { side: 'long', size: 50000, entryPrice: 0.2381, leverage: 10 });
  });

  it('rejects strings that are not plain decimals, and non-numbers', () => {
    for (const bad of ['', ' ', 'NaN', 'Infinity', '-Infinity', '0x10', '1,5', '{{strategy.order.price}}', '1e', true, [], {}]) {
      invalid({ ...MIN, price: bad }, /^price: must be a finite number$/);
    }
  });

  it('rejects non-finite and huge numbers (JSON 1e999 parses as Infinity)', () => {
    const { value } = parseJsonBytes(Buffer.from('{"symbol":"TRXUSDT","action":"open","price":1e999}'));
    invalid(value, /^price: must be a finite number$/);
    invalid({ ...MIN, strength: Number.NaN }, /^strength: must be a finite number$/);
    invalid({ ...MIN, position: { side: 'long', size: 1e16 } }, /^position.size: /);
    invalid({ ...MIN, price: '1e400' }, /^price: must be a finite number$/);
  });

  it('range-checks leverage to 1..125 and entryPrice > 0', () => {
    const pos = { side: 'long', size: 1 };
    assert.equal(validatePayload({ ...MIN, position: { ...pos, leverage: 1 } }).position?.leverage, 1);
    assert.equal(validatePayload({ ...MIN, position: { ...pos, leverage: 125 } }).position?.leverage, 125);
    invalid({ ...MIN, position: { ...pos, leverage: 0.5 } }, /^position.leverage: must be between 1 and 125$/);
    invalid({ ...MIN, position: { ...pos, leverage: 126 } }, /^position.leverage: must be between 1 and 125$/);
    invalid({ ...MIN, position: { ...pos, entryPrice: 0 } }, /^position.entryPrice: must be greater than 0/);
  });

  it('names several failing fields in one line', () => {
    invalid({ ...MIN, strength: 2, price: -1 }, /^strength: must be between 0 and 1; price: must be greater than 0/);
    assert.throws(() => validatePayload({ ...MIN, strength: 2, price: -1 }), (e: Error) => !e.message.includes('\n'));
  });
});

describe('payload: position', () => {
  it('normalises a negative size (TradingView shorts) to its absolute value, side short', () => {
    assert.deepEqual(validatePayload({ ...MIN, position: { size: -50000 } }).position, { side: 'short', size: 50000 });
    assert.deepEqual(validatePayload({ ...MIN, position: { size: '-50000', side: 'short' } }).position, { side: 'short', size: 50000 });
  });

  it('infers the side from the sign when it is missing', () => {
    assert.deepEqual(validatePayload({ ...MIN, position: { size: 3 } }).position, { side: 'long', size: 3 });
    assert.deepEqual(validatePayload({ ...MIN, position: { size: 0 } }).position, { side: 'flat', size: 0 });
  });

  it("accepts TradingView's market_position values, case-insensitively", () => {
    for (const side of ['long', 'short', 'flat', 'LONG', 'Flat']) {
      const size = side.toLowerCase() === 'flat' ? 0 : 1;
      assert.equal(validatePayload({ ...MIN, position: { side, size } }).position?.side, side.toLowerCase());
    }
    invalid({ ...MIN, position: { side: 'sideways', size: 1 } }, /^position.side: must be long, short or flat$/);
  });

  it('refuses contradictions rather than guess a direction', () => {
    invalid({ ...MIN, position: { side: 'long', size: -5 } }, /^position.side: side long contradicts size -5$/);
    invalid({ ...MIN, position: { side: 'flat', size: 5 } }, /^position.side: side flat contradicts size 5$/);
  });

  it('requires a size and an object', () => {
    invalid({ ...MIN, position: { side: 'long' } }, /^position.size: required$/);
    invalid({ ...MIN, position: 'long' }, /^position: must be an object$/);
  });
});

describe('payload: strings and identifiers', () => {
  it('limits id to 64 characters of A-Za-z0-9._:-', () => {
    assert.equal(validatePayload({ ...MIN, id: 'a'.repeat(64) }).id, 'a'.repeat(64));
    assert.equal(validatePayload({ ...MIN, id: 'tv:2026-11-24T01:30:00Z_x.1' }).id, 'tv:2026-11-24T01:30:00Z_x.1');
    invalid({ ...MIN, id: 'a'.repeat(65) }, /^id: must be 1 to 64 characters/);
    invalid({ ...MIN, id: 'a b' }, /^id: /);
    invalid({ ...MIN, id: '' }, /^id: /);
    invalid({ ...MIN, id: 5 }, /^id: must be a string$/);
  });

  it('limits account and type', () => {
    invalid({ ...MIN, account: 'a'.repeat(65) }, /^account: /);
    invalid({ ...MIN, account: 'main|x' }, /^account: /);
    invalid({ ...MIN, type: 'x'.repeat(65) }, /^type: must be 1 to 64 characters/);
    invalid({ ...MIN, type: 'a\nb' }, /^type: /);
    assert.equal(validatePayload({ ...MIN, type: 'breakout ⚡' }).type, 'breakout ⚡');
  });

  it('rejects a giant string without echoing it', () => {
    const giant = 'A'.repeat(100_000);
    for (const field of ['id', 'type', 'account', 'symbol', 'action']) {
      assert.throws(
        () => validatePayload({ ...MIN, [field]: giant }),
        (e: Error) => (e as { code?: string }).code === 'HH_ERR_INVALID_PAYLOAD' && e.message.startsWith(`${field}: `) && e.message.length < 300,
      );
    }
  });

  it('normalises the symbol and names it when unrecognisable', () => {
    assert.equal(validatePayload({ ...MIN, symbol: 'BINANCE:BTCUSDC.P' }).symbol, 'BTC/USDC:USDC');
    invalid({ ...MIN, symbol: 'TRXEUR' }, /^symbol: not a recognisable/);
    invalid({ ...MIN, symbol: 7 }, /^symbol: must be a string$/);
  });
});

describe('payload: time', () => {
  const t = Date.UTC(2026, 10, 24, 1, 30);
  it('accepts ISO-8601 with a zone, epoch milliseconds and epoch seconds', () => {
    for (const v of ['2026-11-24T01:30:00Z', '2026-11-24T01:30:00.000Z', '2026-11-24T02:30:00+01:00', '2026-11-24T01:30Z', t, t / 1000, String(t), String(t / 1000)]) {
      assert.equal(validatePayload({ ...MIN, time: v }).time, t, String(v));
    }
    assert.equal(validatePayload({ ...MIN, time: t / 1000 + 0.5 }).time, t + 500);
  });

  it('rejects times without a zone, impossible dates, out-of-range and non-times', () => {
    for (const v of ['2026-11-24T01:30:00', '2026-02-30T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', '', -1, 0, 1e20, '{{timenow}}', true, Date.UTC(3001, 0, 1)]) {
      invalid({ ...MIN, time: v }, /^time: must be an ISO-8601 date-time/);
    }
  });
});

describe('payload: hostile JSON', () => {
  it('strips unknown fields, at every level', () => {
    const p = validatePayload({ ...MIN, extra: 1, nested: { a: 1 }, position: { size: 1, colour: 'red' } });
    assert.deepEqual(p, { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', position: { side: 'long', size: 1 } });
  });

  it('strips __proto__ and constructor keys without polluting any prototype', () => {
    const text = '{"symbol":"TRXUSDT","action":"open","__proto__":{"polluted":1,"account":"evil"},"constructor":{"prototype":{"polluted":2}},"position":{"size":1,"__proto__":{"side":"short","polluted":3}}}';
    const p = parsePayload(Buffer.from(text));
    assert.deepEqual(p, { account: 'main', symbol: 'TRX/USDT:USDT', action: 'open', position: { side: 'long', size: 1 } });
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.ok(!Object.hasOwn(p, '__proto__') && !Object.hasOwn(p, 'constructor'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  });

  it('rejects nesting deeper than 32 levels without a stack overflow', () => {
    const deep = (n: number) => `{"symbol":"TRXUSDT","action":"open","x":${'['.repeat(n - 1)}${']'.repeat(n - 1)}}`;
    assert.doesNotThrow(() => parsePayload(Buffer.from(deep(MAX_JSON_DEPTH))));
    throwsCode(() => parsePayload(Buffer.from(deep(MAX_JSON_DEPTH + 1))), 'HH_ERR_MALFORMED_JSON', /deeper than 32/);
    throwsCode(() => parsePayload(Buffer.from(deep(1_000_000))), 'HH_ERR_MALFORMED_JSON', /deeper than 32/);
  });

  it('counts only structural brackets for depth, not brackets inside strings', () => {
    const text = `{"a":"${'[{'.repeat(100)}\\"${'['.repeat(40)}"}`;
    assert.equal(exceedsDepth(text), false);
    assert.equal(exceedsDepth(`${'['.repeat(33)}${']'.repeat(33)}`), true);
    assert.equal(exceedsDepth(`${'[]'.repeat(100)}`), false);
  });

  it('rejects invalid UTF-8 as malformed, and malformed JSON', () => {
    throwsCode(() => parsePayload(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 'HH_ERR_MALFORMED_JSON', /UTF-8/);
    throwsCode(() => parsePayload(Buffer.from([0xed, 0xa0, 0x80])), 'HH_ERR_MALFORMED_JSON', /UTF-8/); // an encoded surrogate
    throwsCode(() => parsePayload(Buffer.from('{"symbol":')), 'HH_ERR_MALFORMED_JSON', /not valid JSON/);
    throwsCode(() => parsePayload(Buffer.from('')), 'HH_ERR_MALFORMED_JSON');
  });

  it('does not quote the input in a JSON error', () => {
    assert.throws(() => parsePayload(Buffer.from('secret-material-here')), (e: Error) => !e.message.includes('secret'));
  });

  it('tolerates a leading BOM but keeps it in the text', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(MIN))]);
    const { text } = parseJsonBytes(body);
    assert.equal(text.charCodeAt(0), 0xfeff);
    assert.equal(parsePayload(body).symbol, 'TRX/USDT:USDT');
  });
});
