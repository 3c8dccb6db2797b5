/**
 * The pre-trade risk guard. Pure: the state it needs (kill switch, recent order times,
 * the account's other hedges) is passed in, time is `now` from the Clock port.
 *
 * It takes the target decision (target.ts), runs every check, and records EVERY reason
 * that applies (not only the first), each with a stable code (src/core/decision.ts):
 *
 * | check                                                     | reason                           | effect   |
 * | --------------------------------------------------------- | -------------------------------- | -------- |
 * | kill switch engaged (`hedgehook halt`)                     | HH_RISK_HALTED                   | skipped  |
 * | now − signal time > maxSignalAgeMs                         | HH_RISK_STALE_SIGNAL             | skipped  |
 * | signal time − now > maxClockSkewMs                         | HH_RISK_SIGNAL_FROM_FUTURE       | rejected |
 * | |signal price − market| > maxPriceDeviation × market      | HH_RISK_PRICE_DEVIATION          | rejected |
 * | |target| × price > maxHedgeNotional (symbol, account)      | HH_RISK_CAPPED_SYMBOL_NOTIONAL   | capped   |
 * | … > maxAccountHedgeNotional − the account's other hedges  | HH_RISK_CAPPED_ACCOUNT_NOTIONAL  | capped   |
 * | the (capped) order is 0 / below the minimum notional      | HH_RISK_NO_CHANGE / …MIN_NOTIONAL | skipped |
 * | an order is due but maxOrdersPerMinute were sent in 60 s   | HH_RISK_RATE_LIMITED             | skipped  |
 *
 * Outcome: any rejecting reason → 'rejected'; else any skipping one → 'skipped'; else
 * 'hedge' with the order (possibly capped, with the cap's reason).
 *
 * A cap limits how far the hedge GROWS: the capped target is the largest step-grid size
 * whose notional fits (rounded toward zero), but never less than the hedge already held on
 * that side, so a cap never unwinds an existing hedge by itself. The price check compares
 * exact decimals: a deviation of exactly the maximum passes.
 */
import { z } from 'zod';
import { Decimal } from '../core/decimal.ts';
import { outcomeOf, reason, type HedgeOutcome, type OrderIntent, type Reason, type ReasonCode } from '../core/decision.ts';
import { HedgehookError } from '../core/errors.ts';
import { maxAmountForNotional, notionalExact, type InstrumentSpec } from '../core/instrument.ts';
import type { SignalPayload } from '../core/signal.ts';
import { planOrder, type TargetDecision } from './target.ts';

const MINUTE_MS = 60_000;

/** The `risk` section of the configuration; defaults make a small account safe. */
export const riskLimitsSchema = z.strictObject({
  /** Largest hedge per (account, symbol), quote currency (USDT). */
  maxHedgeNotional: z.number().positive().default(100_000),
  /** Largest hedge summed over the account's symbols; unlimited when absent. */
  maxAccountHedgeNotional: z.number().positive().optional(),
  maxOrdersPerMinute: z.number().int().min(0).default(30),
  maxSignalAgeMs: z.number().int().positive().default(30_000),
  /** 0.02 = a signal price 2% away from the market is rejected. */
  maxPriceDeviation: z.number().min(0).default(0.02),
  /** How far in the future a signal's time may be (sender clock skew). */
  maxClockSkewMs: z.number().int().min(0).default(5_000),
});

export type RiskLimits = z.output<typeof riskLimitsSchema>;

export const DEFAULT_RISK_LIMITS: Readonly<RiskLimits> = Object.freeze(riskLimitsSchema.parse({}));

export interface RiskState {
  /** The kill switch: no new orders while true (journaling goes on). */
  halted: boolean;
  haltReason?: string;
  /** Epoch ms of the orders sent in the rate-limit scope (the account); older ones are ignored. */
  recentOrderTimes: readonly number[];
  /** Σ |hedge notional| of the account's OTHER symbols, quote currency (for maxAccountHedgeNotional). */
  otherSymbolsHedgeNotional?: number;
}

export interface GuardInput {
  /** Epoch ms, from the Clock port. */
  now: number;
  /** The signal's time and price (the payload). */
  signal: Pick<SignalPayload, 'time' | 'price'>;
  /** When the signal was received; its age counts from here when the payload has no time. */
  receivedAt?: number;
  /** From `computeTarget`; its `price` is the market price the guard compares and values at. */
  target: TargetDecision;
  instrument: InstrumentSpec;
  limits: RiskLimits;
  state: RiskState;
}

export interface RiskDecision {
  outcome: HedgeOutcome;
  /** Signed target after caps; null when no position is known. */
  targetHedge: number | null;
  currentHedge: number;
  /** Present only when outcome is 'hedge'. */
  order?: OrderIntent;
  /** The order the guard held back, when it skipped or rejected one. */
  blockedOrder?: OrderIntent;
  /** The target's own reasons (close, rounding, no position) followed by the guard's. */
  reasons: Reason[];
}

/** Reasons of the order plan; the guard re-plans after its caps, so it drops the target's. */
const PLAN_CODES: ReadonlySet<ReasonCode> = new Set(['HH_RISK_NO_CHANGE', 'HH_RISK_BELOW_MIN_NOTIONAL']);

/** Orders in (now − 60 s, now]; timestamps ahead of now count too (conservative). */
export function ordersInLastMinute(times: readonly number[], now: number): number {
  let n = 0;
  for (const t of times) if (t > now - MINUTE_MS) n++;
  return n;
}

export function checkRisk(input: GuardInput): RiskDecision {
  const { now, signal, target, instrument, limits, state } = input;
  if (!Number.isFinite(now)) throw new HedgehookError('HH_ERR_INVALID_NUMBER', `now must be finite, got ${now}`);
  const reasons: Reason[] = target.reasons.filter((r) => !PLAN_CODES.has(r.code));
  const price = Decimal.from(target.price);

  // Kill switch.
  if (state.halted) reasons.push(reason('HH_RISK_HALTED', state.haltReason ? { haltReason: state.haltReason } : undefined));

  // Staleness and clock skew, by the signal's own time.
  const signalTime = signal.time ?? input.receivedAt;
  if (signalTime !== undefined) {
    const age = now - signalTime;
    if (age > limits.maxSignalAgeMs) {
      reasons.push(reason('HH_RISK_STALE_SIGNAL', { ageMs: age, maxSignalAgeMs: limits.maxSignalAgeMs }));
    } else if (-age > limits.maxClockSkewMs) {
      reasons.push(reason('HH_RISK_SIGNAL_FROM_FUTURE', { aheadMs: -age, maxClockSkewMs: limits.maxClockSkewMs }));
    }
  }

  // Signal price against the market, exactly: |s − m| > maxDev × m.
  if (signal.price !== undefined) {
    const s = Decimal.from(signal.price);
    const gap = s.sub(price).abs();
    if (gap.gt(Decimal.from(limits.maxPriceDeviation).mul(price))) {
      reasons.push(
        reason('HH_RISK_PRICE_DEVIATION', {
          signalPrice: signal.price,
          marketPrice: target.price,
          deviation: gap.toNumber() / target.price,
          maxPriceDeviation: limits.maxPriceDeviation,
        }),
      );
    }
  }

  if (target.targetHedge === null) {
    return { outcome: outcomeOf(reasons), targetHedge: null, currentHedge: target.currentHedge, reasons };
  }

  // Notional caps: shrink how far the hedge grows, never below what is already held.
  const current = Decimal.from(target.currentHedge);
  let capped = Decimal.from(target.targetHedge);
  const wanted = notionalExact(instrument, capped, price);
  const symbolCap = Decimal.from(limits.maxHedgeNotional);
  const accountCap =
    limits.maxAccountHedgeNotional === undefined
      ? undefined
      : Decimal.max(Decimal.ZERO, Decimal.from(limits.maxAccountHedgeNotional).sub(Decimal.from(state.otherSymbolsHedgeNotional ?? 0)));
  const overSymbol = wanted.gt(symbolCap);
  const overAccount = accountCap !== undefined && wanted.gt(accountCap);
  if (overSymbol || overAccount) {
    const cap = accountCap === undefined ? symbolCap : Decimal.min(symbolCap, accountCap);
    const fits = maxAmountForNotional(instrument, cap, price);
    const held = current.sign() === capped.sign() ? current.abs() : Decimal.ZERO;
    const size = Decimal.max(fits, Decimal.min(held, capped.abs()));
    const wantedTarget = capped;
    capped = capped.sign() < 0 ? size.neg() : size;
    // A target that only shrinks a hedge still above the cap is left alone: no cap, no reason.
    if (!capped.eq(wantedTarget)) {
      const detail = { wantedTarget: wantedTarget.toNumber(), cappedTarget: capped.toNumber(), wantedNotional: wanted.toNumber() };
      if (overSymbol) reasons.push(reason('HH_RISK_CAPPED_SYMBOL_NOTIONAL', { ...detail, maxHedgeNotional: limits.maxHedgeNotional }));
      if (overAccount) reasons.push(reason('HH_RISK_CAPPED_ACCOUNT_NOTIONAL', { ...detail, remainingAccountNotional: (accountCap as Decimal).toNumber() }));
    }
  }

  const plan = planOrder(instrument, capped, current, price);
  reasons.push(...plan.reasons);

  // Rate limit: only an order that would be sent counts against it.
  if (plan.order) {
    const sent = ordersInLastMinute(state.recentOrderTimes, now);
    if (sent >= limits.maxOrdersPerMinute) {
      reasons.push(reason('HH_RISK_RATE_LIMITED', { ordersLastMinute: sent, maxOrdersPerMinute: limits.maxOrdersPerMinute }));
    }
  }

  const outcome = outcomeOf(reasons);
  const decision: RiskDecision = { outcome, targetHedge: capped.toNumber(), currentHedge: target.currentHedge, reasons };
  if (plan.order) {
    if (outcome === 'hedge') decision.order = plan.order;
    else decision.blockedOrder = plan.order;
  }
  return decision;
}
