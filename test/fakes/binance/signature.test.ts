/**
 * The fake's SIGNED-endpoint check against Binance's own documented example
 * (USDⓈ-M futures "General Info → SIGNED Endpoint Examples for POST /fapi/v1/order").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binanceSignature, checkSignedRequest, totalParams, type SignedRequest } from './signature.ts';

const DOC_API_KEY = 'dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83';
const DOC_SECRET = '2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9';
const DOC_PARAMS = 'symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943';
const DOC_SIGNATURE = '3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9';
const DOC_TIME = 1591702613943;
const KEYS = [{ apiKey: DOC_API_KEY, secret: DOC_SECRET }];

function request(rawQuery: string, rawBody = '', apiKeyHeader = DOC_API_KEY): SignedRequest {
  const params = { ...Object.fromEntries(new URLSearchParams(rawBody)), ...Object.fromEntries(new URLSearchParams(rawQuery)) };
  return { apiKeyHeader, rawQuery, rawBody, params };
}

test("Binance's documented HMAC example gives the documented signature", () => {
  assert.equal(binanceSignature(DOC_SECRET, DOC_PARAMS), DOC_SIGNATURE);
});

test('the signed text is query then body, as sent, without the signature (documented example 3)', () => {
  // The docs' example 3 splits the parameters between query and body; totalParams is the two
  // joined with no '&' ("There is no & between "GTC" and "quantity=1""). Its body, as printed
  // in the docs, has a space after "timestamp="; the documented signature is over exactly that.
  const query = 'symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC';
  const body = 'quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943';
  const { text, signature } = totalParams(query, `${body}&signature=f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2`);
  assert.equal(text, `${query}${body}`);
  assert.equal(signature, 'f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2');
  assert.equal(binanceSignature(DOC_SECRET, text), signature);
});

test('the documented request passes as a query string and as a body, on time', () => {
  assert.equal(checkSignedRequest(KEYS, request(`${DOC_PARAMS}&signature=${DOC_SIGNATURE}`), DOC_TIME + 10), undefined);
  assert.equal(checkSignedRequest(KEYS, request('', `${DOC_PARAMS}&signature=${DOC_SIGNATURE}`), DOC_TIME + 10), undefined);
  // "The signature is not case sensitive."
  assert.equal(checkSignedRequest(KEYS, request(`${DOC_PARAMS}&signature=${DOC_SIGNATURE.toUpperCase()}`), DOC_TIME), undefined);
});

test('a changed parameter, a wrong key or no key are refused with the codes Binance uses', () => {
  const tampered = request(`${DOC_PARAMS.replace('quantity=1', 'quantity=2')}&signature=${DOC_SIGNATURE}`);
  assert.deepEqual(checkSignedRequest(KEYS, tampered, DOC_TIME), { status: 400, code: -1022, msg: 'Signature for this request is not valid.' });
  const otherKey = request(`${DOC_PARAMS}&signature=${DOC_SIGNATURE}`, '', 'someone-else');
  assert.equal(checkSignedRequest(KEYS, otherKey, DOC_TIME)?.code, -2015);
  const noKey = { ...request(`${DOC_PARAMS}&signature=${DOC_SIGNATURE}`), apiKeyHeader: undefined };
  assert.equal(checkSignedRequest(KEYS, noKey, DOC_TIME)?.code, -2014);
  assert.equal(checkSignedRequest(KEYS, request(DOC_PARAMS), DOC_TIME)?.code, -1102); // no signature at all
});

test('timing: timestamp < serverTime + 1000 and serverTime − timestamp ≤ recvWindow (5000 by default, at most 60000)', () => {
  const signed = (params: string) => request(`${params}&signature=${binanceSignature(DOC_SECRET, params)}`);
  const docRequest = signed(DOC_PARAMS); // recvWindow=5000
  assert.equal(checkSignedRequest(KEYS, docRequest, DOC_TIME + 5000), undefined);
  assert.equal(checkSignedRequest(KEYS, docRequest, DOC_TIME + 5001)?.code, -1021);
  assert.equal(checkSignedRequest(KEYS, docRequest, DOC_TIME - 999), undefined);
  assert.equal(checkSignedRequest(KEYS, docRequest, DOC_TIME - 1000)?.code, -1021);
  const noWindow = signed(DOC_PARAMS.replace('&recvWindow=5000', ''));
  assert.equal(checkSignedRequest(KEYS, noWindow, DOC_TIME + 5000), undefined);
  assert.equal(checkSignedRequest(KEYS, noWindow, DOC_TIME + 5001)?.code, -1021);
  const wide = signed(DOC_PARAMS.replace('recvWindow=5000', 'recvWindow=60001'));
  assert.equal(checkSignedRequest(KEYS, wide, DOC_TIME)?.code, -1131);
});
