/**
 * Observations of the running service, in one place: every `observe…`/`set…` call updates
 * the Prometheus registry, the in-memory activity the dashboard and the alerts read, and
 * publishes a live event. Callers report a fact once; they never talk to the three apart.
 *
 * One registry per service instance (not prom-client's global one) so tests and several
 * in-process servers never share counters. Every metric is documented in docs/metrics.md.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../core/clock.ts';
import type { Delivery } from '../core/ports.ts';
import type { ProcessingOutcome, SignalState } from '../core/signal.ts';
import type { EquityObservation, MarginObservation, OrderObservation, Telemetry, VenueHealthObservation } from '../core/telemetry.ts';
import type { PositionView } from '../portfolio/positions.ts';
import { Activity, type ActiveAlert, type WebhookOutcome } from './activity.ts';
import { LiveHub } from './live.ts';

/** Sub-millisecond buckets: the ack path is expected to take single milliseconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Decisions wait in the queue behind a group commit; orders cross the internet. */
const SIGNAL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ORDER_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** What the metrics read of an embedded journal's counters (the journal's JournalStats fits). */
export interface JournalCounters {
  /** Group commits that stored webhooks. */
  batches: number;
  accepted: number;
  duplicates: number;
}

export interface MetricsSources {
  queueDepth: () => Promise<number>;
  dlqSize: () => Promise<number>;
  /** The active hedge model version (`hedgehook_model_info`). */
  activeModel?: () => Promise<string>;
  /** The kill switch (`hedgehook_kill_switch_engaged`). */
  killSwitch?: () => Promise<{ halted: boolean }>;
  /** The position ledger (`hedgehook_position_size`, `hedgehook_hedge_size`). */
  positions?: () => PositionView[] | Promise<PositionView[]>;
  /** The embedded journal's counters (`hedgehook_journal_group_commits_total`, `…_appends_total`). */
  journalStats?: () => JournalCounters;
  /** Time for the activity buckets; default the system clock. */
  clock?: Clock;
}

/** How a signal's final state is shown live: its decision and its orders. */
function signalEvent(state: SignalState, d: Delivery, outcome: ProcessingOutcome | undefined, at: number, reason?: string) {
  const decision = outcome?.decision as { ratio?: number | null; contributions?: object; targetHedge?: number | null; outcome?: string } | undefined;
  return {
    type: 'signal',
    at,
    id: d.id,
    seq: d.seq,
    source: d.source,
    state,
    account: d.payload.account,
    symbol: d.payload.symbol,
    action: d.payload.action,
    signalType: d.payload.type ?? null,
    receivedAt: d.receivedAt,
    reason: outcome?.reason ?? reason ?? null,
    decision: decision
      ? { outcome: decision.outcome ?? null, ratio: decision.ratio ?? null, contributions: decision.contributions ?? {}, targetHedge: decision.targetHedge ?? null }
      : null,
    orders: outcome?.orders ?? [],
  };
}

export function createMetrics(sources?: MetricsSources) {
  const clock = sources?.clock ?? systemClock;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'hedgehook_' });
  const activity = new Activity(clock);
  const live = new LiveHub();

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
  const deadLetters = new Counter({
    name: 'hedgehook_dead_letters_total',
    help: 'Signals moved to the dead-letter queue.',
    registers: [registry],
  });
  const decisionLatency = new Histogram({
    name: 'hedgehook_decision_seconds',
    help: 'Time from the webhook being journaled to its hedge decision, by decision outcome (hedge, skipped, rejected).',
    labelNames: ['outcome'] as const,
    buckets: SIGNAL_BUCKETS,
    registers: [registry],
  });
  const signalLatency = new Histogram({
    name: 'hedgehook_signal_seconds',
    help: 'Time from the webhook being journaled to its final state, by state; for hedged, the webhook-to-hedge (hedge execution) latency.',
    labelNames: ['state'] as const,
    buckets: SIGNAL_BUCKETS,
    registers: [registry],
  });
  const orderLatency = new Histogram({
    name: 'hedgehook_venue_order_seconds',
    help: 'Time from an order request leaving to the answer that settled it, by venue and outcome.',
    labelNames: ['venue', 'outcome'] as const,
    buckets: ORDER_BUCKETS,
    registers: [registry],
  });
  const venueUp = new Gauge({
    name: 'hedgehook_venue_up',
    help: '1 when the venue answered its last health check or request, 0 when it is down.',
    labelNames: ['venue'] as const,
    registers: [registry],
  });
  const equity = new Gauge({
    name: 'hedgehook_equity_usdt',
    help: 'Account equity in USDT, with the hedges (curve="hedged") and without (curve="unhedged").',
    labelNames: ['account', 'curve'] as const,
    registers: [registry],
  });
  const margin = new Gauge({
    name: 'hedgehook_margin_ratio',
    help: 'Maintenance margin over margin balance as the venue reports it; 1 is liquidation.',
    labelNames: ['account', 'venue', 'symbol'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'hedgehook_alerts_firing',
    help: 'Alerts currently firing, by rule.',
    labelNames: ['rule'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const a of activity.alerts()) this.inc({ rule: a.rule });
    },
  });
  const alertNotifications = new Counter({
    name: 'hedgehook_alert_notifications_total',
    help: 'Alert notifications by result: sent, retried (a failed attempt that will be retried), failed (gave up), dropped (queue full).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'hedgehook_webhook_last_seen_timestamp_seconds',
    help: 'When each source last sent a webhook that was accepted or a duplicate (Unix time); absent before the first.',
    labelNames: ['source'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of activity.sources()) if (s.lastSeenAt !== null) this.set({ source: s.source }, s.lastSeenAt / 1000);
    },
  });
  new Gauge({
    name: 'hedgehook_live_clients',
    help: 'Dashboard event streams (GET /api/events) open now.',
    registers: [registry],
    collect() {
      this.set(live.clients);
    },
  });
  /** A counter that mirrors a running total kept elsewhere, read at scrape time. */
  const mirroredCounter = (name: string, help: string, total: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const now = total();
        if (now > seen) this.inc(now - seen);
        seen = now;
      },
    });
  };
  mirroredCounter(
    'hedgehook_live_events_dropped_total',
    'Live events a slow dashboard stream skipped (it is told to refetch) or that overflowed the pending batch.',
    () => live.dropped,
  );
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
    const { activeModel, killSwitch, positions, journalStats } = sources;
    if (journalStats) {
      // appends / group commits is the batch size: how many webhooks share one fsync.
      mirroredCounter('hedgehook_journal_group_commits_total', 'Journal group commits that held webhooks (one transaction, one fsync each).', () => journalStats().batches);
      mirroredCounter('hedgehook_journal_appends_total', 'Webhooks those group commits answered: new ones stored, and duplicates found stored already.', () => {
        const s = journalStats();
        return s.accepted + s.duplicates;
      });
    }
    if (activeModel) {
      new Gauge({
        name: 'hedgehook_model_info',
        help: 'Always 1; the label `version` names the active hedge model.',
        labelNames: ['version'] as const,
        registers: [registry],
        async collect() {
          this.reset();
          this.set({ version: await activeModel() }, 1);
        },
      });
    }
    if (killSwitch) {
      new Gauge({
        name: 'hedgehook_kill_switch_engaged',
        help: '1 while the kill switch stops new orders, else 0.',
        registers: [registry],
        async collect() {
          this.set((await killSwitch()).halted ? 1 : 0);
        },
      });
    }
    if (positions) {
      // Read at scrape time from the ledger: one source of truth, nothing to keep in step.
      // Registered after the main-position gauge, which fills both from one read.
      let hedge: Gauge<'account' | 'symbol' | 'venue'> | undefined;
      new Gauge({
        name: 'hedgehook_position_size',
        help: 'The main (strategy) position as last reported, signed base units (long +, short −).',
        labelNames: ['account', 'symbol'] as const,
        registers: [registry],
        async collect() {
          const views = await positions();
          this.reset();
          hedge?.reset();
          for (const p of views) {
            if (p.main) this.set({ account: p.account, symbol: p.symbol }, p.main.side === 'short' ? -p.main.size : p.main.size);
            for (const h of p.hedges) hedge?.set({ account: p.account, symbol: p.symbol, venue: h.venue }, h.signedSize);
          }
        },
      });
      hedge = new Gauge({
        name: 'hedgehook_hedge_size',
        help: 'The hedge held on each venue, signed base units (short −).',
        labelNames: ['account', 'symbol', 'venue'] as const,
        registers: [registry],
      });
    }
  }

  // A replayed dead letter's "latency" is the operator's reaction time, not the service's.
  const replayed = new Set<string>();

  // prom-client hashes the label object on every call; the webhook path reuses children.
  const webhookChildren = new Map<string, { count: { inc(): void }; ack: { observe(v: number): void } }>();

  const telemetry: Telemetry = {
    observeOrder(o: OrderObservation) {
      orderLatency.observe({ venue: o.venue, outcome: o.outcome }, o.latencyMs / 1000);
      activity.recordOrder(o);
      live.publish({ type: 'order', at: clock.now(), venue: o.venue, outcome: o.outcome, latencyMs: o.latencyMs });
    },
    setEquity(e: EquityObservation) {
      equity.set({ account: e.account, curve: 'hedged' }, e.hedged);
      equity.set({ account: e.account, curve: 'unhedged' }, e.unhedged);
      activity.setEquity(e);
      live.publish({ type: 'equity', at: clock.now(), account: e.account, hedged: e.hedged, unhedged: e.unhedged });
    },
    setMargin(m: MarginObservation) {
      margin.set({ account: m.account, venue: m.venue, symbol: m.symbol }, m.ratio);
      activity.setMargin(m);
    },
    setVenueHealth(v: VenueHealthObservation) {
      const before = activity.venueHealth(v.venue).up;
      venueUp.set({ venue: v.venue }, v.up ? 1 : 0);
      activity.setVenueHealth(v);
      if (before !== v.up) live.publish({ type: 'venue', at: clock.now(), venue: v.venue, up: v.up, reason: v.reason ?? null });
    },
  };

  return {
    registry,
    webhooks,
    rejections,
    ackLatency,
    processed,
    retries,
    activity,
    live,
    clock,
    ...telemetry,
    telemetry,

    /** The webhook route, once the answer is sent. Cheap: the ack path calls it per request. */
    observeWebhook(source: string, outcome: WebhookOutcome, elapsedMs: number, signalId?: string, reason?: string): void {
      const key = source + '\u0000' + outcome;
      let child = webhookChildren.get(key);
      if (!child) {
        child = { count: webhooks.labels(source, outcome), ack: ackLatency.labels(source, outcome) };
        webhookChildren.set(key, child);
      }
      child.count.inc();
      child.ack.observe(elapsedMs / 1000);
      activity.recordWebhook(source, outcome, reason, elapsedMs);
      live.publish({ type: 'webhook', at: clock.now(), source, outcome, id: signalId ?? null, reason: reason ?? null, latencyMs: elapsedMs });
    },

    /** The worker settled a signal (`outcome` absent for `dead`). */
    observeSettled(state: SignalState, delivery: Delivery, outcome?: ProcessingOutcome, reason?: string): void {
      const at = clock.now();
      processed.inc({ state });
      live.publish(signalEvent(state, delivery, outcome, at, reason));
      if (state !== 'dead' && replayed.delete(delivery.id)) return;
      signalLatency.observe({ state }, Math.max(0, at - delivery.receivedAt) / 1000);
      const decision = outcome?.decision as { decidedAt?: number; outcome?: string } | undefined;
      const decidedAt = typeof decision?.decidedAt === 'number' ? decision.decidedAt : undefined;
      if (decidedAt !== undefined) {
        decisionLatency.observe({ outcome: decision?.outcome ?? state }, Math.max(0, decidedAt - delivery.receivedAt) / 1000);
      }
      activity.recordSettled(state, delivery.receivedAt, decidedAt);
    },

    observeRetry(): void {
      retries.inc();
    },

    observeDeadLetter(delivery: Delivery, reason: string): void {
      deadLetters.inc();
      replayed.add(delivery.id);
      if (replayed.size > 10_000) replayed.delete(replayed.values().next().value!);
      live.publish({ type: 'dlq', at: clock.now(), action: 'added', signalId: delivery.id, reason });
    },

    /** An alert fired or resolved (the dashboard's alert strip, `hedgehook_alerts_firing`). */
    observeAlert(alert: ActiveAlert, firing: boolean): void {
      activity.setAlert(alert, firing);
      live.publish({ type: 'alert', at: clock.now(), status: firing ? 'firing' : 'resolved', ...alert });
    },

    observeAlertNotification(result: 'sent' | 'retried' | 'failed' | 'dropped'): void {
      alertNotifications.inc({ result });
    },

    /** Operator actions and state changes seen by the watcher (kill switch, DLQ). */
    publish(type: string, fields: Record<string, unknown>): void {
      live.publish({ ...fields, type, at: clock.now() });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
