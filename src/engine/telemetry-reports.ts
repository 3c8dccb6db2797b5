/**
 * What the execution stage tells the Telemetry port (metrics, dashboard, alerts), derived
 * from order legs and the position ledger. Pure mappings; the wiring calls the port.
 */
import type { OrderLeg } from '../core/orders.ts';
import type { EquityObservation, OrderOutcome, Telemetry } from '../core/telemetry.ts';
import type { PositionView } from '../portfolio/positions.ts';

/** How a leg ended, in the port's terms; only `failed` and `timeout` count against a venue. */
export function legOutcome(leg: OrderLeg): OrderOutcome {
  switch (leg.status) {
    case 'filled':
      return 'filled';
    case 'canceled':
    case 'expired':
      return leg.filled > 0 ? 'partial' : 'canceled';
    case 'rejected':
      return 'rejected';
    case 'unknown':
    case 'pending':
      return 'timeout';
    case 'open':
      return leg.filled > 0 ? 'partial' : 'timeout';
    case 'failed':
      return leg.error?.code === 'HH_ERR_VENUE_TIMEOUT' ? 'timeout' : 'failed';
  }
}

/** Reports a leg: its outcome and latency, and what it says about the venue's health. */
export function reportLeg(telemetry: Telemetry, leg: OrderLeg): void {
  const outcome = legOutcome(leg);
  telemetry.observeOrder({ venue: leg.venue, outcome, latencyMs: leg.latencyMs ?? leg.updatedAt - leg.createdAt });
  if (outcome === 'failed' || outcome === 'timeout') {
    telemetry.setVenueHealth({ venue: leg.venue, up: false, reason: leg.error ? `${leg.error.code}: ${leg.error.message}` : outcome });
  } else if (outcome !== 'rejected') {
    telemetry.setVenueHealth({ venue: leg.venue, up: true });
  }
}

/**
 * Equity per account: the configured starting equity plus the main positions' unrealised
 * PnL (unhedged), plus the hedges' realised and unrealised PnL net of fees (hedged). A
 * position without a price or entry contributes nothing rather than a guess.
 */
export function equityOf(positions: readonly PositionView[], startingEquity: number): EquityObservation[] {
  const byAccount = new Map<string, { main: number; hedge: number }>();
  for (const p of positions) {
    const acc = byAccount.get(p.account) ?? { main: 0, hedge: 0 };
    acc.main += p.main?.unrealisedPnl ?? 0;
    for (const h of p.hedges) acc.hedge += h.netRealisedPnl + (h.unrealisedPnl ?? 0);
    byAccount.set(p.account, acc);
  }
  return [...byAccount].map(([account, { main, hedge }]) => ({
    account,
    unhedged: startingEquity + main,
    hedged: startingEquity + main + hedge,
  }));
}
