/**
 * The exchange profiles by ccxt id. Add one line per profile file in this folder; an
 * exchange missing here trades through `genericProfile` (unified ccxt params).
 */
import { genericProfile, type ExchangeProfile } from '../profile.ts';
import { binanceusdm } from './binanceusdm.ts';
import { bybit } from './bybit.ts';
import { okx } from './okx.ts';

const PROFILES: Readonly<Record<string, ExchangeProfile>> = {
  binanceusdm,
  okx,
  bybit,
};

export function profileFor(exchangeId: string): ExchangeProfile {
  return PROFILES[exchangeId] ?? genericProfile(exchangeId);
}
