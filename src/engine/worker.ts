/**
 * The worker: claims due signals from the SignalQueue and runs the pipeline step on each.
 *
 * - Different partition keys run in parallel, up to `concurrency`; one key never has two
 *   deliveries in flight, because the queue hands out one per key, lowest seq first.
 * - Success settles the signal. A throw is retried with backoff while the error is
 *   retryable and attempts remain, otherwise the signal is dead-lettered with the reason.
 * - It wakes on the queue's onWork (appends, replays in this process), on a timer for the
 *   next retry that falls due, and every `pollMs` for work another process wrote (the
 *   `hedgehook dlq replay` CLI on a running service's data dir).
 * - Time and timers come only from the Clock, so a ManualClock drives it in tests and
 *   the backtest.
 */
import type { Clock } from '../core/clock.ts';
import { HedgehookError, toErrorInfo, type ErrorInfo } from '../core/errors.ts';
import type { Delivery, SignalProcessor, SignalQueue } from '../core/ports.ts';
import type { ProcessingOutcome, SignalState } from '../core/signal.ts';
import { createRetryPolicy, type RetryOptions, type RetryPolicy } from './retry-policy.ts';

/** The structured-logging subset the worker uses; a pino logger fits. */
export interface WorkerLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WorkerOptions {
  queue: SignalQueue;
  process: SignalProcessor;
  clock: Clock;
  /** Backoff and attempts; defaults { maxAttempts: 5, baseMs: 200, maxMs: 30000, jitter: 'full' }. */
  retry?: RetryOptions | RetryPolicy;
  /** Deliveries in flight at once, across keys (default 8). */
  concurrency?: number;
  /** How often to look for work written by another process (default 500 ms, clock time). */
  pollMs?: number;
  /** The jitter source in [0, 1): the wiring passes Math.random, tests and backtests a seeded one. */
  random: () => number;
  logger?: WorkerLogger;
  /** After a signal reached a final state: hedged, skipped, rejected, or dead (no outcome). */
  onSettled?(state: SignalState, delivery: Delivery, outcome?: ProcessingOutcome): void;
  /** After a failed attempt was scheduled again, `delayMs` from now. */
  onRetry?(delivery: Delivery, error: ErrorInfo, delayMs: number): void;
  /** After a signal went to the dead-letter queue. */
  onDeadLetter?(delivery: Delivery, reason: string, error: ErrorInfo): void;
}

export interface WorkerCounters {
  /** Signals settled hedged, skipped or rejected. */
  processed: number;
  /** Failed attempts scheduled again. */
  retried: number;
  deadLettered: number;
  /** Queue operations (claim, settle, retry, dead letter) that failed; the worker backs off for pollMs. */
  queueErrors: number;
}

const SETTLED: ReadonlySet<string> = new Set(['hedged', 'skipped', 'rejected']);

const quietLogger: WorkerLogger = { info() {}, warn() {}, error() {} };

export class Worker {
  private readonly queue: SignalQueue;
  private readonly process: SignalProcessor;
  private readonly clock: Clock;
  private readonly policy: RetryPolicy;
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly random: () => number;
  private readonly log: WorkerLogger;
  private readonly options: WorkerOptions;

  private running = false;
  private stopping: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private pump: Promise<void> | undefined;
  private again = false;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  private cancelPoll: (() => void) | undefined;
  private cancelDue: (() => void) | undefined;
  private dueAt: number | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly count: WorkerCounters = { processed: 0, retried: 0, deadLettered: 0, queueErrors: 0 };

  constructor(options: WorkerOptions) {
    this.options = options;
    this.queue = options.queue;
    this.process = options.process;
    this.clock = options.clock;
    this.policy = options.retry && 'delayFor' in options.retry ? options.retry : createRetryPolicy(options.retry);
    this.concurrency = options.concurrency ?? 8;
    this.pollMs = options.pollMs ?? 500;
    this.random = options.random;
    this.log = options.logger ?? quietLogger;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `worker concurrency must be a whole number ≥ 1 (got ${this.concurrency})`);
    }
    if (!Number.isFinite(this.pollMs) || this.pollMs <= 0) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `worker pollMs must be > 0 (got ${this.pollMs})`);
    }
  }

  /** Starts claiming. Signals a previous run left in processing are claimed again first. */
  start(): void {
    if (this.running) return;
    if (this.stopping) throw new HedgehookError('HH_ERR_SHUTTING_DOWN', 'the worker is stopping');
    this.running = true;
    this.pausedUntil = Number.NEGATIVE_INFINITY;
    this.unsubscribe = this.queue.onWork(() => this.kick());
    this.schedulePoll();
    this.kick();
  }

  /** Stops claiming, lets in-flight deliveries finish and settle, then resolves. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.cancelPoll?.();
    this.cancelPoll = undefined;
    this.disarmDue();
    this.stopping = (async () => {
      if (this.pump) await this.pump;
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      this.stopping = undefined;
      this.checkIdle();
    })();
    return this.stopping;
  }

  /**
   * Resolves once nothing is in flight and nothing the worker knows of is due now (the
   * next retry may be waiting on the clock). Work another process wrote is noticed only
   * at the next poll.
   */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get counters(): WorkerCounters {
    return { ...this.count };
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get isRunning(): boolean {
    return this.running;
  }

  // -- the loop --------------------------------------------------------------------------

  private kick(): void {
    if (!this.running) return;
    if (this.pump) {
      this.again = true;
      return;
    }
    this.pump = this.pumpLoop().finally(() => {
      this.pump = undefined;
      this.checkIdle();
    });
  }

  private async pumpLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        if (!this.running) return;
        const now = this.clock.now();
        if (now < this.pausedUntil) return; // backing off after a queue failure; the poll resumes
        const free = this.concurrency - this.inFlight.size;
        if (free <= 0) return; // a finishing delivery kicks again
        let batch: Delivery[];
        try {
          batch = await this.queue.claim(free, now);
        } catch (err) {
          this.queueFailed('claim', err);
          return;
        }
        for (const d of batch) this.run(d);
        if (batch.length === free) this.again = true; // there may be more
        else if (!this.again) await this.armDueTimer();
      } while (this.again);
    } catch (err) {
      this.log.error({ err }, 'worker loop failed');
    }
  }

  private schedulePoll(): void {
    this.cancelPoll = this.clock.setTimer(this.pollMs, () => {
      this.cancelPoll = undefined;
      if (!this.running) return;
      this.schedulePoll();
      this.kick();
    });
  }

  /** Wakes the loop when the earliest waiting retry falls due. */
  private async armDueTimer(): Promise<void> {
    let next: number | undefined;
    try {
      next = await this.queue.nextDueAt();
    } catch (err) {
      this.queueFailed('nextDueAt', err);
      return;
    }
    if (!this.running) return;
    const now = this.clock.now();
    if (next === undefined || next <= now) {
      // Nothing waits, or it is due already and the next kick (work, settle, poll) takes it.
      this.disarmDue();
      return;
    }
    if (this.dueAt === next) return;
    this.disarmDue();
    this.dueAt = next;
    this.cancelDue = this.clock.setTimer(next - now, () => {
      this.cancelDue = undefined;
      this.dueAt = undefined;
      this.kick();
    });
  }

  private disarmDue(): void {
    this.cancelDue?.();
    this.cancelDue = undefined;
    this.dueAt = undefined;
  }

  private run(delivery: Delivery): void {
    const task: Promise<void> = this.handle(delivery)
      .catch((err: unknown) => this.log.error({ err, signalId: delivery.id }, 'delivery handling failed'))
      .finally(() => {
        this.inFlight.delete(task);
        this.kick();
        this.checkIdle();
      });
    this.inFlight.add(task);
  }

  private async handle(d: Delivery): Promise<void> {
    let failure: unknown;
    let outcome: ProcessingOutcome | undefined;
    try {
      outcome = await Promise.resolve().then(() => this.process(d));
      if (!outcome || typeof outcome !== 'object' || !SETTLED.has(outcome.state)) {
        throw new HedgehookError('HH_ERR_INTERNAL', `the processor returned no valid outcome (state ${String(outcome?.state)})`);
      }
    } catch (err) {
      failure = err ?? new Error('processor threw undefined');
      outcome = undefined;
    }

    if (outcome) {
      const settled = outcome;
      const state = outcome.state;
      try {
        await this.queue.settle(d, outcome, this.clock.now());
        this.count.processed++;
        this.log.debug?.({ signalId: d.id, state, attempt: d.attempt }, 'signal settled');
        this.hook('onSettled', () => this.options.onSettled?.(state, d, settled));
        return;
      } catch (err) {
        // The journal could not write (retryable): leave the signal processing; it is claimed
        // again after the back-off. Anything else (an outcome that cannot be stored) is a
        // failure of this signal.
        if (toErrorInfo(err).retryable) return this.queueFailed('settle', err, d);
        failure = err;
      }
    }

    const info = toErrorInfo(failure);
    const now = this.clock.now();
    if (this.policy.shouldRetry(d.attempt, info)) {
      const delay = this.policy.delayFor(d.attempt, this.random);
      try {
        await this.queue.retry(d, now + delay, info, now);
      } catch (err) {
        return this.queueFailed('retry', err, d);
      }
      this.count.retried++;
      this.log.warn({ signalId: d.id, attempt: d.attempt, delayMs: delay, code: info.code, reason: info.message }, 'signal failed; will retry');
      this.hook('onRetry', () => this.options.onRetry?.(d, info, delay));
      return;
    }

    const reason = info.retryable
      ? `gave up after ${d.attempt} attempt${d.attempt === 1 ? '' : 's'}: ${info.code}: ${info.message}`
      : `not retryable: ${info.code}: ${info.message}`;
    try {
      await this.queue.deadLetter(d, reason, info, now);
    } catch (err) {
      return this.queueFailed('deadLetter', err, d);
    }
    this.count.deadLettered++;
    this.log.error({ signalId: d.id, attempt: d.attempt, code: info.code, reason }, 'signal dead-lettered');
    this.hook('onSettled', () => this.options.onSettled?.('dead', d));
    this.hook('onDeadLetter', () => this.options.onDeadLetter?.(d, reason, info));
  }

  private queueFailed(op: string, err: unknown, d?: Delivery): void {
    this.count.queueErrors++;
    this.pausedUntil = this.clock.now() + this.pollMs;
    this.log.error({ err, op, signalId: d?.id }, 'queue operation failed; backing off');
  }

  private hook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err, hook: name }, 'worker hook threw');
    }
  }

  private isIdle(): boolean {
    return this.pump === undefined && this.inFlight.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

export function createWorker(options: WorkerOptions): Worker {
  return new Worker(options);
}
