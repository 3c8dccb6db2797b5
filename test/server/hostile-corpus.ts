/**
 * Hostile webhook bodies: what a scanner, a fuzzer or a broken sender may post. Each is
 * raw bytes, so invalid UTF-8 and non-JSON survive as sent. Shared by the in-process
 * tests (test/server/hostile-webhooks.test.ts) and the run against a real `serve`
 * process on the SQLite journal.
 */

export interface HostileBody {
  name: string;
  body: Buffer;
  /** The body is a JSON object's text: a passphrase can be spliced in after its `{`. */
  object: boolean;
}

const VALID = { symbol: 'TRXUSDT.P', action: 'open' };
const json = (name: string, value: unknown): HostileBody => ({ name, body: Buffer.from(JSON.stringify(value)), object: isObject(value) });
const text = (name: string, t: string): HostileBody => ({ name, body: Buffer.from(t), object: t.trimStart().startsWith('{') });
const bytes = (name: string, b: number[] | Buffer, object = false): HostileBody => ({ name, body: Buffer.from(b), object });

function isObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nestedObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export function hostileBodies(): HostileBody[] {
  const big = 'x'.repeat(60_000);
  return [
    // ── nesting ──
    text('arrays nested 30 000 deep', '['.repeat(30_000) + ']'.repeat(30_000)),
    text('objects nested 10 000 deep', nestedObject(10_000)),
    text('nesting 33 deep inside a valid payload', `{"symbol":"TRXUSDT.P","action":"open","x":${'['.repeat(33)}${']'.repeat(33)}}`),
    text('unbalanced nesting', '{"a":'.repeat(5_000)),
    text('brackets inside strings only', `{"symbol":"TRXUSDT.P","action":"open","type":"${'['.repeat(60)}"}`),
    // ── numbers ──
    text('price 1e400 (Infinity after JSON.parse)', '{"symbol":"TRXUSDT.P","action":"open","price":1e400}'),
    text('size -1e400', '{"symbol":"TRXUSDT.P","action":"open","position":{"side":"long","size":-1e400}}'),
    text('strength 1e-400 (underflows to 0)', '{"symbol":"TRXUSDT.P","action":"open","strength":1e-400}'),
    text('leverage 1e308', '{"symbol":"TRXUSDT.P","action":"open","position":{"side":"long","size":1,"leverage":1e308}}'),
    text('a 400-digit integer', `{"symbol":"TRXUSDT.P","action":"open","price":${'9'.repeat(400)}}`),
    text('NaN literal', '{"symbol":"TRXUSDT.P","action":"open","price":NaN}'),
    text('Infinity literal', '{"symbol":"TRXUSDT.P","action":"open","price":Infinity}'),
    json('"Infinity" as a string', { ...VALID, price: 'Infinity' }),
    json('"NaN" as a string', { ...VALID, strength: 'NaN' }),
    json('"1e400" as a string', { ...VALID, price: '1e400' }),
    json('hex number as a string', { ...VALID, price: '0x10' }),
    json('empty string as a number', { ...VALID, price: '' }),
    json('negative zero size', { ...VALID, position: { side: 'long', size: -0 } }),
    json('time 1e20', { ...VALID, time: 1e20 }),
    json('time -1', { ...VALID, time: -1 }),
    json('time not a date', { ...VALID, time: '2026-13-45T99:99:99Z' }),
    // ── prototype keys ──
    text('__proto__ with a polluting object', '{"__proto__":{"polluted":"yes"},"symbol":"TRXUSDT.P","action":"open"}'),
    text('constructor.prototype pollution', '{"constructor":{"prototype":{"polluted":"yes"}},"symbol":"TRXUSDT.P","action":"open"}'),
    text('__proto__ inside position', '{"symbol":"TRXUSDT.P","action":"open","position":{"__proto__":{"side":"long","size":5},"polluted":"yes"}}'),
    text('__proto__ as the symbol', '{"symbol":"__proto__","action":"open"}'),
    text('constructor as the action', '{"symbol":"TRXUSDT.P","action":"constructor"}'),
    json('__proto__ as the account', { ...VALID, account: '__proto__' }),
    json('constructor as the account', { ...VALID, account: 'constructor' }),
    json('toString as the id', { ...VALID, id: 'toString' }),
    text('__proto__ passphrase', '{"__proto__":{"passphrase":"x"},"symbol":"TRXUSDT.P","action":"open"}'),
    // ── encodings ──
    bytes('invalid UTF-8 (0xff 0xfe)', [0xff, 0xfe, 0x7b, 0x7d]),
    bytes('overlong encoding of "/"', Buffer.concat([Buffer.from('{"symbol":"TRXUSDT.P","action":"open","type":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), true),
    bytes('a lone surrogate encoded in UTF-8', Buffer.concat([Buffer.from('{"symbol":"TRXUSDT.P","action":"open","type":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), true),
    bytes('truncated multibyte sequence', Buffer.concat([Buffer.from('{"symbol":"TRXUSDT.P","action":"open","type":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), true),
    bytes('UTF-16LE body', Buffer.from('{"symbol":"TRXUSDT.P","action":"open"}', 'utf16le')),
    bytes('a BOM alone', [0xef, 0xbb, 0xbf]),
    bytes('NUL bytes', [0, 0, 0, 0]),
    json('NUL inside the symbol', { symbol: 'TRX\u0000USDT', action: 'open' }),
    json('control characters in the type', { ...VALID, type: 'a\u0007\u001b[31mred' }),
    json('right-to-left override in the type', { ...VALID, type: 'abc\u202edef' }),
    json('escaped lone surrogate in the type', { ...VALID, type: '\ud800' }),
    // ── sizes ──
    json('a 60 000-character type', { ...VALID, type: big }),
    json('a 60 000-character symbol', { symbol: big, action: 'open' }),
    json('a 60 000-character id', { ...VALID, id: big }),
    json('3 000 unknown keys', Object.fromEntries([...Object.entries(VALID), ...Array.from({ length: 3_000 }, (_, i) => [`k${i}`, i])])),
    text('70 KiB body (over the 64 KiB limit)', `{"symbol":"TRXUSDT.P","action":"open","type":"${'y'.repeat(70 * 1024)}"}`),
    text('2 MiB body', `{"pad":"${'z'.repeat(2 * 1024 * 1024)}"}`),
    // ── wrong types and shapes ──
    text('empty body', ''),
    text('whitespace only', ' \n\t '),
    text('JSON null', 'null'),
    text('JSON array', '[]'),
    text('JSON string', '"TRXUSDT.P"'),
    text('JSON number', '42'),
    text('JSON true', 'true'),
    text('trailing garbage', '{"symbol":"TRXUSDT.P","action":"open"} trailing'),
    text('two objects', '{"symbol":"TRXUSDT.P","action":"open"}{"symbol":"TRXUSDT.P","action":"open"}'),
    text('duplicate keys', '{"symbol":"TRXUSDT.P","action":"open","action":"close","action":"nuke"}'),
    json('symbol a number', { symbol: 123, action: 'open' }),
    json('action an array', { symbol: 'TRXUSDT.P', action: ['open'] }),
    json('symbol an operator object', { symbol: { $gt: '' }, action: 'open' }),
    json('position a string', { ...VALID, position: 'long' }),
    json('position an array', { ...VALID, position: [1, 2] }),
    json('position null', { ...VALID, position: null }),
    json('strength true', { ...VALID, strength: true }),
    json('strength "0.5abc"', { ...VALID, strength: '0.5abc' }),
    json('side "both"', { ...VALID, position: { side: 'both', size: 1 } }),
    json('passphrase a number', { ...VALID, passphrase: 12345 }),
    json('passphrase an object', { ...VALID, passphrase: { toString: 'x' } }),
    text('single quotes', "{'symbol':'TRXUSDT.P','action':'open'}"),
    text('comments', '{/* hi */"symbol":"TRXUSDT.P","action":"open"}'),
    text('form-encoded', 'symbol=TRXUSDT.P&action=open'),
    text('XML', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'),
  ];
}
