/**
 * The monitoring wiring: the worker's hooks that feed metrics, the dashboard and the live
 * stream; a watcher that notices kill-switch and DLQ changes made anywhere (API, CLI on
 * the data dir); and the alerts — rules evaluated on a Clock timer over a snapshot, turned
 * into de-duplicated, rate-limited notifications, posted by a delivery adapter.
 *
 * Nothing here is on the webhook path: the route only records into the metrics (O(1)),
 * and every read for the snapshot happens on the evaluation timer.
 */
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { ControlStore, KillSwitchState } from '../core/controls.ts';
import type { DeadLetterQueue, Delivery } from '../core/ports.ts';
import type { ProcessingOutcome, SignalState } from '../core/signal.ts';
import type { Telemetry } from '../core/telemetry.ts';
import { HedgehookError, type ErrorInfo } from '../core/errors.ts';
import type { PositionView } from '../portfolio/positions.ts';
import { alertsConfigSchema, type AlertsConfig } from '../alerts/config.ts';
import { AlertDelivery } from '../alerts/delivery.ts';
import { AlertManager } from '../alerts/manager.ts';
import { estimatedMarginRatio, evaluateRules, type AlertSnapshot, type MarginReading } from '../alerts/rules.ts';
import type { Metrics } from '../server/metrics.ts';

export interface MonitoringOptions {
  /** The parsed `alerts` section (`config.alerts`); absent: every default, no sink. */
  alerts?: AlertsConfig;
  metrics: Metrics;
  clock: Clock;
  logger: Logger;
  dlq: DeadLetterQueue;
  controls: ControlStore;
  /** The position ledger, for the margin estimate from reported positions. */
  positions: () => PositionView[] | Promise<PositionView[]>;
  /** Configured webhook source names (the silence watchdog watches these). */
  sources: Iterable<string>;
  env?: NodeJS.ProcessEnv;
}

export interface WorkerHooks {
  onSettled(state: SignalState, delivery: Delivery, outcome?: ProcessingOutcome): void;
  onRetry(delivery: Delivery, error: ErrorInfo, delayMs: number): void;
  onDeadLetter(delivery: Delivery, reason: string, error: ErrorInfo): void;
}

export interface Monitoring {
  /** Spread into the Worker's options: `new Worker({ …, ...monitoring.workerHooks })`. */
  workerHooks: WorkerHooks;
  /** What the execution stage reports into (orders, equity, margin, venue health). */
  telemetry: Telemetry;
  /** One evaluation now (the timer calls it; tests call it after moving the clock). */
  evaluate(): Promise<void>;
  /** Resolves when queued notifications are delivered or given up (tests). */
  deliveriesIdle(): Promise<void>;
  stop(): void;
}

function resolveUrl(cfg: AlertsConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (cfg.url) return cfg.url;
  if (!cfg.urlEnv) return undefined;
  const url = env[cfg.urlEnv];
  if (!url) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `alerts.urlEnv: environment variable ${cfg.urlEnv} is not set`);
  if (!/^https?:\/\//.test(url)) throw new HedgehookError('HH_ERR_CONFIG_INVALID', `alerts.urlEnv: ${cfg.urlEnv} is not an http(s) URL`);
  return url;
}

function sameKillSwitch(a: KillSwitchState | undefined, b: KillSwitchState): boolean {
  return a !== undefined && a.halted === b.halted && a.at === b.at;
}

export function wireMonitoring(opts: MonitoringOptions): Monitoring {
  const { metrics, clock, logger } = opts;
  const cfg = opts.alerts ?? alertsConfigSchema.parse({});
  const log = logger.child({ component: 'alerts' });
  const sources = [...opts.sources];
  const startedAt = clock.now();
  const url = resolveUrl(cfg, opts.env ?? process.env);
  const manager = new AlertManager({ cooldownMs: cfg.cooldownMs, maxPerMinute: cfg.maxPerMinute });
  const delivery = url
    ? new AlertDelivery({
        url,
        format: cfg.format,
        ...(cfg.telegramChatId !== undefined ? { telegramChatId: cfg.telegramChatId } : {}),
        ...(cfg.headers ? { headers: cfg.headers } : {}),
        ...cfg.delivery,
        clock,
        logger: log,
        onResult: (result) => metrics.observeAlertNotification(result),
      })
    : undefined;
  if (!delivery) log.info('alerts: no sink configured (alerts.url or alerts.urlEnv); alerts show on the dashboard only');

  let lastKillSwitch: KillSwitchState | undefined;
  let lastDlqSize: number | undefined;

  async function snapshot(): Promise<AlertSnapshot> {
    const [dlqSize, killSwitch, positions] = await Promise.all([opts.dlq.size(), opts.controls.killSwitch(), opts.positions()]);
    const a = metrics.activity;
    const now = clock.now();

    // Changes made by anyone (the page, a script, the CLI on the data dir) reach the page.
    if (lastKillSwitch !== undefined && !sameKillSwitch(lastKillSwitch, killSwitch)) {
      metrics.publish('killswitch', { halted: killSwitch.halted, reason: killSwitch.reason ?? null, by: killSwitch.by ?? null });
    }
    if (lastDlqSize !== undefined && lastDlqSize !== dlqSize) metrics.publish('dlq', { action: 'size', size: dlqSize });
    lastKillSwitch = killSwitch;
    lastDlqSize = dlqSize;

    const ack = a.latencyHistogram('ack', cfg.ackLatency.windowMs);
    const margins: MarginReading[] = a.margins().map((m) => ({ account: m.account, venue: m.venue, symbol: m.symbol, ratio: m.ratio, from: 'venue' }));
    for (const p of positions) {
      if (!p.main) continue;
      const ratio = estimatedMarginRatio(p.main, p.markPrice);
      if (ratio !== null) margins.push({ account: p.account, venue: 'main', symbol: p.symbol, ratio, from: 'position' });
    }
    return {
      now,
      startedAt,
      sources: sources.map((name) => {
        const seen = a.lastSeenAt(name);
        return seen === undefined ? { name } : { name, lastSeenAt: seen };
      }),
      dlqSize,
      killSwitch: {
        halted: killSwitch.halted,
        ...(killSwitch.reason !== undefined ? { reason: killSwitch.reason } : {}),
        ...(killSwitch.by !== undefined ? { by: killSwitch.by } : {}),
      },
      ack: { valueMs: ack.quantile(cfg.ackLatency.quantile), samples: ack.total },
      venues: a.venueNames().map((venue) => {
        const h = a.venueHealth(venue);
        const recent = a.recentOrders(venue, cfg.venue.orders, cfg.venue.windowMs);
        return { venue, up: h.up, reason: h.reason, ...recent };
      }),
      margins,
    };
  }

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  async function evaluateOnce(): Promise<void> {
    const s = await snapshot();
    const conditions = evaluateRules(s, cfg, manager.firing());
    const { notifications, transitions } = manager.update(conditions, s.now);
    for (const t of transitions) {
      const alert = { key: t.key, rule: t.condition.rule, severity: t.condition.severity, summary: t.condition.summary, since: t.since };
      metrics.observeAlert(alert, t.firing);
      log[t.firing ? 'warn' : 'info']({ key: t.key, summary: t.condition.summary }, t.firing ? 'alert firing' : 'alert resolved');
    }
    for (const n of notifications) {
      if (delivery) delivery.send(n);
    }
  }

  function evaluate(): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await evaluateOnce();
        } while (again && !stopped);
      } catch (err) {
        log.error({ err }, 'alert evaluation failed');
      } finally {
        running = undefined;
      }
    })();
    return running;
  }

  let cancelTimer: (() => void) | undefined;
  const schedule = () => {
    cancelTimer = clock.setTimer(cfg.evaluateEveryMs, () => {
      if (stopped) return;
      schedule();
      void evaluate();
    });
  };
  schedule();
  // An operator action is evaluated at once: the kill-switch alert should not wait a tick.
  const unsubscribe = metrics.live.subscribe((events) => {
    if (events.some((e) => e.type === 'control')) void evaluate();
  });

  const workerHooks: WorkerHooks = {
    onSettled(state, d, outcome) {
      // A dead signal is reported by onDeadLetter, which has the reason.
      if (state !== 'dead') metrics.observeSettled(state, d, outcome);
    },
    onRetry() {
      metrics.observeRetry();
    },
    onDeadLetter(d, reason) {
      metrics.observeSettled('dead', d, undefined, reason);
      metrics.observeDeadLetter(d, reason);
      void evaluate();
    },
  };

  return {
    workerHooks,
    telemetry: metrics.telemetry,
    evaluate,
    deliveriesIdle: () => delivery?.idle() ?? Promise.resolve(),
    stop() {
      stopped = true;
      cancelTimer?.();
      unsubscribe();
      delivery?.stop();
    },
  };
}

