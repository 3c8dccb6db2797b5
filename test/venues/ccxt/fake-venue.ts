/**
 * A ccxt venue wired to a fresh fake Binance USDⓈ-M exchange: the real ccxt client, its
 * real signing and parsing, over a local port.
 */
import { ManualClock } from '../../../src/core/clock.ts';
import { createCcxtVenue, type CcxtVenue } from '../../../src/venues/ccxt/index.ts';
import type { CcxtVenueSettingsInput } from '../../../src/venues/ccxt/settings.ts';
import { FAKE_API_KEY, FAKE_SECRET, FakeBinance, type FakeBinanceOptions } from '../../fakes/binance/server.ts';

export interface FakeVenue {
  fake: FakeBinance;
  venue: CcxtVenue;
  close(): Promise<void>;
}

export const KEYS_ENV = { HEDGEHOOK_BINANCE_API_KEY: FAKE_API_KEY, HEDGEHOOK_BINANCE_SECRET: FAKE_SECRET };

export function venueOn(fake: FakeBinance, settings: Partial<CcxtVenueSettingsInput> = {}, env: Record<string, string> = KEYS_ENV): CcxtVenue {
  return createCcxtVenue(
    { id: 'binance', kind: 'ccxt', exchange: 'binanceusdm', baseUrl: fake.url, timeoutMs: 2000, ...settings },
    { env, clock: new ManualClock(0) },
  );
}

/** Starts a fake and a venue on it (started unless `start: false`). */
export async function fakeVenue(
  options: { fake?: FakeBinanceOptions; settings?: Partial<CcxtVenueSettingsInput>; start?: boolean } = {},
): Promise<FakeVenue> {
  const fake = await FakeBinance.start(options.fake);
  const venue = venueOn(fake, options.settings);
  if (options.start !== false) await venue.start();
  return {
    fake,
    venue,
    async close() {
      await venue.close();
      await fake.close();
    },
  };
}

/** A client order id unique within a test file. */
let counter = 0;
export function cid(prefix = 'hh'): string {
  counter += 1;
  return `${prefix}${counter}x${process.pid}`;
}
