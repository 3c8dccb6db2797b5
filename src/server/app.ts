/**
 * The HTTP surface: webhooks, the API, health and metrics. It receives ready-made ports
 * and settings from the wiring; it constructs no adapter and reads no configuration.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { ControlStore } from '../core/controls.ts';
import type { ModelStore } from '../core/model.ts';
import type { DeadLetterQueue, Journal, SignalQueue } from '../core/ports.ts';
import type { SourceSettings } from '../ingest/source.ts';
import type { Metrics } from './metrics.ts';
import type { OrderStore } from '../core/orders.ts';
import { registerWebhooks } from './webhooks.ts';
import { registerApi, type MarketDescription, type PositionsSource } from './api.ts';
import { registerHealth } from './health.ts';
import { registerDashboard } from './dashboard-api.ts';

export interface ServerOptions {
  /** Order legs for `GET /api/orders` and the orders of a signal (absent: none wired). */
  orders?: OrderStore;
  /** `GET /api/market`: the market-data feed (labelled when simulated) and the venues. */
  market?: () => MarketDescription;
  journal: Journal;
  queue: SignalQueue;
  dlq: DeadLetterQueue;
  /** The model registry (`GET /api/models`). */
  models: ModelStore;
  /** The kill switch (`GET|POST /api/halt`, `POST /api/resume`). */
  controls: ControlStore;
  /** The position ledger (`GET /api/positions`). */
  positions: PositionsSource;
  sources: ReadonlyMap<string, SourceSettings>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** When set, the API and /metrics require `Authorization: Bearer <token>`. */
  apiToken?: string;
  trustProxy: boolean | string | string[];
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface Server {
  app: FastifyInstance;
  /** Stops taking webhooks (503) and reports not ready, before the listener closes. */
  startDraining(): void;
}

export function buildServer(options: ServerOptions): Server {
  const state = { draining: false };
  const app: FastifyInstance = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // One log line per request would cost more than the whole ack path; we log outcomes ourselves.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustProxy,
    requestTimeout: options.requestTimeoutMs,
    connectionTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    return503OnClosing: true,
    // Errors must not echo a stack trace to a client.
    exposeHeadRoutes: false,
    // Node enforces headersTimeout and requestTimeout only when it sweeps its connections,
    // every 30 s by default: a client trickling its headers would hold a socket for up to
    // 30 s past the limit. Sweeping at the tighter limit (at least every second) keeps it.
    http: { connectionsCheckingInterval: Math.max(100, Math.min(1_000, options.headersTimeoutMs)) },
  });
  // Slowloris: a client that trickles headers is cut off long before requestTimeout.
  app.server.headersTimeout = options.headersTimeoutMs;

  registerHealth(app, { journal: options.journal, state, metrics: options.metrics, apiToken: options.apiToken });
  registerWebhooks(app, { ...options, state });
  registerApi(app, options);
  registerDashboard(app, options);

  return {
    app,
    startDraining() {
      state.draining = true;
    },
  };
}
