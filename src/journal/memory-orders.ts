/**
 * Order legs in memory: the reference behaviour of OrderStore for tests and the backtest.
 * Same rules as the SQLite store: upsert by client order id, identity fixed at creation,
 * (signal, leg) unique.
 */
import { HedgehookError } from '../core/errors.ts';
import type { OrderLeg, OrderListQuery, OrderStore, OrderTotals, StoredOrderLeg } from '../core/orders.ts';

const OPEN = new Set(['pending', 'unknown', 'open']);

export class MemoryOrderStore implements OrderStore {
  private readonly byId = new Map<string, StoredOrderLeg>();
  private readonly rows: StoredOrderLeg[] = [];

  async save(leg: OrderLeg): Promise<void> {
    const existing = this.byId.get(leg.clientOrderId);
    if (existing) {
      Object.assign(existing, {
        status: leg.status,
        filled: leg.filled,
        averagePrice: leg.averagePrice,
        fee: leg.fee,
        exchangeOrderId: leg.exchangeOrderId,
        error: leg.error,
        latencyMs: leg.latencyMs,
        updatedAt: leg.updatedAt,
      });
      for (const k of ['averagePrice', 'exchangeOrderId', 'error', 'latencyMs'] as const) if (existing[k] === undefined) delete existing[k];
      return;
    }
    if (this.rows.some((r) => r.signalId === leg.signalId && r.leg === leg.leg)) {
      throw new HedgehookError('HH_ERR_INTERNAL', `signal ${leg.signalId} already has a leg ${leg.leg}`);
    }
    const stored: StoredOrderLeg = { ...structuredClone(leg), id: this.rows.length + 1 };
    this.rows.push(stored);
    this.byId.set(leg.clientOrderId, stored);
  }

  async legsOf(signalId: string): Promise<StoredOrderLeg[]> {
    return this.rows.filter((r) => r.signalId === signalId).sort((a, b) => a.leg - b.leg).map((r) => structuredClone(r));
  }

  async list(query: OrderListQuery = {}): Promise<StoredOrderLeg[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
    const out: StoredOrderLeg[] = [];
    for (let i = this.rows.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.rows[i]!;
      if (r.id >= before) continue;
      if (query.signalId !== undefined && r.signalId !== query.signalId) continue;
      if (query.venue !== undefined && r.venue !== query.venue) continue;
      if (query.account !== undefined && r.account !== query.account) continue;
      if (query.symbol !== undefined && r.symbol !== query.symbol) continue;
      out.push(structuredClone(r));
    }
    return out;
  }

  async unsettled(): Promise<StoredOrderLeg[]> {
    return this.rows.filter((r) => OPEN.has(r.status)).map((r) => structuredClone(r));
  }

  async totalsBySignal(signalIds: readonly string[]): Promise<OrderTotals[]> {
    const wanted = new Set(signalIds);
    const totals = new Map<string, OrderTotals>();
    for (const r of this.rows) {
      if (!wanted.has(r.signalId)) continue;
      let t = totals.get(r.signalId);
      if (!t) totals.set(r.signalId, (t = { signalId: r.signalId, legs: 0, fees: 0, filledNotional: 0 }));
      t.legs++;
      t.fees += r.fee;
      if (r.averagePrice !== undefined) t.filledNotional += r.filled * r.averagePrice;
    }
    return [...totals.values()];
  }
}
