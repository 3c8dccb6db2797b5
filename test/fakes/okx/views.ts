/**
 * The fake's state as OKX's v5 JSON shows it: every number a string, empty strings where
 * OKX leaves a field blank, the same field names (so ccxt's parsers read them as they
 * read the real thing).
 */
import { Decimal } from '../../../src/core/decimal.ts';
import type { OkxAccount, OkxOrder, OkxPosition } from './account.ts';
import type { OkxInstrument } from './instruments.ts';

const PRICE_STEP = '0.000000000001';
const USDT_STEP = '0.00000001';

const s = (d: Decimal | undefined): string => (d === undefined ? '' : d.toString());

export function orderView(o: OkxOrder): Record<string, unknown> {
  const avgPx = o.accFillSz.isZero() ? '' : o.fillValue.divToStep(o.accFillSz, PRICE_STEP, 'half-up').toString();
  return {
    instType: 'SWAP',
    instId: o.instId,
    tgtCcy: '',
    ccy: '',
    ordId: o.ordId,
    clOrdId: o.clOrdId,
    tag: o.tag,
    px: s(o.px),
    pxUsd: '',
    pxVol: '',
    pxType: '',
    sz: o.sz.toString(),
    pnl: o.pnl.toString(),
    ordType: o.ordType,
    side: o.side,
    posSide: o.posSide,
    tdMode: o.tdMode,
    accFillSz: o.accFillSz.toString(),
    fillPx: s(o.fillPx),
    tradeId: o.tradeId,
    fillSz: o.fillSz.toString(),
    fillTime: o.fillTime === undefined ? '' : String(o.fillTime),
    avgPx,
    state: o.state,
    stpId: '',
    stpMode: 'cancel_maker',
    lever: o.lever,
    attachAlgoClOrdId: '',
    tpTriggerPx: '',
    tpTriggerPxType: '',
    tpOrdPx: '',
    slTriggerPx: '',
    slTriggerPxType: '',
    slOrdPx: '',
    attachAlgoOrds: [],
    linkedAlgoOrd: { algoId: '' },
    feeCcy: 'USDT',
    fee: o.fee.toString(),
    rebateCcy: 'USDT',
    rebate: '0',
    source: '',
    category: 'normal',
    reduceOnly: String(o.reduceOnly),
    isTpLimit: 'false',
    cancelSource: '',
    cancelSourceReason: '',
    quickMgnType: '',
    algoClOrdId: '',
    algoId: '',
    uTime: String(o.uTime),
    cTime: String(o.cTime),
  };
}

export function positionView(account: OkxAccount, p: OkxPosition, inst: OkxInstrument): Record<string, unknown> {
  const last = account.market.last;
  const notional = p.pos.abs().mul(inst.ctVal).mul(last);
  const imr = account.imrOf(p);
  const upl = account.uplOf(p);
  // A flat 0.5% maintenance rate: TRX's first tier, close enough for a fake.
  const mmr = notional.mul('0.005').roundToStep(USDT_STEP, 'up');
  return {
    adl: '1',
    availPos: p.pos.abs().toString(),
    avgPx: p.avgPx.toString(),
    baseBal: '',
    bePx: '',
    cTime: String(p.cTime),
    ccy: 'USDT',
    closeOrderAlgo: [],
    deltaBS: '',
    deltaPA: '',
    fee: '',
    fundingFee: '',
    imr: imr.toString(),
    instId: p.instId,
    instType: 'SWAP',
    interest: '',
    last: last.toString(),
    lever: account.leverOf(p.instId, p.mgnMode, p.posSide),
    liab: '',
    liabCcy: '',
    liqPenalty: '',
    liqPx: '',
    margin: '',
    markPx: last.toString(),
    mgnMode: p.mgnMode,
    mgnRatio: '',
    mmr: mmr.toString(),
    notionalUsd: notional.toString(),
    optVal: '',
    pendingCloseOrdLiabVal: '',
    pnl: '',
    pos: p.pos.toString(),
    posCcy: '',
    posId: p.posId,
    posSide: p.posSide,
    quoteBal: '',
    realizedPnl: '',
    spotInUseAmt: '',
    tradeId: '',
    uTime: String(p.uTime),
    upl: upl.toString(),
    uplLastPx: upl.toString(),
    uplRatio: imr.isZero() ? '0' : upl.divToStep(imr, USDT_STEP, 'half-up').toString(),
    usdPx: '',
  };
}

export function balanceView(account: OkxAccount, now: number): Record<string, unknown> {
  const eq = account.equity();
  const imr = account.imr();
  const frozen = account.ordFrozen();
  const avail = account.available();
  const upl = account.upl();
  const mmr = account.openPositions().reduce((t, p) => t.add(p.pos.abs().mul(account.instrument(p.instId)!.ctVal).mul(account.market.last).mul('0.005')), Decimal.ZERO);
  return {
    adjEq: '',
    availEq: '',
    borrowFroz: '',
    imr: imr.toString(),
    isoEq: '0',
    mgnRatio: '',
    mmr: mmr.toString(),
    notionalUsd: '',
    ordFroz: frozen.toString(),
    totalEq: eq.toString(),
    uTime: String(now),
    upl: upl.toString(),
    details: [
      {
        availBal: avail.toString(),
        availEq: avail.toString(),
        cashBal: account.cashBal.toString(),
        ccy: 'USDT',
        crossLiab: '',
        disEq: eq.toString(),
        eq: eq.toString(),
        eqUsd: eq.toString(),
        fixedBal: '0',
        frozenBal: imr.add(frozen).toString(),
        imr: imr.toString(),
        interest: '',
        isoEq: '0',
        isoLiab: '',
        isoUpl: '0',
        liab: '',
        maxLoan: '',
        mgnRatio: '',
        mmr: mmr.toString(),
        notionalLever: '',
        ordFrozen: frozen.toString(),
        spotInUseAmt: '',
        stgyEq: '0',
        twap: '0',
        uTime: String(now),
        upl: upl.toString(),
        uplLiab: '',
      },
    ],
  };
}

export function configView(account: OkxAccount): Record<string, unknown> {
  return {
    acctLv: '2',
    acctStpMode: 'cancel_maker',
    autoLoan: false,
    ctIsoMode: 'automatic',
    enableSpotBorrow: false,
    greeksType: 'PA',
    ip: '',
    type: '0',
    kycLv: '2',
    label: 'hedgehook fake',
    level: 'Lv1',
    levelTmp: '',
    liquidationGear: '-1',
    mainUid: '44705892343619584',
    mgnIsoMode: 'automatic',
    opAuth: '0',
    perm: 'read_only,trade',
    posMode: account.posMode,
    roleType: '0',
    spotBorrowAutoRepay: false,
    spotOffsetType: '',
    spotRoleType: '0',
    spotTraderInsts: [],
    traderInsts: [],
    uid: '44705892343619584',
    settleCcy: 'USDT',
    settleCcyList: ['USD', 'USDC', 'USDG'],
  };
}

export function tickerView(account: OkxAccount, instId: string, now: number): Record<string, unknown> {
  const { bid, ask, last } = account.market;
  return {
    instType: 'SWAP',
    instId,
    last: last.toString(),
    lastSz: '1',
    askPx: ask.toString(),
    askSz: '500',
    bidPx: bid.toString(),
    bidSz: '500',
    open24h: last.toString(),
    high24h: ask.toString(),
    low24h: bid.toString(),
    volCcy24h: '0',
    vol24h: '0',
    ts: String(now),
    sodUtc0: last.toString(),
    sodUtc8: last.toString(),
  };
}

/** Five levels a tick apart on each side, 500 contracts each. */
export function booksView(account: OkxAccount, inst: OkxInstrument, depth: number, now: number): Record<string, unknown> {
  const levels = Math.max(1, Math.min(depth, 5));
  const side = (from: Decimal, dir: 1 | -1) =>
    Array.from({ length: levels }, (_, i) => [from.add(Decimal.from(inst.tickSz).mul(i * dir)).toString(), '500', '0', '3']);
  return { asks: side(account.market.ask, 1), bids: side(account.market.bid, -1), ts: String(now) };
}

/** GET /api/v5/asset/currencies: ccxt's okx calls it inside loadMarkets when it has keys. */
export const CURRENCIES = [
  { ccy: 'USDT', chain: 'USDT-TRC20', name: 'Tether', canDep: true, canWd: true, canInternal: true, minWd: '2', maxWd: '10000000', wdTickSz: '6', minFee: '1.5', maxFee: '3', mainNet: false },
  { ccy: 'TRX', chain: 'TRX-TRON', name: 'TRON', canDep: true, canWd: true, canInternal: true, minWd: '1', maxWd: '10000000', wdTickSz: '6', minFee: '1', maxFee: '2', mainNet: true },
];
