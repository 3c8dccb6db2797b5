/**
 * What every OrderStore's totalsBySignal must give, whichever store sums: shared by the
 * memory and SQLite order-store tests and the PostgreSQL one.
 */
import assert from 'node:assert/strict';
import type { OrderLeg, OrderStore } from '../../src/core/orders.ts';

/** `leg(n, over)` makes leg n of one signal; the fees and prices below are exact in binary. */
export async function assertTotalsBySignal(store: OrderStore, leg: (n: number, over?: Partial<OrderLeg>) => OrderLeg): Promise<void> {
  const sig = leg(0).signalId;
  await store.save(leg(0, { status: 'filled', filled: 100, averagePrice: 0.25, fee: 0.5 }));
  await store.save(leg(1, { status: 'filled', filled: 200, averagePrice: 0.5, fee: 0.25 }));
  // Nothing filled yet: no average price, counted as a leg, adding no notional.
  await store.save(leg(2, { status: 'open', fee: 0.125 }));
  await store.save(leg(3, { signalId: 'sig_other', clientOrderId: 'hh-other-0', status: 'filled', filled: 8, averagePrice: 2, fee: 1 }));
  await store.save(leg(4, { signalId: 'sig_unasked', clientOrderId: 'hh-unasked-0', status: 'filled', filled: 1, averagePrice: 1, fee: 1 }));
  const totals = await store.totalsBySignal([sig, 'sig_other', 'sig_without_legs']);
  assert.deepEqual(
    [...totals].sort((a, b) => a.signalId.localeCompare(b.signalId)),
    [
      { signalId: sig, legs: 3, fees: 0.875, filledNotional: 125 },
      { signalId: 'sig_other', legs: 1, fees: 1, filledNotional: 16 },
    ].sort((a, b) => a.signalId.localeCompare(b.signalId)),
  );
  // A fill reported later changes the totals.
  await store.save(leg(2, { status: 'filled', filled: 4, averagePrice: 0.25, fee: 0.125 }));
  assert.deepEqual(await store.totalsBySignal([sig]), [{ signalId: sig, legs: 3, fees: 0.875, filledNotional: 126 }]);
  assert.deepEqual(await store.totalsBySignal([]), []);
}
