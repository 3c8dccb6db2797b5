/**
 * A ccxt Order as the Venue port shows it.
 *
 * Fees: Binance's order answers carry no commission (it is in the trade list), so when
 * ccxt reports none the fee is ESTIMATED from the fee rates: filled notional × taker for
 * market orders, × maker for limit orders (a limit that crossed at once really paid taker;
 * reconciliation against the exchange's trades is where the exact figure comes from).
 */
import type { Order } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import type { OrderSide } from '../../core/decision.ts';
import type { VenueOrder, VenueOrderStatus } from '../../core/venue.ts';

const STATUS: Readonly<Record<string, VenueOrderStatus>> = {
  open: 'open',
  closed: 'filled',
  canceled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
};

/** What we know about the order when the exchange's answer leaves a field out. */
export interface OrderFallback {
  symbol: string;
  clientOrderId: string;
  side?: OrderSide;
  amount?: number;
  reduceOnly?: boolean;
}

export interface OrderViewContext {
  venue: string;
  fees: { taker: number; maker: number };
  contractSize: number;
  now: number;
  /** The profile's reading of whether the order reduces a position. */
  reduces: boolean | undefined;
}

export function toVenueOrder(o: Order, known: OrderFallback, ctx: OrderViewContext): VenueOrder {
  const filled = o.filled ?? 0;
  const average = filled > 0 ? (o.average ?? o.price) : undefined;
  const status = STATUS[o.status ?? ''] ?? 'open';
  const view: VenueOrder = {
    venue: ctx.venue,
    clientOrderId: o.clientOrderId ?? known.clientOrderId,
    symbol: known.symbol,
    side: (o.side as OrderSide | undefined) ?? known.side ?? 'buy',
    amount: o.amount ?? known.amount ?? 0,
    filled,
    fee: fee(o, filled, average, ctx),
    status,
    reduceOnly: ctx.reduces ?? o.reduceOnly ?? known.reduceOnly ?? false,
    updatedAt: o.lastUpdateTimestamp ?? o.lastTradeTimestamp ?? o.timestamp ?? ctx.now,
  };
  if (o.id) view.exchangeOrderId = o.id;
  if (average !== undefined) view.averagePrice = average;
  return view;
}

function fee(o: Order, filled: number, average: number | undefined, ctx: OrderViewContext): number {
  if (o.fee?.cost !== undefined) return o.fee.cost;
  if (filled === 0) return 0;
  const notional = o.cost !== undefined && o.cost > 0 ? Decimal.from(o.cost) : Decimal.from(filled).mul(average ?? 0).mul(ctx.contractSize);
  const rate = o.type === 'market' ? ctx.fees.taker : ctx.fees.maker;
  return notional.mul(rate).toNumber();
}
