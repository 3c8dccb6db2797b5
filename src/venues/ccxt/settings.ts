/**
 * The settings of one real-exchange venue, as a `venues[]` entry of the configuration
 * (`{ "id": "binance", "kind": "ccxt", "exchange": "binanceusdm" }`). Validated with zod;
 * the wiring reports one line per mistake.
 *
 * Keys are never part of the configuration: they come from the environment only, named
 * after the venue id (upper-cased, anything but A–Z and 0–9 becomes `_`):
 *
 *   HEDGEHOOK_<ID>_API_KEY    the API key                      (ccxt `apiKey`)
 *   HEDGEHOOK_<ID>_SECRET     the API secret                   (ccxt `secret`)
 *   HEDGEHOOK_<ID>_PASSWORD   the passphrase, where the exchange has one (OKX) (ccxt `password`)
 *
 * e.g. venue id "binance" → HEDGEHOOK_BINANCE_API_KEY and HEDGEHOOK_BINANCE_SECRET.
 */
import { z } from 'zod';

export const ccxtVenueSettingsSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1–40 letters, digits, "-" or "_"'),
  kind: z.literal('ccxt'),
  /** ccxt exchange id: binanceusdm, okx, bybit… (checked against ccxt when the venue is built). */
  exchange: z.string().regex(/^[a-z0-9]+$/, 'must be a ccxt exchange id such as "binanceusdm"'),
  /** Unified symbols whose leverage and margin mode are applied at start. */
  symbols: z.array(z.string().min(1)).min(1).default(['TRX/USDT:USDT']),
  /** Applied to every symbol at start; left as the exchange has it when absent. */
  leverage: z.number().int().min(1).max(125).optional(),
  marginMode: z.enum(['cross', 'isolated']).optional(),
  /** Applied at start; when absent the account's current mode is read and followed. */
  positionMode: z.enum(['one-way', 'hedge']).optional(),
  /** Per-request timeout. Short on purpose: a slow venue is failed over, not waited for. */
  timeoutMs: z.number().int().min(100).max(60_000).default(3000),
  /** The exchange's test environment (ccxt sandbox mode), where it has one. */
  sandbox: z.boolean().default(false),
  /** One base URL for every REST endpoint of the exchange (a proxy, or the fake exchange in tests). */
  baseUrl: z.url().optional(),
  /** ccxt `urls.api` entries to replace one by one (e.g. `{ "fapiPrivate": "https://…/fapi/v1" }`); wins over baseUrl. */
  urls: z.record(z.string(), z.url()).optional(),
  /** The account's fee rates when they differ from ccxt's default schedule (VIP tiers, rebates). */
  fees: z.strictObject({ taker: z.number().min(-0.01).max(0.01), maker: z.number().min(-0.01).max(0.01) }).optional(),
});

export type CcxtVenueSettingsInput = z.input<typeof ccxtVenueSettingsSchema>;
export type CcxtVenueSettings = z.output<typeof ccxtVenueSettingsSchema>;

/** Parses and fills in the defaults; throws a ZodError the wiring formats line by line. */
export function parseCcxtVenueSettings(input: unknown): CcxtVenueSettings {
  return ccxtVenueSettingsSchema.parse(input);
}

export interface CcxtCredentials {
  apiKey?: string;
  secret?: string;
  password?: string;
}

/** The environment variable names of a venue's keys (see the top of this file). */
export function credentialEnvNames(venueId: string): { apiKey: string; secret: string; password: string } {
  const prefix = `HEDGEHOOK_${venueId.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
  return { apiKey: `${prefix}API_KEY`, secret: `${prefix}SECRET`, password: `${prefix}PASSWORD` };
}

/** The venue's keys from the environment; empty values count as absent. */
export function credentialsFromEnv(venueId: string, env: Readonly<Record<string, string | undefined>>): CcxtCredentials {
  const names = credentialEnvNames(venueId);
  const out: CcxtCredentials = {};
  if (env[names.apiKey]) out.apiKey = env[names.apiKey];
  if (env[names.secret]) out.secret = env[names.secret];
  if (env[names.password]) out.password = env[names.password];
  return out;
}
