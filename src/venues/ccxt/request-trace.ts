/**
 * What happened on the wire during one adapter call, which ccxt's exceptions do not say:
 * whether a request left at all, and the HTTP status, body and Retry-After of the answer.
 * The adapter needs it to class errors: an abort before the request left is harmless
 * (retryable), after it the order may exist (ambiguous); a 503 may or may not have been
 * executed depending on its body.
 *
 * A ccxt instance is shared by concurrent calls, so the trace of the current call travels
 * in an AsyncLocalStorage through ccxt's awaits, and two ccxt hooks write to it:
 * - `fetch`, called once ccxt's rate limiter lets the request go: a call whose AbortSignal
 *   already fired is stopped there, so a request the caller gave up on never leaves late;
 * - `handleErrors`, called with every HTTP answer before ccxt raises anything.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Exchange } from 'ccxt';

export interface RequestTrace {
  readonly signal: AbortSignal | undefined;
  /** A request of this call reached the transport (it may be on the wire). */
  sent: boolean;
  status?: number;
  body?: string;
  retryAfterMs?: number;
}

/** Thrown by the fetch hook: the caller aborted while ccxt was still queueing the request. */
export class AbortedBeforeSend extends Error {
  constructor() {
    super('aborted before the request was sent');
    this.name = 'AbortedBeforeSend';
  }
}

function retryAfterMs(headers: unknown): number | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (name.toLowerCase() !== 'retry-after') continue;
    const seconds = Number(Array.isArray(value) ? value[0] : value);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
  }
  return undefined;
}

export class RequestTracer {
  private readonly store = new AsyncLocalStorage<RequestTrace>();

  constructor(exchange: Exchange) {
    const fetch = exchange.fetch.bind(exchange);
    exchange.fetch = async (url, method, headers, body) => {
      const trace = this.store.getStore();
      if (trace) {
        if (trace.signal?.aborted) throw new AbortedBeforeSend();
        trace.sent = true;
      }
      return fetch(url, method, headers, body);
    };
    const handleErrors = exchange.handleErrors.bind(exchange);
    exchange.handleErrors = (...args: Parameters<Exchange['handleErrors']>) => {
      const trace = this.store.getStore();
      if (trace) {
        const [status, , , , headers, body] = args;
        trace.status = status;
        trace.body = typeof body === 'string' ? body : undefined;
        trace.retryAfterMs = retryAfterMs(headers);
      }
      return handleErrors(...args);
    };
  }

  /** Runs one ccxt call with a fresh trace; the trace is returned even when the call fails. */
  run<T>(signal: AbortSignal | undefined, call: () => Promise<T>): { trace: RequestTrace; result: Promise<T> } {
    const trace: RequestTrace = { signal, sent: false };
    return { trace, result: this.store.run(trace, call) };
  }
}
