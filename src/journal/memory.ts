/**
 * The in-memory journal: the same three ports with the same semantics as the SQLite
 * journal (group commit, per-key ordering, retries, DLQ, audit trail), for fast tests
 * and backtests. Nothing survives the process. Values are stored as JSON copies, like
 * SQLite does, so a caller mutating an object later changes nothing here.
 */
import type { ErrorInfo } from '../core/errors.ts';
import { HedgehookError } from '../core/errors.ts';
import type {
  DeadLetterEntry,
  Delivery,
  RejectionView,
  ReplayResult,
  SignalListQuery,
} from '../core/ports.ts';
import type {
  AppendResult,
  IncomingSignal,
  ProcessingOutcome,
  Rejection,
  SignalFact,
  SignalPayload,
  SignalView,
} from '../core/signal.ts';
import {
  DEFAULT_MAX_REJECTIONS,
  InFlight,
  tallyAppends,
  WorkListeners,
  assertOutcome,
  clampLimit,
  closedError,
  dueHeads,
  earliestDue,
  replaySelection,
  storedError,
  toJson,
  toSignalView,
  unavailable,
  type QueueHead,
  type StoredSignal,
} from './common.ts';
import { GroupCommit } from './group-commit.ts';
import { signalFact } from './signal-row.ts';
import { silentLogger, type JournalLogger, type JournalStats, type JournalStore, type SignalEvent, type SignalEventType } from './types.ts';

export interface MemoryJournalOptions {
  logger?: JournalLogger;
  /** Oldest rejections are dropped beyond this many (default 100 000). */
  maxRejections?: number;
}

interface Row extends StoredSignal {
  dedupKey: string;
  partitionKey: string;
  remoteAddr: string;
  headers: Record<string, string>;
  body: string;
}

interface DeadRow {
  id: number;
  signalSeq: number;
  signalId: string;
  reason: string;
  attempts: number;
  lastError: ErrorInfo;
  deadAt: number;
  replayedAt?: number;
  purgedAt?: number;
}

interface Prepared {
  signal: IncomingSignal;
  payloadJson: string;
  headersJson: string;
}

const clone = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

export class MemoryJournal implements JournalStore {
  private readonly logger: JournalLogger;
  private readonly maxRejections: number;
  private readonly rows: Row[] = []; // index = seq - 1
  private readonly byId = new Map<string, Row>();
  private readonly byDedup = new Map<string, Row>();
  /** Unsettled seqs per partition key, ascending; `notBefore` lives on the row. */
  private readonly queue = new Map<string, number[]>();
  private readonly notBefore = new Map<number, number>();
  private readonly events: SignalEvent[] = [];
  private readonly eventsBySignal = new Map<number, SignalEvent[]>();
  private readonly rejections: RejectionView[] = [];
  private rejectionSeq = 0;
  private readonly dead: DeadRow[] = [];
  private readonly inFlight = new InFlight();
  private readonly listeners: WorkListeners;
  private readonly appends: GroupCommit<Prepared, AppendResult>;
  private readonly rejectionBatch: GroupCommit<Rejection, void>;
  private failure: Error | undefined;
  private closed = false;
  private readonly counters: JournalStats = { batches: 0, failedBatches: 0, accepted: 0, duplicates: 0, rejectionsRecorded: 0, rejectionsLost: 0 };

  constructor(options: MemoryJournalOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.maxRejections = options.maxRejections ?? DEFAULT_MAX_REJECTIONS;
    this.listeners = new WorkListeners(this.logger);
    this.appends = new GroupCommit<Prepared, AppendResult>({
      commit: (items) => this.commitAppends(items),
      failure: (cause, size) => {
        this.counters.failedBatches++;
        this.logger.error({ err: cause, size }, 'journal batch failed');
        return unavailable('signals could not be journaled', cause);
      },
      committed: (results) => {
        if (tallyAppends(results, this.counters) > 0) this.listeners.notify();
      },
    });
    this.rejectionBatch = new GroupCommit<Rejection, void>({
      commit: (items) => {
        this.checkWritable();
        for (const r of items) this.rejections.push({ ...r, seq: ++this.rejectionSeq });
        if (this.rejections.length > this.maxRejections) this.rejections.splice(0, this.rejections.length - this.maxRejections);
        this.counters.rejectionsRecorded += items.length;
        return items.map(() => undefined);
      },
      failure: (cause, size) => unavailable(`${size} rejection(s) could not be recorded`, cause),
    });
  }

  /**
   * Test hook: while set, every write fails as a full or read-only disk would, and
   * nothing of the failing operation is kept. `undefined` heals the store.
   */
  setFailure(failure: Error | undefined): void {
    this.failure = failure;
  }

  // -- Journal -----------------------------------------------------------------------

  append(signal: IncomingSignal): Promise<AppendResult> {
    if (this.closed) return Promise.reject(closedError());
    let prepared: Prepared;
    try {
      prepared = { signal: { ...signal }, payloadJson: toJson(signal.payload, 'signal payload'), headersJson: toJson(signal.headers ?? {}, 'signal headers') };
    } catch (err) {
      return Promise.reject(err);
    }
    return this.appends.submit(prepared);
  }

  recordRejection(rejection: Rejection): void {
    if (this.closed) {
      this.counters.rejectionsLost++;
      this.logger.error({ code: rejection.code, source: rejection.source }, 'rejection not recorded: journal is closed');
      return;
    }
    const copy = clone(rejection);
    this.rejectionBatch.submit(copy).catch((err: unknown) => {
      this.counters.rejectionsLost++;
      this.logger.error({ err, code: rejection.code, source: rejection.source }, 'rejection not recorded');
    });
  }

  async getSignal(id: string): Promise<SignalView | undefined> {
    this.checkOpen();
    const row = this.byId.get(id);
    return row ? this.view(row) : undefined;
  }

  async listSignals(query: SignalListQuery = {}): Promise<SignalView[]> {
    this.checkOpen();
    const limit = clampLimit(query.limit);
    const out: SignalView[] = [];
    const start = query.beforeSeq === undefined ? this.rows.length : Math.min(this.rows.length, Math.ceil(query.beforeSeq) - 1);
    for (let i = start - 1; i >= 0 && out.length < limit; i--) {
      const row = this.rows[i]!;
      if (query.state !== undefined && row.state !== query.state) continue;
      if (query.source !== undefined && row.source !== query.source) continue;
      if (query.partitionKey !== undefined && row.partitionKey !== query.partitionKey) continue;
      const view = this.view(row);
      if (query.outcome === false) delete view.outcome;
      out.push(view);
    }
    return out;
  }

  async listSignalFacts(query: Pick<SignalListQuery, 'limit' | 'beforeSeq'> = {}): Promise<SignalFact[]> {
    this.checkOpen();
    const limit = clampLimit(query.limit);
    const start = query.beforeSeq === undefined ? this.rows.length : Math.min(this.rows.length, Math.ceil(query.beforeSeq) - 1);
    const out: SignalFact[] = [];
    for (let i = start - 1; i >= 0 && out.length < limit; i--) {
      const row = this.rows[i]!;
      out.push(signalFact({ seq: row.seq, id: row.id, state: row.state, type: row.payload.type, ratio: (row.outcome?.decision as { ratio?: unknown } | undefined)?.ratio }));
    }
    return out;
  }

  async listRejections(limit?: number): Promise<RejectionView[]> {
    this.checkOpen();
    const n = clampLimit(limit);
    return this.rejections.slice(-n).reverse().map(clone);
  }

  async isWritable(): Promise<boolean> {
    return !this.closed && this.failure === undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.appends.flush();
    this.rejectionBatch.flush();
    this.closed = true;
  }

  async listEvents(signalId: string): Promise<SignalEvent[]> {
    this.checkOpen();
    const row = this.byId.get(signalId);
    return row ? clone(this.eventsBySignal.get(row.seq) ?? []) : [];
  }

  stats(): JournalStats {
    return { ...this.counters };
  }

  // -- SignalQueue ---------------------------------------------------------------------

  async claim(max: number, now: number): Promise<Delivery[]> {
    this.checkOpen();
    const due = dueHeads(this.heads(), this.inFlight, now, max);
    if (due.length === 0) return [];
    this.checkWritable();
    return due.map((h) => {
      const row = this.rows[h.seq - 1]!;
      row.state = 'processing';
      row.attempts += 1;
      row.updatedAt = now;
      this.inFlight.add(row.partitionKey, row.seq);
      return {
        seq: row.seq,
        id: row.id,
        source: row.source,
        partitionKey: row.partitionKey,
        payload: clone(row.payload),
        receivedAt: row.receivedAt,
        attempt: row.attempts,
      };
    });
  }

  async settle(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<void> {
    try {
      this.checkOpen();
      assertOutcome(outcome);
      const stored = JSON.parse(toJson(outcome, 'processing outcome')) as ProcessingOutcome;
      this.checkWritable();
      const row = this.processing(delivery, 'settle');
      if (!row) return;
      row.state = stored.state;
      row.outcome = stored;
      row.updatedAt = now;
      this.dequeue(row);
      this.event(row.seq, 'processed', now, { state: stored.state, attempt: delivery.attempt, outcome: stored });
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async retry(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<void> {
    try {
      this.checkOpen();
      this.checkWritable();
      const row = this.processing(delivery, 'retry');
      if (!row) return;
      const info = storedError(error);
      row.state = 'received';
      row.lastError = info;
      row.updatedAt = now;
      this.notBefore.set(row.seq, notBefore);
      this.event(row.seq, 'retry', now, { attempt: delivery.attempt, notBefore, error: info });
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async deadLetter(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<void> {
    try {
      this.checkOpen();
      this.checkWritable();
      const row = this.processing(delivery, 'dead-letter');
      if (!row) return;
      const info = storedError(error);
      const entry: DeadRow = {
        id: this.dead.length + 1,
        signalSeq: row.seq,
        signalId: row.id,
        reason: String(reason),
        attempts: delivery.attempt,
        lastError: info,
        deadAt: now,
      };
      this.dead.push(entry);
      row.state = 'dead';
      row.lastError = info;
      row.updatedAt = now;
      this.dequeue(row);
      this.event(row.seq, 'dead', now, { attempt: delivery.attempt, reason: entry.reason, error: info, deadLetterId: entry.id });
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async depth(): Promise<number> {
    this.checkOpen();
    return this.notBefore.size;
  }

  async nextDueAt(): Promise<number | undefined> {
    this.checkOpen();
    return earliestDue(this.heads(), this.inFlight);
  }

  onWork(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  // -- DeadLetterQueue -------------------------------------------------------------------

  async list(): Promise<DeadLetterEntry[]> {
    this.checkOpen();
    return this.openEntries().map((d) => {
      const row = this.rows[d.signalSeq - 1]!;
      return {
        id: d.id,
        signalId: d.signalId,
        seq: d.signalSeq,
        source: row.source,
        partitionKey: row.partitionKey,
        reason: d.reason,
        attempts: d.attempts,
        lastError: { ...d.lastError },
        deadAt: d.deadAt,
      };
    });
  }

  async size(): Promise<number> {
    this.checkOpen();
    return this.openEntries().length;
  }

  async replay(target: { ids: string[] } | 'all', now: number): Promise<ReplayResult> {
    this.checkOpen();
    const selection = replaySelection(target);
    const entries = this.openEntries().filter((d) => selection.all || selection.ids.has(d.signalId));
    if (entries.length === 0) return { replayed: [] };
    this.checkWritable();
    const replayed: string[] = [];
    for (const d of entries) {
      d.replayedAt = now;
      const row = this.rows[d.signalSeq - 1]!;
      if (row.state !== 'dead') {
        this.logger.warn({ signalId: row.id, state: row.state }, 'dead-letter entry of a signal that is not dead; closed without replay');
        continue;
      }
      row.state = 'received';
      row.attempts = 0;
      row.updatedAt = now;
      this.enqueue(row, 0);
      this.event(row.seq, 'replayed', now, { deadLetterId: d.id });
      replayed.push(row.id);
    }
    if (replayed.length > 0) this.listeners.notify();
    return { replayed };
  }

  async purge(signalId: string, now: number): Promise<boolean> {
    this.checkOpen();
    const entry = this.openEntries().find((d) => d.signalId === signalId);
    if (!entry) return false;
    this.checkWritable();
    entry.purgedAt = now;
    this.event(entry.signalSeq, 'purged', now, { deadLetterId: entry.id });
    return true;
  }

  // -- internals -------------------------------------------------------------------------

  private commitAppends(items: readonly Prepared[]): (AppendResult | Error)[] {
    this.checkWritable();
    return items.map(({ signal, payloadJson, headersJson }) => {
      const dedup = `${signal.source}\u0000${signal.dedupKey}`;
      const existing = this.byDedup.get(dedup);
      if (existing) {
        return { status: 'duplicate', id: existing.id, seq: existing.seq };
      }
      if (this.byId.has(signal.id)) {
        return new HedgehookError('HH_ERR_INTERNAL', `signal id ${signal.id} is already used by another delivery`);
      }
      const payload = JSON.parse(payloadJson) as SignalPayload;
      const row: Row = {
        seq: this.rows.length + 1,
        id: signal.id,
        source: signal.source,
        dedupKey: signal.dedupKey,
        state: 'received',
        receivedAt: signal.receivedAt,
        remoteAddr: signal.remoteAddr,
        headers: JSON.parse(headersJson) as Record<string, string>,
        body: signal.body,
        payload,
        account: payload.account,
        symbol: payload.symbol,
        partitionKey: signal.partitionKey,
        attempts: 0,
        updatedAt: signal.receivedAt,
      };
      this.rows.push(row);
      this.byId.set(row.id, row);
      this.byDedup.set(dedup, row);
      this.enqueue(row, 0);
      this.event(row.seq, 'received', signal.receivedAt);
      return { status: 'accepted', id: row.id, seq: row.seq };
    });
  }

  private *heads(): Iterable<QueueHead> {
    for (const [partitionKey, seqs] of this.queue) {
      const seq = seqs[0]!;
      yield { seq, partitionKey, notBefore: this.notBefore.get(seq)! };
    }
  }

  private enqueue(row: Row, notBefore: number): void {
    let seqs = this.queue.get(row.partitionKey);
    if (!seqs) this.queue.set(row.partitionKey, (seqs = []));
    // Appends arrive in seq order; a replay puts an older signal back in its place.
    let i = seqs.length;
    while (i > 0 && seqs[i - 1]! > row.seq) i--;
    seqs.splice(i, 0, row.seq);
    this.notBefore.set(row.seq, notBefore);
  }

  private dequeue(row: Row): void {
    const seqs = this.queue.get(row.partitionKey);
    if (seqs) {
      const i = seqs.indexOf(row.seq);
      if (i >= 0) seqs.splice(i, 1);
      if (seqs.length === 0) this.queue.delete(row.partitionKey);
    }
    this.notBefore.delete(row.seq);
  }

  /** The row of a delivery still in processing; undefined (and a warning) for a stale one. */
  private processing(delivery: Delivery, op: string): Row | undefined {
    const row = this.rows[delivery.seq - 1];
    if (row && row.state === 'processing') return row;
    this.logger.warn({ signalId: delivery.id, state: row?.state, op }, 'stale delivery ignored: the signal is not processing');
    return undefined;
  }

  private event(signalSeq: number, type: SignalEventType, at: number, detail?: Record<string, unknown>): void {
    const e: SignalEvent = { seq: this.events.length + 1, signalSeq, type, at };
    if (detail) e.detail = clone(detail);
    this.events.push(e);
    let list = this.eventsBySignal.get(signalSeq);
    if (!list) this.eventsBySignal.set(signalSeq, (list = []));
    list.push(e);
  }

  private openEntries(): DeadRow[] {
    return this.dead.filter((d) => d.replayedAt === undefined && d.purgedAt === undefined).sort((a, b) => a.signalSeq - b.signalSeq);
  }

  private view(row: Row): SignalView {
    return clone(toSignalView(row));
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private checkWritable(): void {
    if (this.closed) throw closedError();
    if (this.failure) throw unavailable('journal write failed', this.failure);
  }
}

export function createMemoryJournal(options?: MemoryJournalOptions): MemoryJournal {
  return new MemoryJournal(options);
}
