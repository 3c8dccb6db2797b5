/** A paper venue on a ManualClock, priced by a static feed at 0.24 (TRX/USDT:USDT). */
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/core/clock.ts';
import { seededRandom } from '../../../src/core/random.ts';
import { isVenueError, type OrderRequest, type VenueErrorClass } from '../../../src/core/venue.ts';
import type { ErrorCode } from '../../../src/core/errors.ts';
import { createStaticFeed } from '../../../src/marketdata/static.ts';
import { createPaperVenue, type PaperVenueDeps, type PaperVenueSettingsInput } from '../../../src/venues/paper/index.ts';

export const TRX = 'TRX/USDT:USDT';
/** 2026-01-01 01:00 UTC: seven hours before a funding boundary. */
export const START = Date.UTC(2026, 0, 1, 1);

export async function paperSetup(settings: Partial<PaperVenueSettingsInput> = {}, deps: Partial<PaperVenueDeps> = {}) {
  const clock = new ManualClock(START);
  const market = createStaticFeed({ [TRX]: 0.24 }, { clock });
  const venue = createPaperVenue({ id: 'paper1', kind: 'paper', ...settings }, { clock, market, random: seededRandom(42), ...deps });
  await venue.start();
  return { clock, market, venue };
}

let counter = 0;
export function order(partial: Partial<OrderRequest> = {}): OrderRequest {
  return { clientOrderId: `hh${++counter}`, symbol: TRX, side: 'buy', amount: 10000, type: 'market', reduceOnly: false, ...partial };
}

/** Asserts a rejection with a VenueError of this code and class (and exchange code). */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode, errorClass: VenueErrorClass, exchangeCode?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isVenueError(err), `expected a VenueError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.errorClass, errorClass);
    assert.equal(err.venue, 'paper1');
    if (exchangeCode !== undefined) assert.equal(err.exchangeCode, exchangeCode);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
}

/** Lets the promise callbacks queued by fired timers run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
