/**
 * An order leg as a row of `order_legs`, the same table in SQLite and PostgreSQL: the
 * column list, the row → leg mapping and the values of an insert, in column order.
 * Amounts and prices are stored as text, so the decimal written is the decimal read back.
 */
import type { OrderLeg, StoredOrderLeg } from '../core/orders.ts';

export interface LegRow {
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
  /** SQLite stores 0/1, PostgreSQL a boolean. */
  reduce_only: number | boolean;
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

export const LEG_COLUMNS = `id, client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type, price,
  reduce_only, status, filled, average_price, fee, exchange_order_id, error, latency_ms, created_at, updated_at`;

/** The columns an insert writes (all but `id`), in the order of `legValues`. */
export const LEG_INSERT_COLUMNS = `client_order_id, signal_id, account, leg, venue, purpose, symbol, side, amount, type, price,
  reduce_only, status, filled, average_price, fee, exchange_order_id, error, latency_ms, created_at, updated_at`;

/** What the venue reports changes; the identity of a leg is fixed at creation. */
export const LEG_UPSERT_SET = `status = excluded.status, filled = excluded.filled,
  average_price = excluded.average_price, fee = excluded.fee, exchange_order_id = excluded.exchange_order_id,
  error = excluded.error, latency_ms = excluded.latency_ms, updated_at = excluded.updated_at`;

export function legFromRow(r: LegRow): StoredOrderLeg {
  const leg: StoredOrderLeg = {
    id: Number(r.id),
    clientOrderId: r.client_order_id,
    signalId: r.signal_id,
    account: r.account,
    leg: Number(r.leg),
    venue: r.venue,
    purpose: r.purpose,
    symbol: r.symbol,
    side: r.side,
    amount: Number(r.amount),
    type: r.type,
    reduceOnly: r.reduce_only === true || r.reduce_only === 1,
    status: r.status,
    filled: Number(r.filled),
    fee: Number(r.fee),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.price !== null) leg.price = Number(r.price);
  if (r.average_price !== null) leg.averagePrice = Number(r.average_price);
  if (r.exchange_order_id !== null) leg.exchangeOrderId = r.exchange_order_id;
  if (r.error !== null) leg.error = JSON.parse(r.error) as NonNullable<OrderLeg['error']>;
  if (r.latency_ms !== null) leg.latencyMs = Number(r.latency_ms);
  return leg;
}

/** The values of LEG_INSERT_COLUMNS for one leg; `reduceOnly` as the database wants it. */
export function legValues(leg: OrderLeg, reduceOnly: (flag: boolean) => number | boolean): unknown[] {
  return [
    leg.clientOrderId,
    leg.signalId,
    leg.account,
    leg.leg,
    leg.venue,
    leg.purpose,
    leg.symbol,
    leg.side,
    String(leg.amount),
    leg.type,
    leg.price === undefined ? null : String(leg.price),
    reduceOnly(leg.reduceOnly),
    leg.status,
    String(leg.filled),
    leg.averagePrice === undefined ? null : String(leg.averagePrice),
    String(leg.fee),
    leg.exchangeOrderId ?? null,
    leg.error === undefined ? null : JSON.stringify(leg.error),
    leg.latencyMs ?? null,
    leg.createdAt,
    leg.updatedAt,
  ];
}
