/**
 * The fake OKX itself, spoken to by hand with fetch: it must check the signature exactly
 * as OKX documents it (a fake that accepts anything would let a signing bug through) and
 * answer in OKX's envelope.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startFakeOkx, TEST_OKX_KEY } from './server.ts';

/** OKX's recipe: Base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath + body)). */
function signed(method: 'GET' | 'POST', path: string, body = '', opts: { at?: number; secret?: string; passphrase?: string } = {}) {
  const timestamp = new Date(opts.at ?? Date.now()).toISOString();
  const sign = createHmac('sha256', opts.secret ?? TEST_OKX_KEY.secret).update(timestamp + method + path + body).digest('base64');
  return {
    method,
    headers: {
      'OK-ACCESS-KEY': TEST_OKX_KEY.apiKey,
      'OK-ACCESS-SIGN': sign,
      'OK-ACCESS-TIMESTAMP': timestamp,
      'OK-ACCESS-PASSPHRASE': opts.passphrase ?? TEST_OKX_KEY.passphrase,
      'Content-Type': 'application/json',
    },
    ...(method === 'POST' ? { body } : {}),
  };
}

test('the signature covers the query string and the raw body; any change, an old timestamp or a wrong passphrase is a 401 with OKX’s code', async () => {
  const fake = await startFakeOkx();
  try {
    const call = async (path: string, init: RequestInit) => {
      const res = await fetch(fake.url + path, init);
      return { status: res.status, body: (await res.json()) as { code: string; msg: string; data: unknown[] } };
    };
    const balance = await call('/api/v5/account/balance?ccy=USDT', signed('GET', '/api/v5/account/balance?ccy=USDT'));
    assert.equal(balance.status, 200);
    assert.equal(balance.body.code, '0');

    // Signed without the query string: OKX signs the path WITH it.
    assert.deepEqual((await call('/api/v5/account/balance?ccy=USDT', signed('GET', '/api/v5/account/balance'))).body, { code: '50113', msg: 'Invalid Sign', data: [] });
    const body = JSON.stringify({ instId: 'TRX-USDT-SWAP', lever: '3', mgnMode: 'cross' });
    const ok = await call('/api/v5/account/set-leverage', signed('POST', '/api/v5/account/set-leverage', body));
    assert.equal(ok.body.code, '0');
    // A signature made for one body does not pass for another.
    const tampered = signed('POST', '/api/v5/account/set-leverage', body);
    const wrongBody = await call('/api/v5/account/set-leverage', { ...tampered, body: body.replace('"3"', '"4"') });
    assert.equal(wrongBody.status, 401);
    assert.equal(wrongBody.body.code, '50113');
    assert.equal(fake.account.leverOf('TRX-USDT-SWAP', 'cross', 'net'), '3');

    const old = await call('/api/v5/account/config', signed('GET', '/api/v5/account/config', '', { at: Date.now() - 31_000 }));
    assert.deepEqual([old.status, old.body.code], [401, '50102']);
    const phrase = await call('/api/v5/account/config', signed('GET', '/api/v5/account/config', '', { passphrase: 'nope' }));
    assert.deepEqual([phrase.status, phrase.body.code], [401, '50105']);
    const secret = await call('/api/v5/account/config', signed('GET', '/api/v5/account/config', '', { secret: 'nope' }));
    assert.deepEqual([secret.status, secret.body.code], [401, '50113']);
    const anonymous = await call('/api/v5/account/config', { method: 'GET' });
    assert.deepEqual([anonymous.status, anonymous.body.code], [401, '50103']);
    // Public routes need no key.
    assert.equal((await call('/api/v5/public/time', { method: 'GET' })).body.code, '0');
  } finally {
    await fake.close();
  }
});

test('orders answer per order (sCode/sMsg under code "1"); sizes are contracts on the 0.1 lot; a query for an unknown clOrdId is 51603', async () => {
  const fake = await startFakeOkx({ usdt: '1000' });
  try {
    const post = async (path: string, payload: unknown) => {
      const body = JSON.stringify(payload);
      return (await (await fetch(fake.url + path, signed('POST', path, body))).json()) as { code: string; msg: string; data: Record<string, string>[] };
    };
    const base = { instId: 'TRX-USDT-SWAP', tdMode: 'cross', side: 'buy', ordType: 'market' };
    const offLot = await post('/api/v5/trade/order', { ...base, sz: '0.25', clOrdId: 'a1' });
    assert.equal(offLot.code, '1');
    assert.equal(offLot.msg, 'All operations failed');
    assert.equal(offLot.data[0]!.sCode, '51121');
    // 1000 USDT at 10x buys at most ~41 contracts (41 000 TRX at 0.24121).
    const tooBig = await post('/api/v5/trade/order', { ...base, sz: '42', clOrdId: 'a2' });
    assert.deepEqual([tooBig.data[0]!.sCode, tooBig.data[0]!.clOrdId], ['51008', 'a2']);
    const placed = await post('/api/v5/trade/order', { ...base, sz: '0.3', clOrdId: 'a3' });
    assert.equal(placed.code, '0');
    assert.equal(placed.data[0]!.sCode, '0');
    const again = await post('/api/v5/trade/order', { ...base, sz: '0.3', clOrdId: 'a3' });
    assert.equal(again.data[0]!.sCode, '51016');

    const path = '/api/v5/trade/order?instId=TRX-USDT-SWAP&clOrdId=a3';
    const order = (await (await fetch(fake.url + path, signed('GET', path))).json()) as { data: Record<string, string>[] };
    assert.equal(order.data[0]!.state, 'filled');
    assert.equal(order.data[0]!.accFillSz, '0.3');
    assert.equal(order.data[0]!.avgPx, '0.24121');
    // Fee: 0.3 contract × 1000 TRX × 0.24121 × 0.05%, negative as OKX shows a charge.
    assert.equal(order.data[0]!.fee, '-0.0361815');
    const missing = '/api/v5/trade/order?instId=TRX-USDT-SWAP&clOrdId=zz9';
    const none = (await (await fetch(fake.url + missing, signed('GET', missing))).json()) as { code: string; msg: string };
    assert.deepEqual(none, { code: '51603', msg: 'Order does not exist', data: [] });
  } finally {
    await fake.close();
  }
});
