/**
 * Faults the fake injects on demand, per route (`'POST /fapi/v1/order'`, or `'*'` for any).
 * Each rule fires `times` times (default once; Infinity for "from now on"), first rule first.
 *
 * `applied` says whether the request takes effect before the fault hits — the case that
 * makes a submit ambiguous: the order exists on the exchange but the client never hears so.
 */
import type { BinanceFailure } from './errors.ts';

export type Fault =
  /** Answer normally, `ms` later; `applied: true` applies the request at once and only the answer is late. */
  | { kind: 'latency'; ms: number; applied?: boolean }
  /** Answer with this HTTP status and Binance error body (5xx, 429, 418…); `retryAfterSeconds` sets Retry-After. */
  | { kind: 'status'; failure: BinanceFailure; retryAfterSeconds?: number; applied?: boolean }
  /** Never answer (the client's timeout is the only way out). */
  | { kind: 'hang'; applied?: boolean }
  /** Destroy the connection without an answer. */
  | { kind: 'drop'; applied: boolean };

export interface FaultRule {
  route: string;
  fault: Fault;
  remaining: number;
}

export class FaultPlan {
  private rules: FaultRule[] = [];

  add(route: string, fault: Fault, times = 1): void {
    this.rules.push({ route, fault, remaining: times });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any (consumes one use of the rule). */
  take(route: string): Fault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.route === '*' || r.route === route));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }
}
