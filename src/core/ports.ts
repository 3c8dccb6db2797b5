/**
 * Ports between the engine and its adapters. The embedded defaults are SQLite and an
 * in-process queue; NATS JetStream + PostgreSQL implement the same interfaces for
 * scale-out, so nothing here may assume a single process or a synchronous store.
 */
import type { ErrorInfo } from './errors.ts';
import type {
  AppendResult,
  IncomingSignal,
  ProcessingOutcome,
  Rejection,
  SignalFact,
  SignalPayload,
  SignalState,
  SignalView,
} from './signal.ts';

export interface SignalListQuery {
  limit?: number;
  /** Only signals with a sequence number below this (paging backwards). */
  beforeSeq?: number;
  state?: SignalState;
  source?: string;
  /** Only the signals of one (account, symbol) key (`partitionKey(payload)`). */
  partitionKey?: string;
  /**
   * false: each signal's `outcome` is left out. For readers that need the payload and the
   * state only (the start-up fold): the outcome is most of what a read costs (on SQLite, a
   * page of 1,000 settled signals took 12 ms with the outcomes and 4 ms without;
   * bench/restart.ts).
   */
  outcome?: boolean;
}

export interface RejectionView extends Rejection {
  seq: number;
}

export interface Journal {
  /**
   * Durably records a signal. Resolves only once the record is committed; rejects with
   * HH_ERR_JOURNAL_UNAVAILABLE when it cannot be, leaving nothing half-written.
   * Two appends with the same (source, dedupKey), even concurrently, yield one signal.
   */
  append(signal: IncomingSignal): Promise<AppendResult>;
  /** Records a rejected request. Never throws: a rejection that cannot be stored is logged. */
  recordRejection(rejection: Rejection): void;
  getSignal(id: string): Promise<SignalView | undefined>;
  listSignals(query?: SignalListQuery): Promise<SignalView[]>;
  /** Newest first, as listSignals; only `limit` and `beforeSeq` apply. */
  listSignalFacts(query?: Pick<SignalListQuery, 'limit' | 'beforeSeq'>): Promise<SignalFact[]>;
  listRejections(limit?: number): Promise<RejectionView[]>;
  /** For /readyz: true when a write would succeed right now. */
  isWritable(): Promise<boolean>;
  close(): Promise<void>;
}

/** One signal handed to the worker; `attempt` counts from 1. */
export interface Delivery {
  seq: number;
  id: string;
  source: string;
  partitionKey: string;
  payload: SignalPayload;
  receivedAt: number;
  attempt: number;
}

export interface DeadLetterEntry {
  id: number;
  signalId: string;
  seq: number;
  source: string;
  partitionKey: string;
  reason: string;
  attempts: number;
  lastError: ErrorInfo;
  deadAt: number;
}

export interface ReplayResult {
  /** Signal ids put back on the queue, in original sequence order. */
  replayed: string[];
}

export interface SignalQueue {
  /**
   * Claims up to `max` deliveries that are due at `now`: at most one in flight per
   * partition key, always the lowest unsettled sequence number of its key. Work left
   * "processing" by a crashed process is claimable again, so start-up and crash
   * recovery are the same call.
   */
  claim(max: number, now: number): Promise<Delivery[]>;
  /** Final state; records the outcome and releases the key, atomically. */
  settle(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<void>;
  /** Releases the key; the same signal is due again at `notBefore`. */
  retry(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<void>;
  /** Writes the DLQ entry, then settles the signal as dead, atomically. */
  deadLetter(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<void>;
  /** Unsettled signals (queued, waiting for a retry, or in flight). */
  depth(): Promise<number>;
  /** Earliest `notBefore` among unsettled signals not in flight, if any. */
  nextDueAt(): Promise<number | undefined>;
  /** Wakes the worker when new work may be there (an append, a replay). Returns an unsubscribe. */
  onWork(listener: () => void): () => void;
}

export interface DeadLetterQueue {
  list(): Promise<DeadLetterEntry[]>;
  size(): Promise<number>;
  /** Puts entries back in their original sequence order. Replaying twice has no second effect. */
  replay(target: { ids: string[] } | 'all', now: number): Promise<ReplayResult>;
  /** Removes an entry from the DLQ; the signal stays in the journal as dead. */
  purge(signalId: string, now: number): Promise<boolean>;
}

/** The pipeline step the worker runs for each delivery. Throwing means "failed, maybe retry". */
export type SignalProcessor = (delivery: Delivery) => Promise<ProcessingOutcome>;
