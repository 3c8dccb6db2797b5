/**
 * Order legs: every order the router sends (or is about to send) for a signal, journaled
 * BEFORE the request leaves, so a crash between "sent" and "answered" is found again at
 * start-up and looked up by client order id instead of being sent twice.
 *
 * A leg's client order id is unique (a constraint in every store): it is derived from the
 * signal id, the leg number and the venue (src/execution/client-order-id.ts), so a retry
 * or a restart computes the same id and finds the existing leg.
 */
import type { OrderSide } from './decision.ts';
import type { ErrorInfo } from './errors.ts';
import type { OrderType, VenueOrderStatus } from './venue.ts';

/** Why a leg exists: part of the hedge, or the reduce-only unwind of an over-fill. */
export type LegPurpose = 'hedge' | 'unwind';

/**
 * `pending`: journaled, the request may or may not have left (a crash here → look it up).
 * `unknown`: the request left and the outcome is ambiguous (timeout) → look it up.
 * `failed`: it never reached the venue or was refused before acceptance (nothing filled).
 * The rest are the venue's own final or open states.
 */
export type LegStatus = 'pending' | 'unknown' | 'failed' | VenueOrderStatus;

export const SETTLED_LEG_STATUSES: ReadonlySet<LegStatus> = new Set(['failed', 'filled', 'canceled', 'expired', 'rejected']);

export interface OrderLeg {
  clientOrderId: string;
  signalId: string;
  account: string;
  /** 0, 1, 2… in the order the router created them for the signal. */
  leg: number;
  venue: string;
  purpose: LegPurpose;
  symbol: string;
  side: OrderSide;
  amount: number;
  type: OrderType;
  price?: number;
  reduceOnly: boolean;
  status: LegStatus;
  filled: number;
  averagePrice?: number;
  /** Quote currency; negative = rebate. */
  fee: number;
  exchangeOrderId?: string;
  error?: ErrorInfo;
  /** From the moment the request was sent to the first answer that showed a fill. */
  latencyMs?: number;
  createdAt: number;
  updatedAt: number;
}

export interface OrderListQuery {
  limit?: number;
  signalId?: string;
  venue?: string;
  /** Only this account's legs; with `symbol`, those of one (account, symbol) key (the ledger's reload). */
  account?: string;
  symbol?: string;
  /** Only legs created before this sequence (paging backwards); stores number legs 1, 2, 3… */
  beforeId?: number;
}

export interface StoredOrderLeg extends OrderLeg {
  /** The store's own sequence, for paging. */
  id: number;
}

/** The legs of one signal, summed. */
export interface OrderTotals {
  signalId: string;
  legs: number;
  fees: number;
  /** Σ filled × average price over the legs with an average price. */
  filledNotional: number;
}

export interface OrderStore {
  /** Inserts or updates the leg with this client order id; resolves once committed. */
  save(leg: OrderLeg): Promise<void>;
  /** The legs of one signal, by leg number. */
  legsOf(signalId: string): Promise<StoredOrderLeg[]>;
  /** Newest first. */
  list(query?: OrderListQuery): Promise<StoredOrderLeg[]>;
  /** Legs whose outcome is not settled (pending, unknown, open): reconciled at start-up. */
  unsettled(): Promise<StoredOrderLeg[]>;
  /** Per signal of `signalIds` that has legs (in no particular order), summed in the store. */
  totalsBySignal(signalIds: readonly string[]): Promise<OrderTotals[]>;
}

/** An order leg as `GET /api/signals/:id` and `GET /api/orders` show it. */
export interface OrderView {
  venue: string;
  clientOrderId: string;
  signalId: string;
  leg: number;
  purpose: OrderLeg['purpose'];
  symbol: string;
  side: OrderLeg['side'];
  amount: number;
  filled: number;
  averagePrice: number | null;
  fee: number;
  status: OrderLeg['status'];
  latencyMs: number | null;
  reduceOnly: boolean;
  createdAt: number;
  updatedAt: number;
  error?: { code: string; message: string };
}

export function orderView(leg: OrderLeg): OrderView {
  const v: OrderView = {
    venue: leg.venue,
    clientOrderId: leg.clientOrderId,
    signalId: leg.signalId,
    leg: leg.leg,
    purpose: leg.purpose,
    symbol: leg.symbol,
    side: leg.side,
    amount: leg.amount,
    filled: leg.filled,
    averagePrice: leg.averagePrice ?? null,
    fee: leg.fee,
    status: leg.status,
    latencyMs: leg.latencyMs ?? null,
    reduceOnly: leg.reduceOnly,
    createdAt: leg.createdAt,
    updatedAt: leg.updatedAt,
  };
  if (leg.error) v.error = { code: leg.error.code, message: leg.error.message };
  return v;
}
