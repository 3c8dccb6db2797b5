/** Domain types of one trading signal, from the webhook to its final state. */

export const ACTIONS = ['open', 'add', 'reduce', 'close', 'update'] as const;
export type Action = (typeof ACTIONS)[number];

export const POSITION_SIDES = ['long', 'short', 'flat'] as const;
export type PositionSide = (typeof POSITION_SIDES)[number];

export interface PositionReport {
  side: PositionSide;
  /** Base-asset quantity, never negative; the side carries the direction. */
  size: number;
  entryPrice?: number;
  leverage?: number;
}

/** A validated, normalised signal payload (see DESIGN.md, "Signal payload"). */
export interface SignalPayload {
  /** The sender's optional idempotency key. */
  id?: string;
  account: string;
  /** A CCXT unified symbol, e.g. `TRX/USDT:USDT`. */
  symbol: string;
  action: Action;
  type?: string;
  /** 0..1 */
  strength?: number;
  price?: number;
  /** When the strategy emitted the signal, epoch milliseconds. */
  time?: number;
  position?: PositionReport;
}

export const SIGNAL_STATES = ['received', 'processing', 'hedged', 'skipped', 'rejected', 'dead'] as const;
export type SignalState = (typeof SIGNAL_STATES)[number];
export const FINAL_STATES: readonly SignalState[] = ['hedged', 'skipped', 'rejected', 'dead'];

/** Signals with the same key are processed strictly in sequence order. */
export function partitionKey(payload: Pick<SignalPayload, 'account' | 'symbol'>): string {
  return `${payload.account}|${payload.symbol}`;
}

/** A verified, validated webhook on its way into the journal. */
export interface IncomingSignal {
  /** Deterministic from (source, dedupKey): the same delivery always gets the same id. */
  id: string;
  source: string;
  /** The sender's delivery id (`webhook-id`, `X-GitHub-Delivery`, payload `id`) or a body hash. */
  dedupKey: string;
  receivedAt: number;
  remoteAddr: string;
  /** The audit subset of request headers; never signatures, tokens or passphrases. */
  headers: Record<string, string>;
  /** The body as received, except that a TradingView passphrase is removed. */
  body: string;
  payload: SignalPayload;
  partitionKey: string;
}

export type AppendResult =
  | { status: 'accepted'; id: string; seq: number }
  | { status: 'duplicate'; id: string; seq: number };

/** A webhook that was turned away, kept so that nothing vanishes silently. */
export interface Rejection {
  at: number;
  source: string;
  remoteAddr: string;
  status: number;
  code: string;
  reason: string;
  /** Truncated, and with any passphrase removed. */
  bodyExcerpt?: string;
  headers?: Record<string, string>;
}

/** What processing concluded about a signal; stored as the signal's final state. */
export interface ProcessingOutcome {
  state: Extract<SignalState, 'hedged' | 'skipped' | 'rejected'>;
  reason?: string;
  decision?: unknown;
  orders?: unknown[];
}

/** A journaled signal as the API and the CLI show it. */
export interface SignalView {
  seq: number;
  id: string;
  source: string;
  state: SignalState;
  receivedAt: number;
  account: string;
  symbol: string;
  payload: SignalPayload;
  attempts: number;
  lastError?: { code: string; message: string };
  outcome?: ProcessingOutcome;
  updatedAt: number;
}

/**
 * What an aggregate over many signals needs of each (the dashboard's performance by
 * type): read without the payload and the outcome, whose parsing is most of what a
 * listing of settled signals costs.
 */
export interface SignalFact {
  seq: number;
  id: string;
  state: SignalState;
  /** The payload's `type`, when it has one. */
  type?: string;
  /** The hedge ratio of the outcome's decision, once decided. */
  ratio?: number;
}
