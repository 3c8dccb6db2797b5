/**
 * A whole service in process, wired the way src/cli/service.ts wires monitoring: memory
 * journal, the real decision stage and worker with the monitoring hooks, the real server
 * listening on a loopback port. With `execution`, also the execution stage over two paper
 * venues priced by a static feed, reporting legs and equity as the service does. For the
 * dashboard and monitoring tests.
 */
import { Writable } from 'node:stream';
import { systemClock, type Clock } from '../../src/core/clock.ts';
import { InMemoryControlStore } from '../../src/core/controls.ts';
import type { SignalProcessor } from '../../src/core/ports.ts';
import { createDecisionStage } from '../../src/engine/decision-stage.ts';
import { DecisionState } from '../../src/engine/decision-state.ts';
import { Worker } from '../../src/engine/worker.ts';
import { createMemoryJournal } from '../../src/journal/memory.ts';
import { InMemoryModelStore } from '../../src/model/registry.ts';
import { DEFAULT_RISK_LIMITS } from '../../src/risk/guard.ts';
import type { SourceSettings } from '../../src/ingest/source.ts';
import { createLogger } from '../../src/cli/logger.ts';
import { wireMonitoring } from '../../src/cli/monitoring.ts';
import type { AlertsConfig } from '../../src/alerts/config.ts';
import { buildServer } from '../../src/server/app.ts';
import { seededRandom } from '../../src/core/random.ts';
import type { Venue } from '../../src/core/venue.ts';
import { createExecutionStage } from '../../src/engine/execution-stage.ts';
import { equityOf, reportLeg } from '../../src/engine/telemetry-reports.ts';
import { DEFAULT_ROUTING } from '../../src/execution/router.ts';
import { MemoryOrderStore } from '../../src/journal/memory-orders.ts';
import { createStaticFeed } from '../../src/marketdata/static.ts';
import { createPaperVenue } from '../../src/venues/paper/index.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { source } from './server.ts';
import { TEST_SECRET } from './service-process.ts';

export interface MonitoredServiceOptions {
  clock?: Clock;
  alerts?: AlertsConfig;
  apiToken?: string;
  /** Wraps the real decision stage (e.g. to make chosen signals fail). */
  processor?: (decide: SignalProcessor) => SignalProcessor;
  sources?: SourceSettings[];
  /** Place hedges on paper venues (primary 5 ms, backup 10 ms) priced at 0.2412. */
  execution?: boolean;
}

export async function startMonitoredService(opts: MonitoredServiceOptions = {}) {
  const clock = opts.clock ?? systemClock;
  const journal = createMemoryJournal();
  const controls = new InMemoryControlStore();
  const models = new InMemoryModelStore();
  const state = new DecisionState();
  const logs: string[] = [];
  const logger = createLogger('warn', new Writable({ write(chunk, _enc, cb) { logs.push(chunk.toString()); cb(); } }));
  const market = createStaticFeed({ 'TRX/USDT:USDT': 0.2412 }, { clock });
  const stage = createDecisionStage({
    clock, models, controls, state, account: { equity: 10_000, riskTolerance: 0.5 }, limits: DEFAULT_RISK_LIMITS,
    ...(opts.execution ? { market } : {}),
  });
  const orders = new MemoryOrderStore();
  const venues = new Map<string, Venue>();
  if (opts.execution) {
    for (const [id, latencyMs] of [['primary', 5], ['backup', 10]] as const) {
      const venue = createPaperVenue({ id, kind: 'paper', latencyMs }, { clock, market, random: seededRandom(1) });
      await venue.start();
      venues.set(id, venue);
    }
  }
  const metrics = createMetrics({
    queueDepth: () => journal.depth(),
    dlqSize: () => journal.size(),
    activeModel: async () => (await models.active()).version,
    killSwitch: () => controls.killSwitch(),
    positions: () => stage.positions(),
    clock,
  });
  const sources = new Map((opts.sources ?? [source('default', 'standard', [TEST_SECRET])]).map((s) => [s.name, s]));
  const monitoring = wireMonitoring({
    ...(opts.alerts ? { alerts: opts.alerts } : {}),
    metrics,
    clock,
    logger,
    dlq: journal,
    controls,
    positions: () => stage.positions(),
    sources: sources.keys(),
  });
  const telemetry = monitoring.telemetry;
  const execution = createExecutionStage({
    clock,
    decision: stage,
    orders,
    venues,
    routing: { ...DEFAULT_ROUTING, order: ['primary', 'backup'] },
    onLegSettled: (leg) => reportLeg(telemetry, leg),
    onRouted: () => {
      for (const e of equityOf(stage.positions(), 10_000)) telemetry.setEquity(e);
    },
  });
  const process: SignalProcessor = opts.execution ? execution.process : stage.process;
  const worker = new Worker({
    queue: journal,
    process: opts.processor ? opts.processor(process) : process,
    clock,
    retry: { maxAttempts: 1 },
    random: () => 0.5,
    logger,
    ...monitoring.workerHooks,
  });
  const server = buildServer({
    journal,
    queue: journal,
    dlq: journal,
    models,
    controls,
    positions: stage.positions,
    ...(opts.execution
      ? { orders, market: () => ({ kind: market.kind, description: market.description, venues: [...venues.values()].map((v) => ({ id: v.id, kind: v.kind })) }) }
      : {}),
    sources,
    clock,
    logger,
    metrics,
    ...(opts.apiToken ? { apiToken: opts.apiToken } : {}),
    trustProxy: false,
    requestTimeoutMs: 10_000,
    headersTimeoutMs: 5_000,
    keepAliveTimeoutMs: 5_000,
  });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  worker.start();
  return {
    url: `http://127.0.0.1:${port}`,
    journal,
    controls,
    models,
    metrics,
    monitoring,
    worker,
    logs,
    app: server.app,
    async stop() {
      monitoring.stop();
      server.startDraining();
      const closing = server.app.close();
      // fetch opens spare connections that never carry a request; they would hold close()
      // until the client's keep-alive timeout.
      server.app.server.closeAllConnections();
      await closing;
      await worker.stop();
      for (const v of venues.values()) await v.close();
      await journal.close();
    },
  };
}
