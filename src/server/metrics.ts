/**
 * Prometheus metrics. One registry per service instance (not prom-client's global one)
 * so tests and several in-process servers never share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Sub-millisecond buckets: the ack path is expected to take single milliseconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface MetricsSources {
  queueDepth: () => Promise<number>;
  dlqSize: () => Promise<number>;
}

export function createMetrics(sources?: MetricsSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hedgehook_' });

  const webhooks = new Counter({
    name: 'hedgehook_webhooks_total',
    help: 'Webhook requests by source and outcome (accepted, duplicate, rejected).',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'hedgehook_webhook_rejections_total',
    help: 'Rejected webhook requests by source and reason (a HH_ERR_ code).',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  const ackLatency = new Histogram({
    name: 'hedgehook_webhook_ack_seconds',
    help: 'Time from request arrival to the answer being sent, by source and outcome.',
    labelNames: ['source', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const processed = new Counter({
    name: 'hedgehook_signals_processed_total',
    help: 'Signals settled by the worker, by final state (hedged, skipped, rejected, dead).',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'hedgehook_signal_retries_total',
    help: 'Processing attempts that failed and were scheduled again.',
    registers: [registry],
  });
  if (sources) {
    new Gauge({
      name: 'hedgehook_queue_depth',
      help: 'Signals journaled but not yet settled (queued, waiting for a retry, or in flight).',
      registers: [registry],
      async collect() {
        this.set(await sources.queueDepth());
      },
    });
    new Gauge({
      name: 'hedgehook_dlq_size',
      help: 'Entries in the dead-letter queue awaiting replay or purge.',
      registers: [registry],
      async collect() {
        this.set(await sources.dlqSize());
      },
    });
  }
  return { registry, webhooks, rejections, ackLatency, processed, retries };
}

export type Metrics = ReturnType<typeof createMetrics>;
