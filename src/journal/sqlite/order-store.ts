/**
 * Order legs in the journal's SQLite file (migration 003), on the state connection.
 *
 * Durability: a leg is saved before its request leaves and after every change. Each save
 * is its own small transaction committed with synchronous=NORMAL on this connection's
 * WAL: it survives a crash of the process (the case reconciliation is for) without an
 * fsync on the path from decision to order, which is the latency we sell. After a power
 * loss the last legs could be missing; the client order ids are derived from the signal
 * and leg number, so the venue still recognises a resent leg (see reconcile.ts).
 *
 * Amounts and prices are stored as text: the decimal written is the decimal read back.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { OrderLeg, OrderListQuery, OrderStore, OrderTotals, StoredOrderLeg } from '../../core/orders.ts';
import { guarded } from './connection.ts';
import { LEG_COLUMNS as COLUMNS, LEG_INSERT_COLUMNS, LEG_UPSERT_SET, legFromRow as fromRow, legValues, type LegRow } from '../order-leg-row.ts';

/** Signals per read of totalsBySignal: the legs of 1,000 took 4.2 ms of the loop in one read (2 vCPU). */
const TOTALS_SLICE = 250;

export class SqliteOrderStore implements OrderStore {
  private readonly s: Record<'upsert' | 'legsOf' | 'list' | 'listVenue' | 'listSignal' | 'listKey' | 'unsettled' | 'totals', Statement>;

  constructor(db: Db) {
    this.s = {
      // The identity of a leg (signal, number, venue, side, amount) is fixed at creation;
      // only what the venue reports changes.
      upsert: db.prepare(
        `INSERT INTO order_legs (${LEG_INSERT_COLUMNS}) VALUES (${Array(21).fill('?').join(', ')})
         ON CONFLICT (client_order_id) DO UPDATE SET ${LEG_UPSERT_SET}`,
      ),
      legsOf: db.prepare(`SELECT ${COLUMNS} FROM order_legs WHERE signal_id = ? ORDER BY leg`),
      list: db.prepare(`SELECT ${COLUMNS} FROM order_legs WHERE id < ? ORDER BY id DESC LIMIT ?`),
      listVenue: db.prepare(`SELECT ${COLUMNS} FROM order_legs WHERE venue = ? AND id < ? ORDER BY id DESC LIMIT ?`),
      listSignal: db.prepare(`SELECT ${COLUMNS} FROM order_legs WHERE signal_id = ? AND id < ? ORDER BY id DESC LIMIT ?`),
      // One statement for account and/or symbol: a null parameter is no filter.
      listKey: db.prepare(
        `SELECT ${COLUMNS} FROM order_legs WHERE (@account IS NULL OR account = @account) AND (@symbol IS NULL OR symbol = @symbol)
           AND (@signalId IS NULL OR signal_id = @signalId) AND (@venue IS NULL OR venue = @venue) AND id < @before ORDER BY id DESC LIMIT @limit`,
      ),
      unsettled: db.prepare(`SELECT ${COLUMNS} FROM order_legs WHERE status IN ('pending', 'unknown', 'open') ORDER BY id`),
      // The ids as one JSON array parameter: one statement whatever their number.
      totals: db.prepare(
        `SELECT signal_id AS signalId, COUNT(*) AS legs, TOTAL(CAST(fee AS REAL)) AS fees,
           TOTAL(CASE WHEN average_price IS NULL THEN 0 ELSE CAST(filled AS REAL) * CAST(average_price AS REAL) END) AS filledNotional
         FROM order_legs WHERE signal_id IN (SELECT value FROM json_each(?)) GROUP BY signal_id`,
      ),
    };
  }

  async save(leg: OrderLeg): Promise<void> {
    guarded('cannot journal an order leg', () =>
      this.s.upsert.run(...legValues(leg, (flag) => (flag ? 1 : 0))),
    );
  }

  async legsOf(signalId: string): Promise<StoredOrderLeg[]> {
    return guarded('cannot read order legs', () => (this.s.legsOf.all(signalId) as LegRow[]).map(fromRow));
  }

  async list(query: OrderListQuery = {}): Promise<StoredOrderLeg[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
    return guarded('cannot read order legs', () => {
      let rows: unknown[];
      if (query.account !== undefined || query.symbol !== undefined) {
        rows = this.s.listKey.all({ account: query.account ?? null, symbol: query.symbol ?? null, signalId: query.signalId ?? null, venue: query.venue ?? null, before, limit });
      } else if (query.signalId !== undefined) rows = this.s.listSignal.all(query.signalId, before, limit);
      else if (query.venue !== undefined) rows = this.s.listVenue.all(query.venue, before, limit);
      else rows = this.s.list.all(before, limit);
      return (rows as LegRow[]).map(fromRow);
    });
  }

  async unsettled(): Promise<StoredOrderLeg[]> {
    return guarded('cannot read order legs', () => (this.s.unsettled.all() as LegRow[]).map(fromRow));
  }

  /**
   * TOTALS_SLICE signals per read, with a turn of the event loop between reads: the
   * dashboard asks for 1,000 at a time, about 4 ms of the loop in one read.
   */
  async totalsBySignal(signalIds: readonly string[]): Promise<OrderTotals[]> {
    const totals: OrderTotals[] = [];
    for (let from = 0; from < signalIds.length; from += TOTALS_SLICE) {
      if (from > 0) await nextTurn();
      const ids = JSON.stringify(signalIds.slice(from, from + TOTALS_SLICE));
      totals.push(...guarded('cannot read order legs', () => this.s.totals.all(ids) as OrderTotals[]));
    }
    return totals;
  }
}
