/**
 * Delivery of notifications to the configured sink: an HTTP POST of JSON, one at a time in
 * order (a resolution never overtakes its firing), retried with exponential backoff on
 * network errors, timeouts, 408, 429 (honouring Retry-After) and 5xx; other 4xx are a
 * configuration problem and are not retried.
 *
 * `send` only appends to a bounded queue and returns: a sink that is slow or down holds up
 * nothing but its own queue, whose oldest entries are dropped when it is full. Timers
 * (backoff, request timeout) come from the Clock port. The URL is never logged: Slack,
 * Discord and Telegram URLs carry their secret.
 */
import type { Clock } from '../core/clock.ts';
import type { AlertFormat } from './config.ts';
import { formatNotification } from './format.ts';
import type { Notification } from './manager.ts';

export type DeliveryResult = 'sent' | 'retried' | 'failed' | 'dropped';

export interface DeliveryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryOptions {
  url: string;
  format: AlertFormat;
  telegramChatId?: string | number;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  queueSize: number;
  clock: Clock;
  logger?: DeliveryLogger;
  onResult?(result: DeliveryResult, n: Notification): void;
}

/** The backoff before attempt `attempt + 1` (attempt counts from 1): base × 2^(attempt−1), capped. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const s = Number(header);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
}

const quiet: DeliveryLogger = { info() {}, warn() {}, error() {} };

export class AlertDelivery {
  private readonly queue: Notification[] = [];
  private busy = false;
  private stopped = false;
  private cancelTimer: (() => void) | undefined;
  private abort: AbortController | undefined;
  private readonly log: DeliveryLogger;
  private readonly host: string;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: DeliveryOptions) {
    this.log = opts.logger ?? quiet;
    this.host = new URL(opts.url).host;
  }

  /** Queues a notification; never waits for the sink. */
  send(n: Notification): void {
    if (this.stopped) return;
    if (this.queue.length >= this.opts.queueSize) {
      // Keep the one in flight; drop the oldest waiting one.
      const [dropped] = this.queue.splice(this.busy ? 1 : 0, 1);
      if (dropped) {
        this.opts.onResult?.('dropped', dropped);
        this.log.warn({ sink: this.host, key: dropped.alert.key }, 'alert queue full: oldest notification dropped');
      }
    }
    this.queue.push(n);
    this.pump();
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when nothing is queued or in flight (a backoff wait counts as in flight). */
  idle(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what is queued, cancels the backoff timer and aborts the request in flight. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    this.cancelTimer?.();
    this.abort?.abort();
    this.busy = false;
    this.settleIdle();
  }

  private pump(): void {
    if (this.busy || this.stopped || this.queue.length === 0) return this.settleIdle();
    this.busy = true;
    void this.attempt(this.queue[0]!, 1);
  }

  private settleIdle(): void {
    if (this.busy || this.queue.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async attempt(n: Notification, attempt: number): Promise<void> {
    const o = this.opts;
    const ac = new AbortController();
    this.abort = ac;
    const cancelTimeout = o.clock.setTimer(o.timeoutMs, () => ac.abort());
    let status: number | undefined;
    let retryAfter: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(o.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'hedgehook-alerts', ...o.headers },
        body: JSON.stringify(formatNotification(n, { format: o.format, ...(o.telegramChatId !== undefined ? { telegramChatId: o.telegramChatId } : {}) })),
        signal: ac.signal,
        redirect: 'error',
      });
      status = res.status;
      retryAfter = retryAfterMs(res.headers.get('retry-after'));
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      error = ac.signal.aborted ? `no answer within ${o.timeoutMs} ms` : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    } finally {
      cancelTimeout();
      this.abort = undefined;
    }
    if (this.stopped) return;

    if (status !== undefined && status >= 200 && status < 300) return this.done(n, 'sent');
    const retryable = status === undefined || status === 408 || status === 429 || status >= 500;
    const what = status === undefined ? error : `HTTP ${status}`;
    if (retryable && attempt < o.maxAttempts) {
      const delay = Math.min(o.maxDelayMs, retryAfter ?? backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs));
      o.onResult?.('retried', n);
      this.log.warn({ sink: this.host, key: n.alert.key, attempt, delayMs: delay, error: what }, 'alert delivery failed; will retry');
      this.cancelTimer = o.clock.setTimer(delay, () => {
        this.cancelTimer = undefined;
        if (!this.stopped) void this.attempt(n, attempt + 1);
      });
      return;
    }
    this.log.error({ sink: this.host, key: n.alert.key, attempts: attempt, error: what }, retryable ? 'alert delivery gave up' : 'alert sink refused the notification');
    this.done(n, 'failed');
  }

  private done(n: Notification, result: 'sent' | 'failed'): void {
    if (this.queue[0] === n) this.queue.shift();
    this.busy = false;
    this.opts.onResult?.(result, n);
    this.pump();
  }
}
