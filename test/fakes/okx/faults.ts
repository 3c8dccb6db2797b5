/**
 * Faults the fake injects on demand, per route (`'POST /api/v5/trade/order'`, or `'*'` for
 * any), the same shape as the fake Binance's (test/fakes/binance/faults.ts). Each rule
 * fires `times` times (default once; Infinity for "from now on"), first rule first.
 *
 * `applied` says whether the request takes effect before the fault hits: the order exists
 * on the exchange but the client never hears so, the case a router must resolve by looking
 * the order up by client id.
 */
export type OkxFault =
  /** Answer normally, `ms` later. */
  | { kind: 'latency'; ms: number }
  /** Answer this HTTP status and body instead (5xx, 429, or OKX's 50004 "timeout"). */
  | { kind: 'status'; status: number; body: string; applied?: boolean }
  /** Never answer (the client's timeout is the only way out). */
  | { kind: 'hang'; applied?: boolean }
  /** Destroy the connection without an answer. */
  | { kind: 'drop'; applied: boolean };

/** OKX's own bodies for the usual failures. */
export const OKX_FAULTS = {
  /** HTTP 429, code 50011: what OKX answers over a rate limit. */
  rateLimited: (): OkxFault => ({ kind: 'status', status: 429, body: JSON.stringify({ msg: 'Too Many Requests', code: '50011' }) }),
  /** HTTP 503, code 50001: maintenance / service unavailable. */
  unavailable: (applied = false): OkxFault => ({
    kind: 'status',
    status: 503,
    body: JSON.stringify({ msg: 'Service temporarily unavailable. Please try again later.', code: '50001' }),
    applied,
  }),
  /** HTTP 200, code 50004: OKX's own "endpoint request timeout", which does not say whether the order was placed. */
  endpointTimeout: (applied: boolean): OkxFault => ({
    kind: 'status',
    status: 200,
    body: JSON.stringify({ msg: 'API endpoint request timeout. Please check the order status before retrying.', code: '50004', data: [] }),
    applied,
  }),
};

interface FaultRule {
  route: string;
  fault: OkxFault;
  remaining: number;
}

export class FaultPlan {
  private rules: FaultRule[] = [];

  add(route: string, fault: OkxFault, times = 1): void {
    this.rules.push({ route, fault, remaining: times });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any (consumes one use of the rule). */
  take(route: string): OkxFault | undefined {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.route === '*' || r.route === route));
    if (!rule) return undefined;
    rule.remaining -= 1;
    return rule.fault;
  }
}
