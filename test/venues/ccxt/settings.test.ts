import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ccxtVenueSettingsSchema, credentialEnvNames, credentialsFromEnv, parseCcxtVenueSettings } from '../../../src/venues/ccxt/settings.ts';
import { hedgePositionSide } from '../../../src/venues/ccxt/profile.ts';

test('the short form gets the defaults: TRX perpetual, 3 s timeout, no sandbox', () => {
  assert.deepEqual(parseCcxtVenueSettings({ id: 'binance', kind: 'ccxt', exchange: 'binanceusdm' }), {
    id: 'binance',
    kind: 'ccxt',
    exchange: 'binanceusdm',
    symbols: ['TRX/USDT:USDT'],
    timeoutMs: 3000,
    sandbox: false,
  });
});

test('mistakes are refused field by field, and keys cannot be put in the file', () => {
  const bad = ccxtVenueSettingsSchema.safeParse({
    id: 'bin ance',
    kind: 'ccxt',
    exchange: 'Binance USDM',
    leverage: 0,
    positionMode: 'both',
    timeoutMs: 10,
    secret: 'do-not-put-me-here',
  });
  assert.equal(bad.success, false);
  const paths = bad.error!.issues.map((i) => i.path.join('.') || i.message).sort();
  assert.deepEqual(paths, ['exchange', 'id', 'leverage', 'positionMode', 'timeoutMs', 'Unrecognized key: "secret"'].sort());
});

test('keys come from HEDGEHOOK_<ID>_API_KEY / _SECRET / _PASSWORD, empty ones ignored', () => {
  assert.deepEqual(credentialEnvNames('okx-main'), {
    apiKey: 'HEDGEHOOK_OKX_MAIN_API_KEY',
    secret: 'HEDGEHOOK_OKX_MAIN_SECRET',
    password: 'HEDGEHOOK_OKX_MAIN_PASSWORD',
  });
  const env = { HEDGEHOOK_OKX_MAIN_API_KEY: 'k', HEDGEHOOK_OKX_MAIN_SECRET: 's', HEDGEHOOK_OKX_MAIN_PASSWORD: '' };
  assert.deepEqual(credentialsFromEnv('okx-main', env), { apiKey: 'k', secret: 's' });
});

test('hedge mode: the position side is the one the order opens, or the one it reduces', () => {
  assert.equal(hedgePositionSide('buy', false), 'long');
  assert.equal(hedgePositionSide('sell', false), 'short');
  assert.equal(hedgePositionSide('sell', true), 'long');
  assert.equal(hedgePositionSide('buy', true), 'short');
});
