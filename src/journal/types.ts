/**
 * What the journal adapters (SQLite, memory) offer beyond the three core ports: one
 * object implements Journal, SignalQueue and DeadLetterQueue over one store, plus an
 * audit trail per signal and a few counters for metrics and benchmarks.
 */
import type { DeadLetterQueue, Journal, SignalQueue } from '../core/ports.ts';

/** The structured-logging subset the adapters use; a pino logger fits. */
export interface JournalLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: JournalLogger = { info() {}, warn() {}, error() {} };

export const SIGNAL_EVENT_TYPES = ['received', 'processed', 'retry', 'dead', 'replayed', 'purged'] as const;
export type SignalEventType = (typeof SIGNAL_EVENT_TYPES)[number];

/** One line of a signal's append-only audit trail. */
export interface SignalEvent {
  seq: number;
  signalSeq: number;
  type: SignalEventType;
  at: number;
  detail?: Record<string, unknown>;
}

export interface JournalStats {
  /** Group commits of appends that succeeded. */
  batches: number;
  /** Group commits of appends that failed (every append in them was rejected). */
  failedBatches: number;
  /** Signals stored. */
  accepted: number;
  /** Appends answered with an earlier signal. */
  duplicates: number;
  rejectionsRecorded: number;
  /** Rejections that could not be stored (logged). */
  rejectionsLost: number;
}

/** A journal adapter: the three ports over one store. */
export interface JournalStore extends Journal, SignalQueue, DeadLetterQueue {
  /** The audit trail of one signal, oldest first; empty for an unknown id. */
  listEvents(signalId: string): Promise<SignalEvent[]>;
  stats(): JournalStats;
}
