/**
 * What GET /api/v5/public/instruments answers for the one swap the fake trades.
 *
 * The numbers are OKX's own for TRX-USDT-SWAP as recorded in ccxt's market snapshot
 * (ccxt/ccxt ts/src/test/static/markets/okx.json): one contract is worth 1000 TRX
 * (ctVal), sizes step by 0.1 contract (lotSz, also minSz: OKX moved most USDT swaps to
 * fractional contracts), prices by 0.00001 USDT (tickSz), up to 50x. So the smallest
 * order is 100 TRX and `sz` is always in contracts, never in TRX.
 */
export interface OkxInstrument {
  instType: 'SWAP';
  instId: string;
  uly: string;
  instFamily: string;
  baseCcy: string;
  quoteCcy: string;
  settleCcy: string;
  ctVal: string;
  ctMult: string;
  ctValCcy: string;
  ctType: 'linear';
  lotSz: string;
  minSz: string;
  tickSz: string;
  lever: string;
  maxLmtSz: string;
  maxMktSz: string;
  [field: string]: string;
}

export const TRX_USDT_SWAP: Readonly<OkxInstrument> = Object.freeze({
  alias: '',
  baseCcy: '',
  category: '1',
  ctMult: '1',
  ctType: 'linear',
  ctVal: '1000',
  ctValCcy: 'TRX',
  expTime: '',
  instFamily: 'TRX-USDT',
  instId: 'TRX-USDT-SWAP',
  instType: 'SWAP',
  lever: '50',
  listTime: '1611916828000',
  lotSz: '0.1',
  maxIcebergSz: '1000000.0000000000000000',
  maxLmtAmt: '20000000',
  maxLmtSz: '1000000',
  maxMktAmt: '',
  maxMktSz: '4000',
  maxStopSz: '4000',
  maxTriggerSz: '1000000.0000000000000000',
  maxTwapSz: '1000000.0000000000000000',
  minSz: '0.1',
  optType: '',
  quoteCcy: '',
  ruleType: 'normal',
  settleCcy: 'USDT',
  state: 'live',
  stk: '',
  tickSz: '0.00001',
  uly: 'TRX-USDT',
});
