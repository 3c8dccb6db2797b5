/**
 * The Telemetry port: what the execution stage reports so that operators can see it
 * (Prometheus metrics, the dashboard, alerts). The live wiring passes the server's metrics;
 * backtests and tests pass NO_TELEMETRY. Every call is synchronous, O(1) and never throws:
 * reporting must not slow or fail an order.
 *
 * Positions are not reported here: the metrics read them from the position ledger (the
 * one source of truth) when Prometheus scrapes.
 */

/**
 * How one order request to a venue ended. Only `failed` and `timeout` count against the
 * venue's health (a venue that is down or erroring); `rejected` (margin, parameters) and
 * `canceled` (a race lost, a fill timeout) are the venue working as designed.
 */
export const ORDER_OUTCOMES = ['filled', 'partial', 'canceled', 'rejected', 'failed', 'timeout'] as const;
export type OrderOutcome = (typeof ORDER_OUTCOMES)[number];

export interface OrderObservation {
  venue: string;
  outcome: OrderOutcome;
  /** From the request leaving to the answer that settled it (the leg's latencyMs). */
  latencyMs: number;
}

/** Account equity in the quote currency (USDT), with and without the hedges' PnL. */
export interface EquityObservation {
  account: string;
  /** Equity including the hedges (fills, fees, unrealised PnL at the mark). */
  hedged: number;
  /** What the equity would be without any hedge. */
  unhedged: number;
}

/**
 * How close a position is to liquidation: maintenance margin over margin balance, as the
 * venue reports it (0 = no margin used, 1 = liquidation).
 */
export interface MarginObservation {
  account: string;
  venue: string;
  symbol: string;
  ratio: number;
}

/** A venue's reachability, from its health checks or its last request. */
export interface VenueHealthObservation {
  venue: string;
  up: boolean;
  /** One line, e.g. an HH_ERR_VENUE_… code and message; never a credential. */
  reason?: string;
}

export interface Telemetry {
  observeOrder(order: OrderObservation): void;
  setEquity(equity: EquityObservation): void;
  setMargin(margin: MarginObservation): void;
  setVenueHealth(health: VenueHealthObservation): void;
}

export const NO_TELEMETRY: Telemetry = {
  observeOrder() {},
  setEquity() {},
  setMargin() {},
  setVenueHealth() {},
};
