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
import type { Database as Db, Statement } from 'better-sqlite3';
import type { OrderLeg, OrderListQuery, OrderStore, StoredOrderLeg } from '../../core/orders.ts';
import { guarded } from './connection.ts';

interface LegRow {
  id: number;
  client_order_id: string;
  signal_id: string;
  account: string;
  leg: number;
  venue: string;
  purpose: OrderLeg['purpose'];
  symbol: string;
  side: OrderLeg['side'];
  amount: string;
  type: OrderLeg['type'];
  price: string | null;
  reduce_only: number;
  status: OrderLeg['status'];
  filled: string;
  average_price: string | null;
  fee: string;
  exchange_order_id: string | null;
  error: string | null;
  latency_ms: number | null;
  created_at: number;
  updated_at: number;
}

function fromRow(r: LegRow): StoredOrderLeg {
  const leg: StoredOrderLeg = {
    id: r.id,
    clientOrderId: r.client_order_id,
    signalId: r.signal_id,
    account: r.account,
    leg: r.leg,
    venue: r.venue,
    purpose: r.purpose,
    symbol: r.symbol,
    side: r.side,
    amount: Number(r.amount),
    type: r.type,
    reduceOnly: r.reduce_only === 1,
    status: r.status,
    filled: Number(r.filled),
    fee: Number(r.fee),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.price !== null) leg.price = Number(r.price);
  if (r.average_price !== null) leg.averagePrice = Number(r.average_price);
  if (r.exchange_order_id !== null) leg.exchangeOrderId = r.exchange_order_id;
  if (r.error !== null) leg.error = JSON.parse(r.error) as NonNullable<OrderLeg['error']>;
  if (r.latency_ms !== null) leg.latencyMs = r.latency_ms;
  return leg;
}

const COLUMNS = `id, client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type, price,
  reduce_only, status, filled, average_price, fee, exchange_order_id, error, latency_ms, created_at, updated_at`;

export class SqliteOrderStore implements OrderStore {
  private readonly s: Record<'upsert' | 'legsOf' | 'list' | 'listVenue' | 'listSignal' | 'listKey' | 'unsettled', Statement>;

  constructor(db: Db) {
    this.s = {
      // The identity of a leg (signal, number, venue, side, amount) is fixed at creation;
      // only what the venue reports changes.
      upsert: db.prepare(
        `INSERT INTO order_legs (client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type, price,
           reduce_only, status, filled, average_price, fee, exchange_order_id, error, latency_ms, created_at, updated_at)
         VALUES (@clientOrderId, @signalId, @account, @leg, @venue, @purpose, @symbol, @side, @amount, @type, @price,
           @reduceOnly, @status, @filled, @averagePrice, @fee, @exchangeOrderId, @error, @latencyMs, @createdAt, @updatedAt)
         ON CONFLICT (client_order_id) DO UPDATE SET status = excluded.status, filled = excluded.filled,
           average_price = excluded.average_price, fee = excluded.fee, exchange_order_id = excluded.exchange_order_id,
           error = excluded.error, latency_ms = excluded.latency_ms, updated_at = excluded.updated_at`,
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
    };
  }

  async save(leg: OrderLeg): Promise<void> {
    guarded('cannot journal an order leg', () =>
      this.s.upsert.run({
        clientOrderId: leg.clientOrderId,
        signalId: leg.signalId,
        account: leg.account,
        leg: leg.leg,
        venue: leg.venue,
        purpose: leg.purpose,
        symbol: leg.symbol,
        side: leg.side,
        amount: String(leg.amount),
        type: leg.type,
        price: leg.price === undefined ? null : String(leg.price),
        reduceOnly: leg.reduceOnly ? 1 : 0,
        status: leg.status,
        filled: String(leg.filled),
        averagePrice: leg.averagePrice === undefined ? null : String(leg.averagePrice),
        fee: String(leg.fee),
        exchangeOrderId: leg.exchangeOrderId ?? null,
        error: leg.error === undefined ? null : JSON.stringify(leg.error),
        latencyMs: leg.latencyMs ?? null,
        createdAt: leg.createdAt,
        updatedAt: leg.updatedAt,
      }),
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
}
