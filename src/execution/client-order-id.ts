/**
 * Client order ids derived from the signal: `hh` + the 20 base32 characters of the signal
 * id + the leg number in base 36 (two characters, legs 0…1295). 24 characters of
 * [a-z0-9], which every exchange we route to accepts (Binance ≤ 36 of [.A-Z:/a-z0-9_-],
 * OKX ≤ 32 alphanumerics, Bybit ≤ 36).
 *
 * Why derived and not random: a retry or a restart recomputes the same id for the same
 * leg, so the venue can be asked "did you get hh…03?" before anything is sent again, and
 * the unique constraint on order legs refuses a second leg with the same id.
 */
import { HedgehookError } from '../core/errors.ts';

const SIGNAL_ID = /^sig_([a-z2-7]{20})$/;
export const MAX_LEGS = 36 * 36;
const CLIENT_ORDER_ID = /^hh([a-z2-7]{20})([0-9a-z]{2})$/;

export function clientOrderId(signalId: string, leg: number): string {
  const m = SIGNAL_ID.exec(signalId);
  if (!m) throw new HedgehookError('HH_ERR_INTERNAL', `not a signal id: ${JSON.stringify(signalId)}`);
  if (!Number.isInteger(leg) || leg < 0 || leg >= MAX_LEGS) {
    throw new HedgehookError('HH_ERR_EXECUTION_INCOMPLETE', `signal ${signalId} would need order leg ${leg}; at most ${MAX_LEGS} legs per signal`, { retryable: false });
  }
  return `hh${m[1]}${leg.toString(36).padStart(2, '0')}`;
}

/** The signal id and leg number of one of our client order ids; undefined for anything else. */
export function parseClientOrderId(id: string): { signalId: string; leg: number } | undefined {
  const m = CLIENT_ORDER_ID.exec(id);
  if (!m) return undefined;
  return { signalId: `sig_${m[1]}`, leg: parseInt(m[2]!, 36) };
}
