/**
 * Order legs in PostgreSQL (migration 003), the semantics of the SQLite store: upsert by
 * client order id, the identity of a leg fixed at creation, only what the venue reports
 * changes. The UNIQUE client order id is what makes a redelivered signal (its first process
 * was killed mid-way) find the leg instead of sending a second order, whichever process
 * finishes it. A second leg with the same (signal, leg) under another id is refused.
 */
import { HedgehookError } from '../../core/errors.ts';
import type { OrderLeg, OrderListQuery, OrderStore, OrderTotals, StoredOrderLeg } from '../../core/orders.ts';
import { LEG_COLUMNS as COLUMNS, LEG_INSERT_COLUMNS, LEG_UPSERT_SET, legFromRow as fromRow, legValues, type LegRow } from '../order-leg-row.ts';
import type { PostgresDatabase } from './database.ts';

/** A unique violation of (signal_id, leg), as the driver reports it under our wrapper. */
function isLegTaken(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; constraint?: string } }).cause;
  return cause?.code === '23505' && cause.constraint === 'order_legs_signal_id_leg_key';
}

export class PostgresOrderStore implements OrderStore {
  constructor(private readonly db: PostgresDatabase) {}

  async save(leg: OrderLeg): Promise<void> {
    try {
      await this.upsert(leg);
    } catch (err) {
      if (!isLegTaken(err)) throw err;
      // Two processes inserting the same new leg at once: the loser can trip over the
      // (signal, leg) index before the client-order-id arbiter sees the winner's row. Once
      // the winner committed, the upsert takes the update path. A second failure is real:
      // another client order id holds this (signal, leg).
      try {
        await this.upsert(leg);
      } catch (again) {
        if (isLegTaken(again)) throw new HedgehookError('HH_ERR_INTERNAL', `signal ${leg.signalId} already has a leg ${leg.leg}`);
        throw again;
      }
    }
  }

  private async upsert(leg: OrderLeg): Promise<void> {
    await this.db.query(
      'cannot journal an order leg',
      `INSERT INTO order_legs (${LEG_INSERT_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
       ON CONFLICT (client_order_id) DO UPDATE SET ${LEG_UPSERT_SET}`,
      legValues(leg, (flag) => flag),
    );
  }

  async legsOf(signalId: string): Promise<StoredOrderLeg[]> {
    const rows = await this.db.query<LegRow>('cannot read order legs', `SELECT ${COLUMNS} FROM order_legs WHERE signal_id = $1 ORDER BY leg`, [signalId]);
    return rows.map(fromRow);
  }

  async list(query: OrderListQuery = {}): Promise<StoredOrderLeg[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const before = query.beforeId ?? Number.MAX_SAFE_INTEGER;
    const where = ['id < $1'];
    const params: unknown[] = [before];
    if (query.signalId !== undefined) {
      params.push(query.signalId);
      where.push(`signal_id = $${params.length}`);
    } else if (query.venue !== undefined) {
      params.push(query.venue);
      where.push(`venue = $${params.length}`);
    }
    if (query.account !== undefined) {
      params.push(query.account);
      where.push(`account = $${params.length}`);
    }
    if (query.symbol !== undefined) {
      params.push(query.symbol);
      where.push(`symbol = $${params.length}`);
    }
    params.push(limit);
    const rows = await this.db.query<LegRow>('cannot read order legs', `SELECT ${COLUMNS} FROM order_legs WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`, params);
    return rows.map(fromRow);
  }

  async unsettled(): Promise<StoredOrderLeg[]> {
    const rows = await this.db.query<LegRow>('cannot read order legs', `SELECT ${COLUMNS} FROM order_legs WHERE status IN ('pending', 'unknown', 'open') ORDER BY id`);
    return rows.map(fromRow);
  }

  async totalsBySignal(signalIds: readonly string[]): Promise<OrderTotals[]> {
    if (signalIds.length === 0) return [];
    return this.db.query<OrderTotals & Record<string, unknown>>(
      'cannot read order legs',
      `SELECT signal_id AS "signalId", COUNT(*)::integer AS legs, COALESCE(SUM(fee::float8), 0) AS fees,
         COALESCE(SUM(CASE WHEN average_price IS NULL THEN 0 ELSE filled::float8 * average_price::float8 END), 0) AS "filledNotional"
       FROM order_legs WHERE signal_id = ANY($1::text[]) GROUP BY signal_id`,
      [signalIds],
    );
  }
}
