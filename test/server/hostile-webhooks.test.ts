/**
 * Hostile input through the real Fastify server (testServer, fastify.inject): a corpus of
 * hostile bodies and property-based requests over bodies, headers and the three schemes.
 * Whatever arrives: never a 5xx, never a crash, an answer of one line, and every
 * rejection recorded in the journal with the code and status it was answered with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { signGithub } from '../../src/ingest/schemes/github.ts';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import { TEST_SECRET } from '../helpers/service-process.ts';
import { GITHUB_SECRET, testServer, TV_PASSPHRASE } from '../helpers/server.ts';
import { hostileBodies } from './hostile-corpus.ts';

type Server = ReturnType<typeof testServer>;
type Scheme = 'standard' | 'github' | 'tradingview';
const ROUTE: Record<Scheme, string> = { standard: '/webhooks/default', github: '/webhooks/gh', tradingview: '/webhooks/tv' };
const PAYLOAD_KEYS = new Set(['id', 'account', 'symbol', 'action', 'type', 'strength', 'price', 'time', 'position']);
const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype).sort();

/** Authentication as a legitimate sender of `scheme` would add it; the body is sent as is. */
function authenticated(s: Server, scheme: Scheme, body: Buffer, object: boolean, id = `msg_${Math.random().toString(36).slice(2)}`): { headers: Record<string, string>; body: Buffer } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (scheme === 'standard') {
    const ts = Math.floor(s.clock.now() / 1000);
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = String(ts);
    headers['webhook-signature'] = signStandard(TEST_SECRET, id, ts, body);
  } else if (scheme === 'github') {
    headers['x-hub-signature-256'] = signGithub(GITHUB_SECRET, body);
  } else if (object) {
    const at = body.indexOf('{') + 1;
    body = Buffer.concat([body.subarray(0, at), Buffer.from(`"passphrase":${JSON.stringify(TV_PASSPHRASE)},`), body.subarray(at)]);
  }
  return { headers, body };
}

async function latestRejection(s: Server) {
  return (await s.journal.listRejections(1))[0];
}

/** Rejections are group-committed on a later turn of the event loop: wait for that turn. */
async function rejectionAfter(s: Server, seq: number) {
  for (let i = 0; i < 50; i++) {
    const latest = await latestRejection(s);
    if ((latest?.seq ?? 0) > seq) return latest;
    await new Promise((r) => setImmediate(r));
  }
  return latestRejection(s);
}

/**
 * Sends one request and checks the promises that hold for every request: no 5xx, a JSON
 * answer, a one-line reason without a stack trace, a rejection recorded iff rejected, and
 * an accepted signal that holds only known, own payload fields.
 */
async function sendAndCheck(s: Server, url: string, headers: Record<string, string>, payload: Buffer, what: string): Promise<number> {
  const before = await latestRejection(s);
  s.clock.advance(5); // keeps the rate limiter's bucket from emptying over hundreds of requests
  const res = await s.app.inject({ method: 'POST', url, headers, payload });
  assert.ok(res.statusCode < 500, `${what}: ${res.statusCode} ${res.body}`);
  const answer = res.json() as { error?: string; message?: string; id?: string };
  const after = await rejectionAfter(s, before?.seq ?? 0);
  if (res.statusCode >= 400) {
    assert.match(answer.error ?? '', /^HH_ERR_[A-Z_]+$/, what);
    assert.equal(typeof answer.message, 'string', what);
    assert.doesNotMatch(answer.message!, /\n|\bat \S+ \(|node:internal/, `${what}: one line, no stack trace`);
    assert.ok(after && after.seq === (before?.seq ?? 0) + 1, `${what}: the rejection was not recorded`);
    assert.equal(after.code, answer.error, what);
    assert.equal(after.status, res.statusCode, what);
  } else {
    assert.ok(res.statusCode === 202 || res.statusCode === 200, `${what}: ${res.statusCode}`);
    assert.equal(after?.seq, before?.seq, `${what}: accepted yet recorded as a rejection`);
    const stored = await s.journal.getSignal(answer.id!);
    assert.ok(stored, `${what}: acknowledged but not journaled`);
    for (const key of Object.keys(stored.payload)) assert.ok(PAYLOAD_KEYS.has(key), `${what}: stored payload kept "${key}"`);
    assert.equal(Object.getPrototypeOf(stored.payload), Object.prototype, what);
    assert.ok(!JSON.stringify(stored).includes(TV_PASSPHRASE), `${what}: passphrase stored`);
  }
  return res.statusCode;
}

function assertNoPollution() {
  assert.deepEqual(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_NAMES, 'Object.prototype changed');
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted');
}

test('the hostile corpus, authenticated through each scheme: no 5xx, each rejection recorded, nothing polluted', async () => {
  const s = testServer();
  const statuses = new Map<string, number[]>();
  for (const hostile of hostileBodies()) {
    const got: number[] = [];
    for (const scheme of ['standard', 'github', 'tradingview'] as const) {
      const req = authenticated(s, scheme, hostile.body, hostile.object);
      got.push(await sendAndCheck(s, ROUTE[scheme], req.headers, req.body, `${hostile.name} (${scheme})`));
    }
    statuses.set(hostile.name, got);
  }
  assertNoPollution();
  // Spot checks that the corpus reaches the check it aims at.
  assert.deepEqual(statuses.get('2 MiB body'), [413, 413, 413]);
  assert.deepEqual(statuses.get('arrays nested 30 000 deep'), [400, 400, 401]);
  assert.deepEqual(statuses.get('price 1e400 (Infinity after JSON.parse)'), [400, 400, 400]);
  assert.deepEqual(statuses.get('invalid UTF-8 (0xff 0xfe)'), [400, 400, 401]);
  assert.deepEqual(statuses.get('constructor.prototype pollution'), [202, 202, 202]);
  const health = await s.app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(health.statusCode, 200);
});

test('the hostile corpus without credentials: 401 (or 413 for what is too large to read), every one recorded', async () => {
  const s = testServer();
  for (const hostile of hostileBodies()) {
    for (const scheme of ['standard', 'github', 'tradingview'] as const) {
      const status = await sendAndCheck(s, ROUTE[scheme], { 'content-type': 'application/json' }, hostile.body, `${hostile.name} (${scheme}, no credentials)`);
      assert.ok(status === 401 || status === 413, `${hostile.name} (${scheme}): ${status}`);
    }
  }
  assertNoPollution();
});

/** Header values Node accepts on the wire: tab, printable ASCII and latin1 (no CR/LF/NUL). */
const headerChar = fc.constantFrom(...'\t !"#$%&\'()*+,-./0123456789:;<=>?@AZaz[\\]^_`{|}~\u00a0\u00ff'.split(''));
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((v) => v.replace(/[\r\n\0]/g, ' ')),
  fc.constantFrom('', ' ', '-1', '0', '1e309', '99999999999999999999', 'v1,', 'v1,====', 'sha256=', `sha256=${'g'.repeat(64)}`),
);
const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'passphrase', 'symbol', 'action', 'position', 'price');
const jsonish = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    fc.double(),
    fc.constantFrom('TRXUSDT.P', 'open', 'close', 'long', '1e400', 'NaN', '', '__proto__'),
    fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 6 }),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
})).value;
const payloadish = fc.record(
  {
    symbol: fc.oneof(fc.constantFrom('TRXUSDT.P', 'BINANCE:TRXUSDT.P', 'TRX/USDT:USDT'), jsonish),
    action: fc.oneof(fc.constantFrom('open', 'add', 'reduce', 'close', 'update', 'buy', 'sell'), jsonish),
    strength: fc.oneof(fc.double(), jsonish),
    price: fc.oneof(fc.double(), jsonish),
    position: fc.oneof(fc.record({ side: fc.constantFrom('long', 'short', 'flat', 'up'), size: fc.double(), leverage: fc.double() }, { requiredKeys: [] }), jsonish),
    extra: jsonish,
  },
  { requiredKeys: [] },
);

test('property: any bytes, content type and headers, authenticated or not, on each scheme: never a 5xx, every rejection recorded', async () => {
  const s = testServer();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Scheme>('standard', 'github', 'tradingview'),
      fc.oneof(fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)), fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? ''))),
      fc.boolean(),
      fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset="utf-8"', ''),
      fc.dictionary(fc.constantFrom('webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-hub-signature-256', 'x-github-delivery', 'x-forwarded-for', 'authorization'), headerValue, { maxKeys: 4 }),
      async (scheme, body, sign, contentType, extra) => {
        const req = sign ? authenticated(s, scheme, body, body[0] === 0x7b) : { headers: {} as Record<string, string>, body };
        const headers: Record<string, string> = { ...req.headers, ...extra };
        if (contentType) headers['content-type'] = contentType;
        else delete headers['content-type'];
        await sendAndCheck(s, ROUTE[scheme], headers, req.body, `${scheme} ${JSON.stringify(headers)} ${req.body.toString('hex').slice(0, 80)}`);
      },
    ),
    { numRuns: 300 },
  );
  assertNoPollution();
});

test('property: payload-shaped JSON with hostile keys and values, authenticated on each scheme: 202, 200 or 400 only', async () => {
  const s = testServer();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom<Scheme>('standard', 'github', 'tradingview'), payloadish, async (scheme, value) => {
      const req = authenticated(s, scheme, Buffer.from(JSON.stringify(value)), true);
      const status = await sendAndCheck(s, ROUTE[scheme], req.headers, req.body, `${scheme} ${JSON.stringify(value).slice(0, 300)}`);
      assert.ok([200, 202, 400].includes(status), `${scheme}: ${status} for ${JSON.stringify(value).slice(0, 300)}`);
    }),
    { numRuns: 300 },
  );
  assertNoPollution();
});

test('property: a signature or passphrase that is not exactly right is refused with 401, on every scheme', async () => {
  const s = testServer();
  const body = Buffer.from(JSON.stringify({ symbol: 'TRXUSDT.P', action: 'open' }));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom<Scheme>('standard', 'github', 'tradingview'),
      headerValue,
      fc.integer({ min: 0, max: 63 }),
      async (scheme, junk, flip) => {
        const good = authenticated(s, scheme, body, true);
        const headers = { ...good.headers };
        let sent = good.body;
        if (scheme === 'standard') {
          // A junk signature list, or the right MAC with one base64 character changed. Not
          // the last one before "=": it holds 2 bits of the MAC and 4 padding bits, and a
          // change in the padding bits decodes to the same MAC (the same signature).
          const right = headers['webhook-signature']!;
          const i = 3 + (flip % 42);
          const changed = right.slice(0, i) + (right[i] === 'A' ? 'B' : 'A') + right.slice(i + 1);
          headers['webhook-signature'] = flip % 2 ? junk : changed;
        } else if (scheme === 'github') {
          const right = headers['x-hub-signature-256']!;
          const i = 7 + flip;
          const changed = right.slice(0, i) + (right[i] === '0' ? '1' : '0') + right.slice(i + 1);
          headers['x-hub-signature-256'] = flip % 2 ? junk : changed;
        } else {
          const wrong = flip % 2 ? junk : TV_PASSPHRASE.slice(0, flip % TV_PASSPHRASE.length) + (flip % 3 ? ' ' : '');
          fc.pre(wrong !== TV_PASSPHRASE);
          sent = Buffer.from(JSON.stringify({ passphrase: wrong, symbol: 'TRXUSDT.P', action: 'open' }));
        }
        const status = await sendAndCheck(s, ROUTE[scheme], headers, sent, `${scheme} ${JSON.stringify(headers)}`);
        assert.equal(status, 401);
      },
    ),
    { numRuns: 200 },
  );
});
