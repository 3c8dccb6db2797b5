/**
 * What the decision stage concludes about one signal, and why. Reasons are not errors:
 * they explain a decision (a cap, a skip, a rejection) and have their own stable codes
 * (`HH_RISK_…`), listed once here. Users grep and alert on them: add, never rename.
 *
 * `effect` says what a reason does to the outcome: any `reject` → 'rejected', else any
 * `skip` → 'skipped', else 'hedge' (`info` reasons, e.g. a cap, only explain).
 */
export const REASONS = {
  HH_RISK_HALTED: { effect: 'skip', message: 'kill switch engaged: no new orders' },
  HH_RISK_STALE_SIGNAL: { effect: 'skip', message: 'signal older than maxSignalAgeMs' },
  HH_RISK_SIGNAL_FROM_FUTURE: { effect: 'reject', message: 'signal time ahead of the clock beyond maxClockSkewMs' },
  HH_RISK_PRICE_DEVIATION: { effect: 'reject', message: 'signal price too far from the market price' },
  HH_RISK_RATE_LIMITED: { effect: 'skip', message: 'maxOrdersPerMinute reached' },
  HH_RISK_NO_POSITION: { effect: 'skip', message: 'no exposed position in the payload or from the venue' },
  HH_RISK_NO_CHANGE: { effect: 'skip', message: 'hedge already at target' },
  HH_RISK_BELOW_MIN_NOTIONAL: { effect: 'skip', message: 'order below the minimum notional' },
  HH_RISK_CAPPED_SYMBOL_NOTIONAL: { effect: 'info', message: 'target capped at maxHedgeNotional for the symbol and account' },
  HH_RISK_CAPPED_ACCOUNT_NOTIONAL: { effect: 'info', message: 'target capped at maxAccountHedgeNotional' },
  HH_RISK_TARGET_ROUNDED: { effect: 'info', message: 'target rounded toward zero to the step size' },
  HH_RISK_CLOSE: { effect: 'info', message: 'close: the hedge goes to 0' },
  HH_RISK_NO_PRICE: { effect: 'skip', message: 'no market, signal or entry price to value the position' },
  HH_RISK_UNKNOWN_INSTRUMENT: { effect: 'skip', message: 'exchange precision (tick, step, minimum notional) of the symbol is not known' },
} as const satisfies Record<string, { effect: 'skip' | 'reject' | 'info'; message: string }>;

export type ReasonCode = keyof typeof REASONS;
export type ReasonEffect = (typeof REASONS)[ReasonCode]['effect'];

export interface Reason {
  code: ReasonCode;
  message: string;
  /** Numbers that explain the reason (limits, measured values); JSON-serialisable. */
  detail?: Record<string, number | string | boolean | null>;
}

export function reason(code: ReasonCode, detail?: Reason['detail'], message?: string): Reason {
  const r: Reason = { code, message: message ?? REASONS[code].message };
  if (detail) r.detail = detail;
  return r;
}

export type HedgeOutcome = 'hedge' | 'skipped' | 'rejected';

/** The most severe effect among the reasons decides the outcome. */
export function outcomeOf(reasons: readonly Reason[]): HedgeOutcome {
  let outcome: HedgeOutcome = 'hedge';
  for (const r of reasons) {
    const effect = REASONS[r.code].effect;
    if (effect === 'reject') return 'rejected';
    if (effect === 'skip') outcome = 'skipped';
  }
  return outcome;
}

export type OrderSide = 'buy' | 'sell';

/** An order the router should place: sizes on the step grid, in base-asset units × contractSize. */
export interface OrderIntent {
  symbol: string;
  side: OrderSide;
  /** > 0, a multiple of the step size. */
  amount: number;
  /** True when the order only shrinks the hedge (never crosses zero). */
  reduceOnly: boolean;
  /** The market price the decision valued the order at. */
  referencePrice: number;
  /** amount × contractSize × referencePrice (exact decimal, as a number). */
  notional: number;
}

/** The journaled decision of one signal (`GET /api/signals/:id` → `decision`). */
export interface HedgeDecision {
  outcome: HedgeOutcome;
  /** The model's ratio in [0, 1]; null only when the model could not run (HH_RISK_NO_PRICE). */
  ratio: number | null;
  modelVersion: string;
  features: Record<string, number>;
  contributions: Record<string, number>;
  /** Signed hedge size wanted after this signal (negative = short); null when unknown. */
  targetHedge: number | null;
  /** Signed hedge size before this signal. */
  currentHedge: number;
  /** The order to send; present only when `outcome` is 'hedge'. */
  order?: OrderIntent;
  /** The order the risk guard held back (skipped or rejected), for the record. */
  blockedOrder?: OrderIntent;
  reasons: Reason[];
  /** Epoch ms (Clock port) at which the decision was taken. */
  decidedAt?: number;
  /** The raw inputs behind the features (sizes, prices and their sources, volatility source…). */
  inputs?: Record<string, number | string | boolean | null>;
}
