/**
 * The soak's webhook sender: a fixed offered rate across keys, signed with Standard
 * Webhooks, and what a careful sender does with failures — a request without a 2xx
 * answer (connection refused or reset while the service restarts, a 503) is sent again
 * with the same `webhook-id`, re-signed with a fresh timestamp, until it is acknowledged.
 *
 * Per key (account) one request is in flight at a time and the next is sent only after
 * the previous one was acknowledged: the order of acknowledgements of one key is then
 * the order the strategy fired, which the reconciliation compares with the journal's.
 */
import { randomUUID } from 'node:crypto';
import { signStandard } from '../../src/ingest/schemes/standard.ts';
import type { SoakPayload } from './workload.ts';

export interface Hook {
  /** Global send order. */
  n: number;
  key: string;
  /** Per-key index (also inside the body, `soak.k`). */
  k: number;
  webhookId: string;
  body: string;
  payload: SoakPayload;
  /** Attempts made (1 when the first was answered). */
  attempts: number;
  /** The signal id of the first acknowledgement. */
  signalId?: string;
  ackStatus?: 202 | 200;
  /** Every signal id any acknowledgement named (more than one = a duplicate). */
  ids: Set<string>;
  /** Milliseconds since the start of the run, when acknowledged. */
  ackedAtMs?: number;
}

export interface SenderStats {
  /** HTTP status → count of answers, plus `error` for requests with no answer. */
  answers: Record<string, number>;
  /** Requests refused with a status that a valid webhook must never get. */
  refused: { hook: number; status: number; body: string }[];
  /** Deliberate resends of acknowledged webhooks that were answered. */
  resent: number;
  /** Resends answered with anything but `200 {id: <the same id>, duplicate: true}`. */
  resendMismatches: { hook: number; status: number; body: string }[];
}

export interface SenderOptions {
  url: () => string;
  secret: string;
  startedAt: number;
  /** Back-off between attempts of one webhook while the service is away. */
  retryMs?: number;
  /**
   * Share of acknowledged webhooks sent once more, as a sender that missed the answer
   * would (TradingView resends on a timeout): the answer must be the same signal.
   */
  resendRate?: number;
  random?: () => number;
}

export class Sender {
  readonly hooks: Hook[] = [];
  readonly stats: SenderStats = { answers: {}, refused: [], resent: 0, resendMismatches: [] };
  private readonly queues = new Map<string, Hook[]>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly retryMs: number;

  constructor(private readonly opts: SenderOptions) {
    this.retryMs = opts.retryMs ?? 100;
  }

  /** Queues one webhook of `key`; its per-key sender starts if idle. */
  enqueue(key: string, payload: SoakPayload): Hook {
    const hook: Hook = {
      n: this.hooks.length,
      key,
      k: payload.soak.k,
      webhookId: `msg_soak_${randomUUID()}`,
      body: JSON.stringify(payload),
      payload,
      attempts: 0,
      ids: new Set(),
    };
    this.hooks.push(hook);
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    q.push(hook);
    if (!this.running.has(key)) {
      const run = this.drainKey(key).finally(() => this.running.delete(key));
      this.running.set(key, run);
    }
    return hook;
  }

  /** Webhooks not yet acknowledged. */
  backlog(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Resolves once every queued webhook was acknowledged (or refused). */
  async drained(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }

  private count(what: string): void {
    this.stats.answers[what] = (this.stats.answers[what] ?? 0) + 1;
  }

  private async drainKey(key: string): Promise<void> {
    const q = this.queues.get(key)!;
    while (q.length > 0) {
      const hook = q[0]!;
      const done = await this.attempt(hook);
      if (!done) {
        await new Promise((r) => setTimeout(r, this.retryMs));
        continue;
      }
      q.shift();
      if (hook.signalId !== undefined && (this.opts.random ?? Math.random)() < (this.opts.resendRate ?? 0)) await this.resend(hook);
    }
  }

  private async post(hook: Hook): Promise<{ status: number; text: string } | undefined> {
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': hook.webhookId,
      'webhook-timestamp': String(ts),
      'webhook-signature': signStandard(this.opts.secret, hook.webhookId, ts, Buffer.from(hook.body)),
    };
    try {
      const res = await fetch(`${this.opts.url()}/webhooks/default`, { method: 'POST', headers, body: hook.body, signal: AbortSignal.timeout(10_000) });
      return { status: res.status, text: await res.text() };
    } catch {
      this.count('error');
      return undefined;
    }
  }

  /** A deliberate duplicate of an acknowledged webhook; unanswered ones are not retried. */
  private async resend(hook: Hook): Promise<void> {
    const res = await this.post(hook);
    if (!res) return;
    this.count(String(res.status));
    if (res.status === 503 || res.status === 429) return;
    this.stats.resent++;
    let body: { id?: string; duplicate?: boolean } = {};
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      // a body that is not JSON is a mismatch below
    }
    if (body.id) hook.ids.add(body.id);
    if (res.status !== 200 || body.duplicate !== true || body.id !== hook.signalId) {
      this.stats.resendMismatches.push({ hook: hook.n, status: res.status, body: res.text.slice(0, 300) });
    }
  }

  /** One attempt; true when the webhook needs no further attempt. */
  private async attempt(hook: Hook): Promise<boolean> {
    hook.attempts++;
    const res = await this.post(hook);
    if (!res) return false;
    const { status, text } = res;
    this.count(String(status));
    if (status === 202 || status === 200) {
      let id: string | undefined;
      try {
        id = (JSON.parse(text) as { id?: string }).id;
      } catch {
        id = undefined;
      }
      if (!id) {
        this.stats.refused.push({ hook: hook.n, status, body: text.slice(0, 300) });
        return true;
      }
      hook.ids.add(id);
      if (hook.signalId === undefined) {
        hook.signalId = id;
        hook.ackStatus = status;
        hook.ackedAtMs = Date.now() - this.opts.startedAt;
      }
      return true;
    }
    // Shedding and "cannot journal now" are answers to retry; anything else refuses a valid webhook.
    if (status === 503 || status === 429) return false;
    this.stats.refused.push({ hook: hook.n, status, body: text.slice(0, 300) });
    return true;
  }
}
