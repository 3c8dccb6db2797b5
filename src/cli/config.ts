/**
 * The configuration file (JSON or YAML) and its defaults. Only the wiring reads it;
 * everything else receives typed settings. Validation reports one line per mistake.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HedgehookError } from '../core/errors.ts';
import { refitConfigSchema } from '../engine/refit-job.ts';
import { DEFAULT_CONTEXT } from '../model/explain-context.ts';
import { DEFAULT_FEATURE_SETTINGS, type FeatureSettings } from '../model/features.ts';
import { DEFAULT_EWMA_SETTINGS } from '../model/volatility.ts';
import { riskLimitsSchema } from '../risk/guard.ts';
import { alertsConfigSchema } from '../alerts/config.ts';
import { DEFAULT_NOT_FOUND_FINAL_AFTER_MS } from '../execution/reconcile.ts';
import { DEFAULT_ROUTING, type RoutingSettings } from '../execution/router.ts';
import { paperVenueSettingsSchema } from '../venues/paper/settings.ts';
import { ccxtVenueSettingsSchema } from '../venues/ccxt/settings.ts';
import { journalConfigSchema, queueConfigSchema, refineStores } from './stores-config.ts';

const rateLimit = z.strictObject({
  burst: z.number().int().positive(),
  perSecond: z.number().positive(),
});

const source = z.strictObject({
  scheme: z.enum(['standard', 'github', 'tradingview']),
  /** Inline secrets are allowed for tests; prefer `secretEnv` so the file holds no secret. */
  secret: z.string().min(1).optional(),
  /** Extra secrets still accepted during a key rotation. */
  previousSecrets: z.array(z.string().min(1)).optional(),
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
  allowlist: z.union([z.literal('tradingview'), z.array(z.string().min(1))]).optional(),
  maxBodyBytes: z.number().int().positive().max(10 * 1024 * 1024).default(64 * 1024),
  rateLimit: rateLimit.default({ burst: 60, perSecond: 20 }),
  toleranceSeconds: z.number().int().positive().max(3600).default(300),
});

/**
 * The venues: paper by default (primary and a slower backup, as in DESIGN.md), or real
 * exchanges through ccxt. Each kind validates its own settings (src/venues/<kind>/settings.ts).
 */
const venue = z.discriminatedUnion('kind', [paperVenueSettingsSchema, ccxtVenueSettingsSchema]);

export const DEFAULT_VENUES = [
  { id: 'primary', kind: 'paper', latencyMs: 20 },
  { id: 'backup', kind: 'paper', latencyMs: 40 },
] as const;

const routing = z.strictObject({
  mode: z.enum(['failover', 'race', 'best-price']).default('failover'),
  /** Venue ids, primary first; default: the order of `venues`. */
  order: z.array(z.string().min(1)).min(1).optional(),
  /** A leg not filled within this long is cancelled and the rest goes on (DESIGN.md: 500 ms). */
  fillTimeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_ROUTING.fillTimeoutMs),
  /** How often an open order is looked up while it waits for a fill. */
  pollMs: z.number().int().min(1).max(60_000).default(DEFAULT_ROUTING.pollMs),
  /** Bound on a cancel, a lookup or an order-book read. */
  cancelTimeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_ROUTING.cancelTimeoutMs),
  /** After this long, an order its venue does not know never reached it (≥ the venue's receive window). */
  notFoundFinalAfterMs: z.number().int().min(1).max(3_600_000).default(DEFAULT_NOT_FOUND_FINAL_AFTER_MS),
});

const liveFeed = {
  /** A ccxt exchange id whose public tickers are polled. */
  exchange: z.string().min(1).default('binanceusdm'),
  pollMs: z.number().int().min(100).max(600_000).default(1_000),
  /** Points ccxt at another host (a proxy, a test exchange); keeps the paths. */
  url: z.url().optional(),
};

/** Where the paper venues and the decision take market prices from (DESIGN.md, "Configuration"). */
const marketData = z.discriminatedUnion('kind', [
  /** Live public tickers through ccxt when reachable at start-up, else the simulated feed. */
  z.strictObject({ kind: z.literal('auto'), ...liveFeed }),
  /** Live public tickers through ccxt; start-up fails when the exchange cannot be reached. */
  z.strictObject({ kind: z.literal('live'), ...liveFeed }),
  z.strictObject({
    kind: z.literal('simulated'),
    volatility: z.number().min(0).max(10).optional(),
    intervalMs: z.number().int().min(10).max(3_600_000).optional(),
    startPrices: z.record(z.string(), z.number().positive()).optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    kind: z.literal('replay'),
    file: z.string().min(1),
    /** 1 = real time; 60 = an hour a minute. */
    speed: z.number().positive().max(1_000_000).default(1),
    symbol: z.string().min(1).default('TRX/USDT:USDT'),
    loop: z.boolean().default(false),
  }),
]);

export const configSchema = z.strictObject({
  sources: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'source names are letters, digits, _ and -'), source)
    .prefault({ default: { scheme: 'standard' } }),
  server: z.strictObject({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Trust X-Forwarded-For only behind a proxy you run; off, a spoofed header is ignored. */
    trustProxy: z.union([z.boolean(), z.string(), z.array(z.string())]).default(false),
    /** Bearer token for the API when bound beyond loopback; prefer HEDGEHOOK_API_TOKEN. */
    apiToken: z.string().min(16).optional(),
    requestTimeoutMs: z.number().int().positive().default(10_000),
    headersTimeoutMs: z.number().int().positive().default(5_000),
    keepAliveTimeoutMs: z.number().int().positive().default(5_000),
  }).prefault({}),
  dataDir: z.string().min(1).optional(),
  /** Where signals are journaled: SQLite in the data dir, or PostgreSQL shared by several processes (stores-config.ts). */
  journal: journalConfigSchema,
  /** How they are queued: the journal's own queue, or NATS JetStream (with the PostgreSQL journal). */
  queue: queueConfigSchema,
  worker: z.strictObject({
    concurrency: z.number().int().min(1).max(256).default(8),
    maxAttempts: z.number().int().min(1).max(100).default(5),
    baseDelayMs: z.number().int().min(1).default(200),
    maxDelayMs: z.number().int().min(1).default(30_000),
  }).prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** The pre-trade risk guard (src/risk/guard.ts); every limit has a default. */
  risk: riskLimitsSchema.prefault({}),
  /** The account the features see: `hedgehook model explain` takes its defaults from here too. */
  account: z.strictObject({
    /** 0..1: a higher tolerance hedges less (the feature is the aversion, 1 − tolerance). */
    riskTolerance: z.number().min(0).max(1).default(DEFAULT_CONTEXT.riskTolerance),
    /** Account equity in USDT: the position's leverage-scaled notional is measured against it. */
    equity: z.number().positive().default(DEFAULT_CONTEXT.equity),
    /** The venue holding the strategy's own position: a payload without `position` reads it from there. */
    positionVenue: z.string().min(1).optional(),
  }).prefault({}),
  /** How the features are scaled (src/model/features.ts) and how volatility is estimated. */
  model: z.strictObject({
    /** Signal strength when the payload gives none. */
    defaultStrength: z.number().min(0).max(1).default(DEFAULT_FEATURE_SETTINGS.defaultStrength),
    /** Annualised volatility (0.35 = 35%) until enough prices were seen. */
    defaultVolatility: z.number().min(0).max(100).default(DEFAULT_FEATURE_SETTINGS.defaultVolatility),
    /** Annualised volatility that scores 1. */
    volatilityFullScale: z.number().positive().max(100).default(DEFAULT_FEATURE_SETTINGS.volatilityFullScale),
    /** Leverage when the position does not say. */
    defaultLeverage: z.number().min(1).max(125).default(DEFAULT_FEATURE_SETTINGS.defaultLeverage),
    /** Exposure multiple (notional × leverage / equity) → [0, 1]. */
    positionCurve: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('saturating'), halfAt: z.number().positive() }),
        z.strictObject({ kind: z.literal('linear'), fullAt: z.number().positive() }),
      ])
      .default({ kind: 'saturating', halfAt: 5 }),
    /**
     * The weekly refit (src/engine/refit-job.ts): from the journal's realised hedges, a
     * candidate version is fitted and stored next to the active one.
     */
    refit: refitConfigSchema.prefault({}),
    /** Activate the weekly refit's candidate when it beat the active model out of sample (off: propose only). */
    autoPromote: z.boolean().default(false),
    /** The EWMA of the prices seen in signals (src/model/volatility.ts). */
    ewma: z.strictObject({
      lambda: z.number().gt(0).lt(1).default(DEFAULT_EWMA_SETTINGS.lambda),
      barIntervalMs: z.number().int().positive().default(DEFAULT_EWMA_SETTINGS.barIntervalMs),
      minReturns: z.number().int().min(1).default(DEFAULT_EWMA_SETTINGS.minReturns),
    }).prefault({}),
  }).prefault({}),
  venues: z.array(venue).min(1).default(() => DEFAULT_VENUES.map((v) => paperVenueSettingsSchema.parse(v))),
  routing: routing.prefault({}),
  marketData: marketData.default({ kind: 'auto', exchange: 'binanceusdm', pollMs: 1_000 }),
  /** Alert rules and the sink they post to (src/alerts/config.ts); no sink: the dashboard only. */
  alerts: alertsConfigSchema.prefault({}),
}).superRefine((config, ctx) => {
  const ids = new Set<string>();
  config.venues.forEach((v, i) => {
    if (ids.has(v.id)) ctx.addIssue({ code: 'custom', path: ['venues', i, 'id'], message: `duplicate venue id "${v.id}"` });
    ids.add(v.id);
  });
  if (config.account.positionVenue !== undefined && !ids.has(config.account.positionVenue)) {
    ctx.addIssue({ code: 'custom', path: ['account', 'positionVenue'], message: `no venue "${config.account.positionVenue}" in venues` });
  }
  config.routing.order?.forEach((id, i) => {
    if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['routing', 'order', i], message: `no venue "${id}" in venues (have: ${[...ids].join(', ')})` });
  });
  refineStores(config, ctx);
});

/** The routing settings, with the order defaulting to the venues' order. */
export function routingSettings(config: Config): RoutingSettings {
  const r = config.routing;
  return {
    mode: r.mode,
    order: r.order ?? config.venues.map((v) => v.id),
    fillTimeoutMs: r.fillTimeoutMs,
    pollMs: r.pollMs,
    cancelTimeoutMs: r.cancelTimeoutMs,
  };
}

/** The feature settings of a configuration. */
export function featureSettings(config: Config): FeatureSettings {
  const m = config.model;
  return {
    defaultStrength: m.defaultStrength,
    defaultVolatility: m.defaultVolatility,
    volatilityFullScale: m.volatilityFullScale,
    defaultLeverage: m.defaultLeverage,
    positionCurve: m.positionCurve,
    hourlyRisk: DEFAULT_FEATURE_SETTINGS.hourlyRisk,
  };
}

export type Config = z.infer<typeof configSchema>;
export type SourceConfig = Config['sources'][string];

/** One line per mistake, prefixed with where it is. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    return `${where}: ${issue.message}`;
  });
}

export function parseConfig(raw: unknown, origin = 'configuration'): Config {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const lines = formatIssues(result.error);
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', `${origin}: ${lines.join(`\n${origin}: `)}`);
  }
  return result.data;
}

export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new HedgehookError(code === 'ENOENT' ? 'HH_ERR_FILE_NOT_FOUND' : 'HH_ERR_CONFIG_INVALID',
      `cannot read config file ${path}: ${code ?? 'unreadable'}`);
  }
  let raw: unknown;
  try {
    raw = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new HedgehookError('HH_ERR_CONFIG_INVALID', `${path}: not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${first}`);
  }
  return parseConfig(raw, path);
}
