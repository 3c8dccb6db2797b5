/**
 * A signal and a rejection as rows of the journal's tables, the same in SQLite and
 * PostgreSQL: what an append or a recorded rejection writes (JSON already serialised, so a
 * value that cannot be stored fails before it joins a group commit), and the rows of
 * `signals`, `rejections`, `signal_events` and `dead_letters` read back as their views.
 */
import type { ErrorInfo } from '../core/errors.ts';
import type { DeadLetterEntry, Delivery, RejectionView } from '../core/ports.ts';
import type { IncomingSignal, ProcessingOutcome, Rejection, SignalFact, SignalPayload, SignalState, SignalView } from '../core/signal.ts';
import { toJson, toSignalView } from './common.ts';
import type { SignalEvent, SignalEventType } from './types.ts';

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

/** What a claim reads of a signal to hand it to the worker. */
export const CLAIM_COLUMNS = 'seq, id, source, partition_key, payload, received_at, attempts';

export interface ClaimRow {
  seq: number;
  id: string;
  source: string;
  partition_key: string;
  payload: string;
  received_at: number;
  attempts: number;
}

export function deliveryOf(row: ClaimRow): Delivery {
  return {
    seq: row.seq,
    id: row.id,
    source: row.source,
    partitionKey: row.partition_key,
    payload: JSON.parse(row.payload) as SignalPayload,
    receivedAt: row.received_at,
    attempt: row.attempts,
  };
}

export const SIGNAL_COLUMNS = 'seq, id, source, state, received_at, account, symbol, payload, attempts, last_error, outcome, updated_at';

/** SIGNAL_COLUMNS for a listing asked without outcomes (`SignalListQuery.outcome: false`). */
export const SIGNAL_COLUMNS_WITHOUT_OUTCOME = SIGNAL_COLUMNS.replace(/\boutcome\b/, 'NULL AS outcome');

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

/** A row of a store's facts query: `type` and `ratio` as extracted from the JSON, unchecked. */
export interface SignalFactRow {
  seq: number;
  id: string;
  state: SignalState;
  type: unknown;
  ratio: unknown;
}

/** A type that is not a string and a ratio that is not a finite number are left out. */
export function signalFact(r: SignalFactRow): SignalFact {
  const fact: SignalFact = { seq: r.seq, id: r.id, state: r.state };
  if (typeof r.type === 'string') fact.type = r.type;
  if (typeof r.ratio === 'number' && Number.isFinite(r.ratio)) fact.ratio = r.ratio;
  return fact;
}

export const REJECTION_COLUMNS = 'seq, at, source, remote_addr, status, code, reason, body_excerpt, headers';

export interface RejectionRow {
  seq: number;
  at: number;
  source: string;
  remote_addr: string;
  status: number;
  code: string;
  reason: string;
  body_excerpt: string | null;
  headers: string | null;
}

export function rejectionView(r: RejectionRow): RejectionView {
  const view: RejectionView = { seq: r.seq, at: r.at, source: r.source, remoteAddr: r.remote_addr, status: r.status, code: r.code, reason: r.reason };
  if (r.body_excerpt !== null) view.bodyExcerpt = r.body_excerpt;
  if (r.headers !== null) view.headers = JSON.parse(r.headers) as Record<string, string>;
  return view;
}

/** One signal's audit trail by its id, oldest first; the placeholder is the dialect's. */
export const eventsOfSignalSql = (idParam: string) =>
  `SELECT e.seq, e.signal_seq, e.type, e.at, e.detail FROM signal_events e JOIN signals s ON s.seq = e.signal_seq WHERE s.id = ${idParam} ORDER BY e.seq`;

export interface EventRow {
  seq: number;
  signal_seq: number;
  type: SignalEventType;
  at: number;
  detail: string | null;
}

export function eventView(r: EventRow): SignalEvent {
  const e: SignalEvent = { seq: r.seq, signalSeq: r.signal_seq, type: r.type, at: r.at };
  if (r.detail !== null) e.detail = JSON.parse(r.detail) as Record<string, unknown>;
  return e;
}

/** The open dead-letter entries (neither replayed nor purged), in the signals' original order. */
export const OPEN_DEAD_LETTERS_SQL = `SELECT d.id, d.signal_id, d.signal_seq, s.source, s.partition_key, d.reason, d.attempts, d.last_error, d.dead_at
  FROM dead_letters d JOIN signals s ON s.seq = d.signal_seq
  WHERE d.replayed_at IS NULL AND d.purged_at IS NULL ORDER BY d.signal_seq`;

export interface DeadLetterRow {
  id: number;
  signal_id: string;
  signal_seq: number;
  source: string;
  partition_key: string;
  reason: string;
  attempts: number;
  last_error: string;
  dead_at: number;
}

export function deadLetterEntry(r: DeadLetterRow): DeadLetterEntry {
  return {
    id: r.id,
    signalId: r.signal_id,
    seq: r.signal_seq,
    source: r.source,
    partitionKey: r.partition_key,
    reason: r.reason,
    attempts: r.attempts,
    lastError: JSON.parse(r.last_error) as ErrorInfo,
    deadAt: r.dead_at,
  };
}
