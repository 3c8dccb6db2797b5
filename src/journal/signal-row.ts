/**
 * A signal and a rejection as rows of the journal's tables, the same in SQLite and
 * PostgreSQL: what an append or a recorded rejection writes (JSON already serialised, so a
 * value that cannot be stored fails before it joins a group commit), and a `signals` row
 * read back as a SignalView.
 */
import type { ErrorInfo } from '../core/errors.ts';
import type { IncomingSignal, ProcessingOutcome, Rejection, SignalPayload, SignalState, SignalView } from '../core/signal.ts';
import { toJson, toSignalView } from './common.ts';

export interface PreparedSignal {
  id: string;
  source: string;
  dedupKey: string;
  receivedAt: number;
  remoteAddr: string;
  headers: string;
  body: string;
  payload: string;
  account: string;
  symbol: string;
  partitionKey: string;
}

export function prepareSignal(signal: IncomingSignal): PreparedSignal {
  return {
    id: signal.id,
    source: signal.source,
    dedupKey: signal.dedupKey,
    receivedAt: signal.receivedAt,
    remoteAddr: signal.remoteAddr,
    headers: toJson(signal.headers ?? {}, 'signal headers'),
    body: signal.body,
    payload: toJson(signal.payload, 'signal payload'),
    account: signal.payload.account,
    symbol: signal.payload.symbol,
    partitionKey: signal.partitionKey,
  };
}

export interface PreparedRejection {
  at: number;
  source: string;
  remoteAddr: string;
  status: number;
  code: string;
  reason: string;
  bodyExcerpt: string | null;
  headers: string | null;
}

/** `text` cleans each free-text field for the store (PostgreSQL cannot hold U+0000). */
export function prepareRejection(rejection: Rejection, text: (s: string) => string = (s) => s): PreparedRejection {
  return {
    at: rejection.at,
    source: text(rejection.source),
    remoteAddr: text(rejection.remoteAddr),
    status: rejection.status,
    code: text(rejection.code),
    reason: text(rejection.reason),
    bodyExcerpt: rejection.bodyExcerpt === undefined ? null : text(rejection.bodyExcerpt),
    headers: rejection.headers === undefined ? null : toJson(rejection.headers, 'rejection headers'),
  };
}

export interface SignalRow {
  seq: number;
  id: string;
  source: string;
  state: SignalState;
  received_at: number;
  account: string;
  symbol: string;
  payload: string;
  attempts: number;
  last_error: string | null;
  outcome: string | null;
  updated_at: number;
}

export function signalView(r: SignalRow): SignalView {
  return toSignalView({
    seq: r.seq,
    id: r.id,
    source: r.source,
    state: r.state,
    receivedAt: r.received_at,
    account: r.account,
    symbol: r.symbol,
    payload: JSON.parse(r.payload) as SignalPayload,
    attempts: r.attempts,
    lastError: r.last_error === null ? undefined : (JSON.parse(r.last_error) as ErrorInfo),
    outcome: r.outcome === null ? undefined : (JSON.parse(r.outcome) as ProcessingOutcome),
    updatedAt: r.updated_at,
  });
}
