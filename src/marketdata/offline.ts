/**
 * The `marketData` settings of the offline feeds, for the wiring: `{kind: "replay", file,
 * speed}` and `{kind: "simulated"}` (the default offline, with nothing given), each
 * validated with zod, and one function that opens the feed they describe. Live tickers
 * through ccxt have their own adapter (ccxt-tickers.ts).
 */
import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { seededRandom, type Random } from '../core/random.ts';
import { openReplayFeed, type ReplayFeed } from './replay.ts';
import { createSimulatedFeed, DEFAULT_SIMULATED_SETTINGS, type SimulatedFeed } from './simulated.ts';

export const replayMarketDataSchema = z.strictObject({
  kind: z.literal('replay'),
  /** A price file in the shared/data format or a Binance kline dump. */
  file: z.string().min(1),
  /** × real time; 0 = stepped by the caller (the backtest). */
  speed: z.number().min(0).default(1),
  symbol: z.string().min(1).optional(),
  path: z.enum(['close', 'ohlc']).default('close'),
  /** Start over after the last bar, so a demo service never runs out of prices. */
  loop: z.boolean().default(false),
});

export const simulatedMarketDataSchema = z.strictObject({
  kind: z.literal('simulated'),
  volatility: z.number().min(0).max(10).default(DEFAULT_SIMULATED_SETTINGS.volatility),
  drift: z.number().min(-10).max(10).default(DEFAULT_SIMULATED_SETTINGS.drift),
  intervalMs: z.number().int().positive().default(DEFAULT_SIMULATED_SETTINGS.intervalMs),
  startPrices: z.record(z.string(), z.number().positive()).optional(),
  tickSizes: z.record(z.string(), z.union([z.number().positive(), z.string().regex(/^\d+(\.\d+)?$/)])).optional(),
  /** A fixed seed: the same walk on every start (wins over the wiring's random source). */
  seed: z.number().int().optional(),
});

export const offlineMarketDataSchema = z.discriminatedUnion('kind', [replayMarketDataSchema, simulatedMarketDataSchema]);

export type OfflineMarketDataSettings = z.output<typeof offlineMarketDataSchema>;

export interface OfflineMarketDataDeps {
  clock: Clock;
  /** The simulated walk's randomness when no `seed` is configured (the wiring passes Math.random). */
  random: Random;
}

/** Opens the feed the settings describe (reading and validating a replay's file). */
export async function openOfflineMarketData(settings: OfflineMarketDataSettings, deps: OfflineMarketDataDeps): Promise<ReplayFeed | SimulatedFeed> {
  if (settings.kind === 'replay') {
    const { kind: _kind, ...replay } = settings;
    return openReplayFeed(replay, { clock: deps.clock });
  }
  const { kind: _kind, seed, ...simulated } = settings;
  return createSimulatedFeed(simulated, { clock: deps.clock, random: seed === undefined ? deps.random : seededRandom(seed) });
}
