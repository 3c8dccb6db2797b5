/**
 * The target hedge of a signal and the order that gets there. Pure, exact.
 *
 *   position  = the payload's, else the venue-reported one; signed: long +size, short −size, flat 0
 *   target    = −ratio × position                        (the opposite side)
 *               rounded TOWARD ZERO to the step size      (never hedge more than asked)
 *   close     → target 0, whatever the position
 *   order     = target − current hedge                    (buy when > 0, sell when < 0)
 *   skipped   when the order is 0 (already there) or its notional at `price` is below
 *             the instrument's minimum (a reduce-only order is exempt where the venue allows)
 *
 * All of this is decimal arithmetic on exact values (src/core/decimal.ts): ratio × size
 * is computed exactly and rounded once, here; 0.29 × 100 TRX is 29, not 28.999999999999996.
 * The numbers returned are the doubles nearest to those exact decimals.
 */
import { Decimal } from '../core/decimal.ts';
import { reason, outcomeOf, type HedgeOutcome, type OrderIntent, type Reason } from '../core/decision.ts';
import { HedgehookError } from '../core/errors.ts';
import { notionalExact, precisionOf, type InstrumentSpec } from '../core/instrument.ts';
import type { Action, PositionReport, PositionSide, SignalPayload } from '../core/signal.ts';

export interface TargetInput {
  payload: Pick<SignalPayload, 'symbol' | 'action' | 'position'>;
  /** The model's ratio, 0..1. */
  ratio: number;
  /** The signed hedge held now across venues (negative = short), e.g. `netHedge(ledger, …)`. */
  currentHedge: number;
  /** The venue-reported main position, used when the payload has none. */
  venuePosition?: PositionReport;
  instrument: InstrumentSpec;
  /** The market price the order is valued at (minimum notional, caps). */
  price: number;
}

export interface Exposure {
  side: PositionSide;
  /** Base-asset size, ≥ 0. */
  size: number;
  source: 'payload' | 'venue' | 'none';
}

export interface TargetDecision {
  outcome: HedgeOutcome;
  symbol: string;
  action: Action;
  ratio: number;
  exposure: Exposure;
  /** −ratio × position exactly, before rounding to the step (decimal text); null when unknown. */
  unroundedTarget: string | null;
  /** Signed target hedge on the step grid; null when no position is known. */
  targetHedge: number | null;
  currentHedge: number;
  price: number;
  order?: OrderIntent;
  reasons: Reason[];
}

export interface OrderPlan {
  order?: OrderIntent;
  reasons: Reason[];
}

function positive(name: string, x: number): Decimal {
  if (!(Number.isFinite(x) && x > 0)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `${name} must be a positive finite number, got ${x}`);
  return Decimal.from(x);
}

/** The position as a signed exact size: long +, short −, flat 0. */
export function signedPosition(position: PositionReport | undefined): Decimal {
  if (!position || position.side === 'flat') return Decimal.ZERO;
  const size = Decimal.from(position.size).abs();
  return position.side === 'long' ? size : size.neg();
}

/**
 * The order from `current` to `target` (both signed, exact). The difference is put on the
 * step grid toward zero (it already is when both are); a zero order or one below the
 * minimum notional yields no order and the reason.
 */
export function planOrder(instrument: InstrumentSpec, target: Decimal, current: Decimal, price: Decimal): OrderPlan {
  const p = precisionOf(instrument);
  const delta = target.sub(current).roundToStep(p.step, 'down');
  if (delta.isZero()) {
    return { reasons: [reason('HH_RISK_NO_CHANGE', { targetHedge: target.toNumber(), currentHedge: current.toNumber() })] };
  }
  const after = current.add(delta);
  // Shrinks the hedge without crossing zero.
  const reduceOnly = !current.isZero() && after.sign() * current.sign() >= 0 && after.abs().lt(current.abs());
  const amount = delta.abs();
  const notional = notionalExact(instrument, amount, price);
  if (notional.lt(p.minNotional) && !(reduceOnly && p.minNotionalExemptReduceOnly)) {
    return {
      reasons: [
        reason('HH_RISK_BELOW_MIN_NOTIONAL', {
          amount: amount.toNumber(),
          notional: notional.toNumber(),
          minNotional: p.minNotional.toNumber(),
        }),
      ],
    };
  }
  return {
    order: {
      symbol: instrument.symbol,
      side: delta.sign() > 0 ? 'buy' : 'sell',
      amount: amount.toNumber(),
      reduceOnly,
      referencePrice: price.toNumber(),
      notional: notional.toNumber(),
    },
    reasons: [],
  };
}

export function computeTarget(input: TargetInput): TargetDecision {
  const { payload, instrument } = input;
  if (!(input.ratio >= 0 && input.ratio <= 1)) {
    throw new HedgehookError('HH_ERR_INVALID_NUMBER', `ratio must be in [0, 1], got ${input.ratio}`);
  }
  const price = positive('price', input.price);
  const current = Decimal.from(input.currentHedge);
  const p = precisionOf(instrument);

  const source: Exposure['source'] = payload.position ? 'payload' : input.venuePosition ? 'venue' : 'none';
  const position = payload.position ?? input.venuePosition;
  const exposure: Exposure = {
    side: position?.side ?? 'flat',
    size: position && position.side !== 'flat' ? Math.abs(position.size) : 0,
    source,
  };
  const make = (reasons: Reason[], unroundedTarget: string | null, targetHedge: number | null, order?: OrderIntent): TargetDecision => {
    // A literal with every field (no spread): keeps one object shape on the hot path.
    const d: TargetDecision = {
      outcome: outcomeOf(reasons),
      symbol: payload.symbol,
      action: payload.action,
      ratio: input.ratio,
      exposure,
      unroundedTarget,
      targetHedge,
      currentHedge: current.toNumber(),
      price: price.toNumber(),
      reasons,
    };
    if (order) d.order = order;
    return d;
  };

  const reasons: Reason[] = [];
  let target: Decimal;
  let unrounded: Decimal;
  if (payload.action === 'close') {
    target = unrounded = Decimal.ZERO;
    reasons.push(reason('HH_RISK_CLOSE'));
  } else if (!position) {
    reasons.push(reason('HH_RISK_NO_POSITION', { action: payload.action }));
    return make(reasons, null, null);
  } else {
    // The one rounding of the target: exact product, toward zero to the step.
    unrounded = signedPosition(position).mul(Decimal.from(input.ratio)).neg();
    target = unrounded.roundToStep(p.step, 'down');
  }
  const unroundedText = unrounded.toString();
  if (!target.eq(unrounded)) {
    reasons.push(reason('HH_RISK_TARGET_ROUNDED', { unrounded: unroundedText, rounded: target.toNumber(), step: p.step.toNumber() }));
  }

  const plan = planOrder(instrument, target, current, price);
  reasons.push(...plan.reasons);
  return make(reasons, unroundedText, target.toNumber(), plan.order);
}
