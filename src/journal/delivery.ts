/**
 * What a message-broker queue (src/journal/nats/) needs from a shared journal
 * (src/journal/postgres/), as interfaces so that neither adapter imports the other.
 *
 * The broker decides WHEN a signal is handed out (order, redelivery, back-off); the journal
 * stays the truth of WHAT happened to it: every transition is fenced by the attempt number,
 * so a delivery that lost its turn (its process was presumed dead and the signal redelivered
 * elsewhere) can no longer settle it.
 */
import type { ErrorInfo } from '../core/errors.ts';
import type { Delivery } from '../core/ports.ts';
import type { ProcessingOutcome } from '../core/signal.ts';

/** What a broker message carries: enough to find the signal in the journal. */
export interface SignalRef {
  seq: number;
  id: string;
}

export interface DeliveryStates {
  /**
   * Marks each referenced signal processing (attempts + 1) unless it is final (settled or
   * dead); returns the deliveries, in the order of `refs`. A ref left out is stale: a
   * duplicate message of a signal that is already done.
   */
  claimSignals(refs: readonly SignalRef[], now: number): Promise<Delivery[]>;
  /** True when this delivery still held the signal and the outcome was recorded. */
  settleDelivery(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<boolean>;
  retryDelivery(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<boolean>;
  deadLetterDelivery(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<boolean>;
  /**
   * Dead-letters a signal nobody will finish (the broker gave up redelivering it): a DLQ
   * entry and the state dead, unless it is final already. True when it wrote the entry.
   */
  deadLetterAbandoned(ref: SignalRef, reason: string, error: ErrorInfo, now: number): Promise<boolean>;
  /** Unsettled signals, across every process. */
  depth(): Promise<number>;
}

/** One signal (or replay) committed to the journal and not yet published. */
export interface OutboxRow {
  /** Publication order. */
  id: number;
  seq: number;
  signalId: string;
  /** The broker's de-duplication id: the signal id, or a replay-specific id. */
  msgId: string;
  partitionKey: string;
}

/**
 * The transactional outbox. Rows are written in the same transaction as the signal, so a
 * committed signal is certain to be published: by this process's relay, or by another
 * process's after a crash.
 */
export interface Outbox {
  /** The oldest unpublished rows, in publication order. */
  pending(limit: number): Promise<OutboxRow[]>;
  /** Forgets rows that the broker acknowledged. */
  remove(ids: readonly number[]): Promise<void>;
  /** Wakes the relay when rows were committed (by any process). Returns an unsubscribe. */
  onPending(listener: () => void): () => void;
  /** Takes or keeps the single relay role; false while another process holds it. */
  lead(): Promise<boolean>;
  /** Gives the relay role up (shutdown). */
  resign(): Promise<void>;
}
