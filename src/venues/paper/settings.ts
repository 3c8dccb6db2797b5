/**
 * The settings of one paper venue, as a `venues[]` entry of the configuration
 * (`{ "id": "primary", "kind": "paper", "latencyMs": 20 }`). The contract's fields are
 * `id`, `kind`, `latencyMs`, `down` and `rejectRate`; everything else has a default so
 * the short form works. Validated with zod; the wiring reports one line per mistake.
 */
import { z } from 'zod';
import { TRX_USDT_PERP, type InstrumentSpec } from '../../core/instrument.ts';

const decimalText = z.union([
  z.number().positive(),
  z.string().regex(/^\d+(\.\d+)?$/, 'must be a positive decimal such as "0.00001"'),
]);

const instrumentSchema = z.strictObject({
  symbol: z.string().min(1),
  tickSize: decimalText,
  stepSize: decimalText,
  minNotional: z.union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?$/)]),
  contractSize: decimalText.default('1'),
  minNotionalExemptReduceOnly: z.boolean().optional(),
});

export const paperVenueSettingsSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.literal('paper'),

  // ── faults, to rehearse failover and retries ──
  /** Round trip of every call on the Clock port; the order is applied halfway. */
  latencyMs: z.number().min(0).max(60_000).default(0),
  /** Every exchange call rejects at once with a retryable HH_ERR_VENUE_UNAVAILABLE. */
  down: z.boolean().default(false),
  /** Share of submits refused (retryable) before acceptance; drawn from the seeded random. */
  rejectRate: z.number().min(0).max(1).default(0),
  /**
   * What an abort does to a submit or cancel still on its way (before `latencyMs / 2`):
   * `applied` — the request had left, the venue still applies it (what a real exchange
   * does; the caller must look the order up); `dropped` — it never arrives.
   */
  abortedRequests: z.enum(['applied', 'dropped']).default('applied'),
  /** A market order stays open this long before it fills: a slow venue. */
  fillDelayMs: z.number().min(0).max(3_600_000).default(0),
  /** Share of an order's amount filled per fill (1 = all at once); the rest follows or expires. */
  partialFillRatio: z.number().gt(0).max(1).default(1),
  /** Time between two partial fills of a market order. */
  partialFillIntervalMs: z.number().min(1).max(3_600_000).default(100),
  /** What happens to a market order's unfilled rest after a partial fill. */
  partialFillRest: z.enum(['later', 'expire']).default('later'),

  // ── the synthetic order book around the MarketData price ──
  /** Full bid–ask spread in basis points of the mid price (at least one tick). */
  spreadBps: z.number().min(0).max(1000).default(1),
  /** Levels per side; what they cannot absorb of a market order expires. */
  levels: z.number().int().min(1).max(1000).default(20),
  /** Distance between two levels, basis points of the best price (at least one tick). */
  levelStepBps: z.number().gt(0).max(1000).default(1),
  /** Quote currency (USDT) resting at each level. */
  levelNotional: z.number().positive().default(10_000),

  // ── the account ──
  takerFee: z.number().min(-0.01).max(0.01).default(0.0005),
  makerFee: z.number().min(-0.01).max(0.01).default(0.0002),
  /** Starting wallet balance, quote currency. */
  balance: z.number().min(0).default(100_000),
  currency: z.string().min(1).default('USDT'),
  leverage: z.number().positive().max(125).default(10),
  positionMode: z.enum(['one-way', 'hedge']).default('one-way'),
  /** Funding rate per period when no rate callback is given (0.0001 = 0.01%; longs pay when positive). */
  fundingRate: z.number().gt(-1).lt(1).default(0.0001),
  /** Funding is settled at every multiple of this period since the epoch (00:00, 08:00, 16:00 UTC). */
  fundingIntervalHours: z.number().positive().max(24 * 7).default(8),
  /**
   * Orders kept for lookups by client order id; beyond it the oldest FINAL orders are
   * forgotten (exchanges forget old orders too), so a long run does not grow without bound.
   */
  maxKeptOrders: z.number().int().min(100).default(100_000),
  /** Seed of the random source when the wiring gives none. */
  seed: z.number().int().optional(),
  /** Instruments traded; default TRX/USDT:USDT at Binance's precision. */
  instruments: z.array(instrumentSchema).min(1).optional(),
});

export type PaperVenueSettingsInput = z.input<typeof paperVenueSettingsSchema>;
export type PaperVenueSettings = z.output<typeof paperVenueSettingsSchema>;

export const DEFAULT_PAPER_INSTRUMENTS: readonly InstrumentSpec[] = [TRX_USDT_PERP];

/** Parses and fills in the defaults; throws a ZodError the wiring formats line by line. */
export function parsePaperVenueSettings(input: unknown): PaperVenueSettings {
  return paperVenueSettingsSchema.parse(input);
}
