/**
 * The live wiring: the one place that constructs adapters and hands ports to the server
 * and the worker. `hedgehook serve` and the integration tests both start the service here.
 * The stores (journal, queue, DLQ, registry, kill switch, order legs) come from
 * `openStores`: SQLite in the data dir by default, or PostgreSQL (+ NATS JetStream) shared
 * by several processes (docs/deployment.md).
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { HedgehookError, firstLine, isHedgehookError } from '../core/errors.ts';
import type { Delivery, SignalProcessor } from '../core/ports.ts';
import { Worker } from '../engine/worker.ts';
import { createRefitJob, type RefitJob } from '../engine/refit-job.ts';
import { createDecisionStage, type DecisionStage } from '../engine/decision-stage.ts';
import { createExecutionStage } from '../engine/execution-stage.ts';
import { DecisionState, reloadKeyState, restoreDecisionState } from '../engine/decision-state.ts';
import { buildServer } from '../server/app.ts';
import { createMetrics } from '../server/metrics.ts';
import { featureSettings, type Config } from './config.ts';
import { resolveApiToken, resolveSources, type Announce } from './secrets.ts';
import { openExecution, type ExecutionWiring } from './execution-wiring.ts';
import { keepTrying } from './keep-trying.ts';
import { USER_ERRORS } from './failure.ts';
import { wireMonitoring } from './monitoring.ts';
import { equityOf, reportLeg } from '../engine/telemetry-reports.ts';
import { openStores, sqliteJournalPath, type Stores } from './stores.ts';
import { storesConfigOf } from './stores-config.ts';

export interface ServiceOptions {
  config: Config;
  dataDir: string;
  host: string;
  port: number;
  logger: Logger;
  announce: Announce;
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Replaces the pipeline step; tests use it to inject failures. */
  processor?: SignalProcessor;
}

export interface RunningService {
  url: string;
  host: string;
  port: number;
  /**
   * Resolves once the pipeline processes signals (state rebuilt, venues open, worker
   * running); webhooks are taken from the moment the service is returned. Venues that
   * cannot be reached are tried again meanwhile; it rejects when the service is stopped
   * first, on a mistake in the configuration, or when the journal cannot be read.
   */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return resolve(env.HEDGEHOOK_DATA_DIR ?? 'data');
}

export function journalPath(dataDir: string): string {
  return sqliteJournalPath(dataDir);
}

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const { config, logger } = opts;
  const env = opts.env ?? process.env;
  const clock = opts.clock ?? systemClock;
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });

  const sources = resolveSources(config, opts.dataDir, env, opts.announce);
  const apiToken = resolveApiToken(config, opts.host, opts.dataDir, env, opts.announce);
  const stores: Stores = await openStores(storesConfigOf(config), { dataDir: opts.dataDir, logger, env, role: 'service' });
  const journal = stores.journal;

  // The ledger and the signal-fed volatility live in memory, rebuilt from the journal
  // (see src/engine/decision-state.ts for why not a table).
  const decisionState = new DecisionState(config.model.ewma);
  // The webhooks need the journal only: the listener opens first, and the pipeline (the
  // state's rebuild, market data, the venues, the worker) behind it. When no venue can be
  // opened at start-up (an exchange's maintenance, a network fault, a bad key), that holds
  // back the processing, not the acknowledgements: what arrives meanwhile is journaled and
  // processed once the pipeline is up. (One venue of several that cannot be opened holds
  // back nothing: see openExecution.)
  let pipeline: Pipeline | undefined;
  const positions = () => (pipeline ? pipeline.decision.positions() : decisionState.positions());
  let startupProblem: string | undefined;
  const metrics = createMetrics({
    queueDepth: () => stores.queue.depth(),
    dlqSize: () => stores.dlq.size(),
    activeModel: async () => (await stores.models.active()).version,
    killSwitch: () => stores.controls.killSwitch(),
    positions,
    ...(stores.journalStats ? { journalStats: stores.journalStats } : {}),
    clock,
  });
  const monitoring = wireMonitoring({
    alerts: config.alerts,
    metrics,
    clock,
    logger,
    dlq: stores.dlq,
    controls: stores.controls,
    positions,
    sources: sources.keys(),
    env,
  });
  const server = buildServer({
    journal,
    queue: stores.queue,
    dlq: stores.dlq,
    models: stores.models,
    controls: stores.controls,
    positions,
    orders: stores.orders,
    market: () =>
      pipeline?.execution.describe() ?? {
        kind: 'starting',
        description: startupProblem ? `not open yet, retrying: ${startupProblem}` : 'opening market data and venues',
        venues: [],
      },
    sources,
    clock,
    logger,
    metrics,
    apiToken,
    trustProxy: config.server.trustProxy,
    requestTimeoutMs: config.server.requestTimeoutMs,
    headersTimeoutMs: config.server.headersTimeoutMs,
    keepAliveTimeoutMs: config.server.keepAliveTimeoutMs,
  });
  try {
    await server.app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    monitoring.stop();
    await stores.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shownHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  const stopRequested = new AbortController();
  const stopped = () => new HedgehookError('HH_ERR_SHUTTING_DOWN', 'the service stopped before its pipeline started');
  const ready = (async () => {
    await restoreState(stores, decisionState, logger);
    if (stopRequested.signal.aborted) throw stopped();
    const execution = await openExecutionUntilOpen(config, {
      clock,
      logger,
      env,
      hedges: () => decisionState.positions().flatMap((p) => p.hedges.map((h) => ({ venue: h.venue, symbol: p.symbol, size: h.signedSize, entryPrice: h.averageEntry }))),
      signal: stopRequested.signal,
      onFailure: (message) => (startupProblem = message),
    });
    if (stopRequested.signal.aborted) {
      await execution.close();
      throw stopped();
    }
    try {
      pipeline = await startPipeline({ opts, config, clock, logger, stores, decisionState, execution, telemetry: monitoring.telemetry, workerHooks: monitoring.workerHooks });
    } catch (err) {
      await execution.close();
      throw err;
    }
    logger.info('pipeline started: signals are processed');
  })();
  // The rejection is the caller's to see through `ready`; unobserved, it would end the process.
  ready.catch(() => {});

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    host: opts.host,
    port,
    ready,
    stop() {
      // Order matters: refuse new webhooks, let answered ones finish their commit, drain
      // in-flight processing, and only then close the stores (which hand held messages
      // back to JetStream and publish what the outbox still holds).
      stopping ??= (async () => {
        monitoring.stop();
        server.startDraining();
        await server.app.close();
        stopRequested.abort();
        await ready.catch(() => {});
        if (pipeline) {
          await pipeline.refit?.stop();
          await pipeline.worker.stop();
          await pipeline.execution.close();
        }
        await stores.close();
      })();
      return stopping;
    },
  };
}

interface Pipeline {
  decision: DecisionStage;
  execution: ExecutionWiring;
  worker: Worker;
  refit: RefitJob | undefined;
}

async function restoreState(stores: Stores, state: DecisionState, logger: Logger): Promise<void> {
  const restored = await restoreDecisionState(stores.journal, state, stores.orders);
  logger.info({ ...restored, stores: stores.kind }, 'decision state rebuilt from the journal');
  const unsettled = await stores.orders.unsettled();
  if (unsettled.length > 0) logger.warn({ legs: unsettled.map((l) => `${l.clientOrderId}@${l.venue}`) }, 'order legs with an open outcome: reconciled by client order id before their signal goes on');
}

/**
 * Opens market data and the venues, trying again while market data or every venue fails
 * (exchange unreachable, a key refused, a symbol unknown to the exchange) until it succeeds
 * or the service stops: each failure is one error line with its reason. A mistake in the
 * configuration (a key not set, a file missing) is not retried: trying again cannot mend
 * it, and `serve` reports it as it reports any other.
 */
function openExecutionUntilOpen(
  config: Config,
  deps: { clock: Clock; logger: Logger; env: NodeJS.ProcessEnv; hedges: () => NonNullable<Parameters<typeof openExecution>[1]['hedges']>; signal: AbortSignal; onFailure(message: string): void },
): Promise<ExecutionWiring> {
  // The paper venues restart from the hedges the journal records (read again each try:
  // nothing is processed meanwhile, so they are the same).
  return keepTrying(() => openExecution(config, { clock: deps.clock, logger: deps.logger, random: Math.random, env: deps.env, hedges: deps.hedges() }), {
    signal: deps.signal,
    final: (err) => isHedgehookError(err) && USER_ERRORS.has(err.code),
    failed: (err, attempt, retryInMs) => {
      const reason = firstLine(err);
      deps.onFailure(reason);
      deps.logger.error({ attempt, retryInMs, reason }, 'market data or venues could not be opened: webhooks are journaled and wait; trying again');
    },
  });
}

/** The decision and execution stages and the worker over them, started. */
async function startPipeline(deps: {
  opts: ServiceOptions;
  config: Config;
  clock: Clock;
  logger: Logger;
  stores: Stores;
  decisionState: DecisionState;
  execution: ExecutionWiring;
  telemetry: ReturnType<typeof wireMonitoring>['telemetry'];
  workerHooks: ReturnType<typeof wireMonitoring>['workerHooks'];
}): Promise<Pipeline> {
  const { opts, config, clock, logger, stores, decisionState, execution, telemetry } = deps;
  // Shared stores: other processes decide this process's keys too (see reloadKeyState).
  const shared = stores.kind !== 'sqlite';
  const decision = createDecisionStage({
    clock,
    models: stores.models,
    controls: stores.controls,
    state: decisionState,
    account: config.account,
    limits: config.risk,
    features: featureSettings(config),
    market: execution.market,
    instrument: execution.instrument,
  });
  const reportEquity = () => {
    for (const e of equityOf(decision.positions(), config.account.equity)) telemetry.setEquity(e);
  };
  const allSymbols = config.risk.maxAccountHedgeNotional !== undefined;
  const reloadKey = async (d: Delivery): Promise<void> => {
    await reloadKeyState(stores, decisionState, d.payload, { allSymbols });
  };
  const stage = createExecutionStage({
    clock,
    decision,
    orders: stores.orders,
    venues: execution.venues,
    routing: execution.routing,
    notFoundFinalAfterMs: config.routing.notFoundFinalAfterMs,
    ...(config.account.positionVenue !== undefined ? { positionVenue: config.account.positionVenue } : {}),
    // The account cap values the account's other symbols: then those are reloaded too.
    ...(shared ? { beforeDecide: (d: Delivery) => reloadKey(d) } : {}),
    onLegSettled: (leg) => reportLeg(telemetry, leg),
    onRouted: (result) => {
      for (const leg of result.unresolved) reportLeg(telemetry, leg);
      reportEquity();
    },
  });
  reportEquity();
  const processSignal: SignalProcessor = (delivery) => {
    const p = delivery.payload;
    if (p.price !== undefined) execution.observeSignalPrice(p.symbol, p.price, p.time ?? delivery.receivedAt);
    return stage.process(delivery);
  };
  const killSwitch = await stores.controls.killSwitch();
  if (killSwitch.halted) logger.warn({ reason: killSwitch.reason, by: killSwitch.by }, 'kill switch engaged: signals are journaled and decided, no new orders');

  const worker = new Worker({
    queue: stores.queue,
    process: opts.processor ?? processSignal,
    clock,
    concurrency: config.worker.concurrency,
    retry: { maxAttempts: config.worker.maxAttempts, baseMs: config.worker.baseDelayMs, maxMs: config.worker.maxDelayMs },
    logger,
    random: Math.random,
    ...deps.workerHooks,
  });
  worker.start();
  const refit = startRefit(config, { clock, logger, stores });
  return { decision, execution, worker, refit };
}

/**
 * The weekly refit (DESIGN.md: weights re-fitted weekly from realised hedge performance),
 * unless `model.refit.enabled` is false. It proposes; it activates only with
 * `model.autoPromote` and a candidate that beat the active model out of sample.
 */
function startRefit(config: Config, deps: { clock: Clock; logger: Logger; stores: Stores }): RefitJob | undefined {
  const { enabled, ...settings } = config.model.refit;
  if (!enabled) return undefined;
  const job = createRefitJob({
    clock: deps.clock,
    journal: deps.stores.journal,
    orders: deps.stores.orders,
    models: deps.stores.models,
    settings: { ...settings, autoPromote: config.model.autoPromote },
    logger: deps.logger,
    pause: () => new Promise((resolve) => setImmediate(resolve)),
    runs: deps.stores.runs,
    holder: `${hostname()}:${process.pid}`,
  });
  job.start();
  return job;
}
