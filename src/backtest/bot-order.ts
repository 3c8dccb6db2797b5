/**
 * The strategy's own order for its main position: what a bot sends its exchange before
 * its webhook reaches hedgehook. The engine never places it. The replay puts it on the
 * primary paper venue; the parity test (test/backtest/parity.test.ts) plays the bot live
 * with the same function, so both runs' venues hold the same positions.
 *
 * Rounding: the size is rounded to the instrument's step here (toward zero), the one place
 * a bot's size is rounded.
 */
import { roundAmount, type InstrumentSpec } from '../core/instrument.ts';
import type { SignalPayload } from '../core/signal.ts';
import type { OrderRequest } from '../core/venue.ts';

/** The main position a signal reports (signed base size; flat on `close`); undefined when it says none. */
export function reportedMain(payload: SignalPayload): number | undefined {
  if (payload.action === 'close') return 0;
  const p = payload.position;
  if (!p) return undefined;
  if (p.side === 'flat') return 0;
  return p.side === 'long' ? Math.abs(p.size) : -Math.abs(p.size);
}

export const sideOfSize = (size: number): 'long' | 'short' => (size > 0 ? 'long' : 'short');

/**
 * The market order that moves the main position from `current` to `current + delta`
 * (signed base sizes); undefined when the step rounds it away. In hedge mode the main
 * position has its own side (LONG or SHORT), so a reducing order names the side it closes.
 */
export function botOrder(current: number, delta: number, instrument: InstrumentSpec, hedgeMode: boolean, clientOrderId: string): OrderRequest | undefined {
  const amount = roundAmount(instrument, Math.abs(delta));
  if (!(amount > 0)) return undefined;
  const reducing = current !== 0 && Math.sign(delta) !== Math.sign(current);
  const request: OrderRequest = {
    clientOrderId,
    symbol: instrument.symbol,
    side: delta > 0 ? 'buy' : 'sell',
    amount,
    type: 'market',
    reduceOnly: reducing && amount <= Math.abs(current),
  };
  if (hedgeMode) request.positionSide = reducing ? sideOfSize(current) : sideOfSize(delta);
  return request;
}
