/**
 * The execution side of the live wiring: market data, venues and routing from the
 * configuration. The one place that constructs venue and market-data adapters for `serve`.
 *
 * Market data (DESIGN.md, "Configuration"):
 * - `auto` (the default): live public tickers through ccxt when the exchange answers at
 *   start-up, else the simulated feed (with a warning that says so);
 * - `live`: live tickers or no start;
 * - `simulated`: a random walk with TRX-like volatility, re-based on
 *   the prices signals report (src/marketdata/anchored.ts), labelled simulated in the log,
 *   the API and the dashboard;
 * - `replay`: a price file at `speed`× real time.
 *
 * Venues: `paper` (priced from the market data) or `ccxt` (a real exchange; keys from the
 * environment only, see src/venues/ccxt/settings.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { firstLine } from '../core/errors.ts';
import { KNOWN_INSTRUMENTS, type InstrumentLookup } from '../engine/decision-stage.ts';
import type { MarketData } from '../core/market.ts';
import { seededRandom } from '../core/random.ts';
import type { Venue } from '../core/venue.ts';
import type { RoutingSettings } from '../execution/router.ts';
import { AnchoredFeed } from '../marketdata/anchored.ts';
import { openReplayFeed } from '../marketdata/replay.ts';
import { createSimulatedFeed } from '../marketdata/simulated.ts';
import { createPaperVenue, type PaperVenue } from '../venues/paper/index.ts';
import { routingSettings, type Config } from './config.ts';
import { keepTrying } from './keep-trying.ts';

export interface ExecutionWiring {
  market: MarketData;
  venues: Map<string, Venue>;
  routing: RoutingSettings;
  /** Exchange precision: the first open venue's in routing order, else the built-in TRX/USDT:USDT. */
  instrument: InstrumentLookup;
  /** A signal reported a price (the simulated feed re-bases on it). */
  observeSignalPrice(symbol: string, price: number, time: number): void;
  /** `GET /api/market`: what the prices are and where they come from. */
  describe(): { kind: MarketData['kind']; description: string; venues: { id: string; kind: string }[] };
  close(): Promise<void>;
}

export interface ExecutionWiringDeps {
  clock: Clock;
  logger: Logger;
  /** Seeds for simulation; the service passes fresh entropy, tests a fixed one. */
  random: () => number;
  /** Exchange keys are read from here only (HEDGEHOOK_<VENUE>_API_KEY, …). */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * The hedges the journal says each venue holds (the ledger rebuilt at start-up): paper
   * venues start with them, since their state does not survive a restart.
   */
  hedges?: readonly { venue: string; symbol: string; size: number; entryPrice: number | null }[];
}

async function openMarketData(config: Config, deps: ExecutionWiringDeps, tick: (s: string) => string | number | undefined) {
  const m = config.marketData;
  const symbols = ['TRX/USDT:USDT'];
  if (m.kind === 'live' || m.kind === 'auto') {
    // ccxt is loaded only when used: it costs every other command a second at start-up.
    const { createCcxtTickerFeed } = await import('../marketdata/ccxt-tickers.ts');
    const feed = createCcxtTickerFeed(m.exchange, deps.clock, { pollMs: m.pollMs, ...(m.url !== undefined ? { url: m.url } : {}) });
    try {
      await feed.start(symbols);
      return { market: feed as MarketData, anchored: undefined, symbols };
    } catch (err) {
      await feed.close().catch(() => {});
      if (m.kind === 'live') throw err;
      deps.logger.warn({ exchange: m.exchange, reason: firstLine(err) },
        `live market data from ${m.exchange} unreachable: falling back to SIMULATED prices`);
      return openSimulated({ kind: 'simulated' }, deps, tick);
    }
  }
  if (m.kind === 'replay') {
    const feed = await openReplayFeed({ file: m.file, speed: m.speed, symbol: m.symbol, loop: m.loop }, { clock: deps.clock });
    return { market: feed as MarketData, anchored: undefined, symbols: [m.symbol] };
  }
  return openSimulated(m, deps, tick);
}

function openSimulated(
  m: Extract<Config['marketData'], { kind: 'simulated' }>,
  deps: ExecutionWiringDeps,
  tick: (s: string) => string | number | undefined,
) {
  const seed = m.seed ?? Math.floor(deps.random() * 2 ** 31);
  const settings: Parameters<typeof createSimulatedFeed>[0] = {};
  if (m.volatility !== undefined) settings.volatility = m.volatility;
  if (m.intervalMs !== undefined) settings.intervalMs = m.intervalMs;
  if (m.startPrices) settings.startPrices = m.startPrices;
  const walk = createSimulatedFeed(settings, { clock: deps.clock, random: seededRandom(seed) });
  const anchored = new AnchoredFeed(walk, tick);
  return { market: anchored as MarketData, anchored, symbols: ['TRX/USDT:USDT', ...Object.keys(m.startPrices ?? {})] };
}

export async function openExecution(config: Config, deps: ExecutionWiringDeps): Promise<ExecutionWiring> {
  const venues = new Map<string, Venue>();
  const routing = routingSettings(config);
  // The first venue in routing order that knows the symbol: the primary's once it is open.
  const instrument: InstrumentLookup = (symbol) => {
    for (const id of routing.order) {
      const spec = venues.get(id)?.instrument(symbol);
      if (spec) return spec;
    }
    return KNOWN_INSTRUMENTS(symbol);
  };
  const tick = (symbol: string) => {
    const t = instrument(symbol)?.tickSize;
    return t === undefined ? undefined : String(t);
  };
  const { market, anchored, symbols } = await openMarketData(config, deps, tick);
  let failed: { venue: Venue; reason: unknown }[] = [];
  try {
    const papers = new Map<string, PaperVenue>();
    const ccxt = config.venues.some((v) => v.kind === 'ccxt') ? await import('../venues/ccxt/index.ts') : undefined;
    for (const settings of config.venues) {
      if (settings.kind === 'ccxt') {
        const { createCcxtVenue } = ccxt!;
        venues.set(settings.id, createCcxtVenue(settings, { env: deps.env, clock: deps.clock, log: (message) => deps.logger.info({ venue: settings.id }, message) }));
      } else {
        const paper = createPaperVenue(settings, { clock: deps.clock, market, random: seededRandom(Math.floor(deps.random() * 2 ** 31)) });
        papers.set(settings.id, paper);
        venues.set(settings.id, paper);
      }
    }
    // All at once: each is a few calls to its exchange. A venue that cannot be opened does
    // not hold the others back while one can: it stays in the map, refusing orders as not
    // started (retryable, nothing sent), so the router goes on to the next venue and a leg
    // left open on it waits to be looked up there; it is tried again in the background.
    // With none open there is nothing to route to, and the caller tries everything again.
    const list = [...venues.values()];
    const outcomes = await Promise.allSettled(list.map((venue) => venue.start()));
    failed = list.flatMap((venue, i) => {
      const outcome = outcomes[i]!;
      return outcome.status === 'rejected' ? [{ venue, reason: outcome.reason as unknown }] : [];
    });
    if (failed.length === list.length) throw failed[0]!.reason;
    for (const h of deps.hedges ?? []) {
      const paper = papers.get(h.venue);
      if (paper && h.entryPrice !== null) paper.restorePosition(h.symbol, h.size, h.entryPrice);
    }
    await market.start([...new Set(symbols)]);
  } catch (err) {
    for (const venue of venues.values()) await venue.close().catch(() => {});
    await market.close().catch(() => {});
    throw err;
  }
  const log = market.kind === 'simulated' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
  log({ marketData: market.kind, description: market.description }, `market data: ${market.description}`);
  const down = new Set(failed.map((f) => f.venue.id));
  deps.logger.info({ venues: [...venues.values()].filter((v) => !down.has(v.id)).map((v) => `${v.id} (${v.kind})`), routing: routing.mode, order: routing.order }, 'venues ready');
  const reopening = new AbortController();
  for (const { venue, reason } of failed) void keepOpening(venue, reason, reopening.signal, deps.logger);

  return {
    market,
    venues,
    routing,
    instrument,
    observeSignalPrice(symbol, price, time) {
      anchored?.anchor(symbol, price, time);
    },
    describe: () => ({ kind: market.kind, description: market.description, venues: [...venues.values()].map((v) => ({ id: v.id, kind: v.kind })) }),
    async close() {
      reopening.abort();
      for (const venue of venues.values()) await venue.close().catch(() => {});
      await market.close();
    },
  };
}

/** Tries a venue's start again until it opens or the wiring closes; one line per failure. */
async function keepOpening(venue: Venue, first: unknown, signal: AbortSignal, logger: Logger): Promise<void> {
  try {
    await keepTrying(() => venue.start(), {
      signal,
      after: first,
      failed: (err, attempt, retryInMs) =>
        logger.error({ venue: venue.id, attempt, retryInMs, reason: firstLine(err) }, 'venue could not be opened: the others take its orders; trying again'),
    });
  } catch {
    return; // closed meanwhile
  }
  if (!signal.aborted) logger.info({ venue: venue.id }, 'venue opened: it takes orders again');
}
