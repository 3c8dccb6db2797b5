import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normaliseSymbol, tryNormaliseSymbol } from '../../src/ingest/symbol.ts';
import { throwsCode } from './fixtures.ts';

const TABLE: [string, string][] = [
  ['TRXUSDT', 'TRX/USDT:USDT'],
  ['TRXUSDT.P', 'TRX/USDT:USDT'],
  ['BINANCE:TRXUSDT.P', 'TRX/USDT:USDT'],
  ['BYBIT:TRXUSDT.P', 'TRX/USDT:USDT'],
  ['TRXUSDTPERP', 'TRX/USDT:USDT'],
  ['TRXUSDT-PERP', 'TRX/USDT:USDT'],
  ['trxusdt', 'TRX/USDT:USDT'],
  [' trxusdt.p ', 'TRX/USDT:USDT'],
  ['TRX/USDT', 'TRX/USDT:USDT'],
  ['trx/usdt', 'TRX/USDT:USDT'],
  ['TRX/USDT:USDT', 'TRX/USDT:USDT'],
  ['BTCUSDC.P', 'BTC/USDC:USDC'],
  ['BTCFDUSD', 'BTC/FDUSD:FDUSD'],
  ['ETHBUSD', 'ETH/BUSD:BUSD'],
  ['BTCTUSD', 'BTC/TUSD:TUSD'],
  ['BTCUSD', 'BTC/USD:USD'],
  ['USDCUSDT', 'USDC/USDT:USDT'],
  ['1000PEPEUSDT.P', '1000PEPE/USDT:USDT'],
  ['TRX-USDT', 'TRX/USDT:USDT'],
  ['TRX_USDT', 'TRX/USDT:USDT'],
  ['TRX-USDT-SWAP', 'TRX/USDT:USDT'],
  ['OKX:TRX-USDT-SWAP', 'TRX/USDT:USDT'],
];

const REJECTED = [
  '',
  'USDT',
  'USDTUSDT',
  'TRX',
  'TRXEUR',
  'ETHBTC',
  'TRX/USDT:TRX', // inverse
  'BTC/USD:BTC', // inverse
  'BTC/USDT:USDT-250328', // dated future
  'TRX/',
  '/USDT',
  'A:B:TRXUSDT',
  'TRX USDT',
  'TRX$USDT',
  '{{ticker}}',
  'X'.repeat(65),
  'ABCDEFGHIJKLMNOPQRSTUVWXYZUSDT', // base longer than 20
];

describe('symbol normalisation', () => {
  for (const [input, expected] of TABLE) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(normaliseSymbol(input), expected));
  }

  it('is idempotent on its output', () => {
    for (const [, expected] of TABLE) assert.equal(normaliseSymbol(expected), expected);
  });

  it('refuses unrecognisable tickers with a validation error naming the field', () => {
    for (const input of REJECTED) {
      assert.equal(tryNormaliseSymbol(input), undefined, input);
      throwsCode(() => normaliseSymbol(input), 'HH_ERR_INVALID_PAYLOAD', /^symbol: /);
    }
  });
});
