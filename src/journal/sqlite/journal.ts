/**
 * The embedded durable journal: Journal, SignalQueue and DeadLetterQueue over one SQLite
 * file in WAL mode (better-sqlite3, synchronous API, so every method below runs to the
 * end without yielding and the in-process state cannot race with itself).
 *
 * - every write is group-committed: appends, rejections and the worker's claims, settles,
 *   retries and dead letters of one event-loop turn go into ONE BEGIN IMMEDIATE
 *   transaction on setImmediate, and each promise settles only after COMMIT. The batch
 *   runs without savepoints (they cost a third of an append); only when one operation
 *   throws is the whole transaction rolled back and the batch run again with each
 *   operation in its own savepoint, so that the failing one is refused alone. One
 *   transaction per turn instead of one per operation is what keeps the worker from
 *   starving the webhook path: each
 *   commit writes its pages to the WAL, and with synchronous=FULL fsyncs it. A batch
 *   holding an append, a replay or a purge commits with the configured (FULL) level; a
 *   batch of worker bookkeeping only, with `processingSynchronous` (NORMAL).
 *   Dedup is by `id`, a hash of (source, dedup key), looked up before each insert in the
 *   id index (id-index.ts: the newest ids in memory, the rest in a file merged in bulk):
 *   two identical appends, concurrent or in one batch, give one row.
 * - claim: heads of `queue` per partition key (a skip-scan over queue_by_partition), minus
 *   the keys in flight in this process, due at `now`, lowest seq first. The heads read is
 *   reused until a commit may have changed them (queueHeads below).
 * - hand-over: settling a signal claims the next one of its key in the same transaction
 *   when it is due, and keeps it for the worker's next claim(), which then returns it
 *   without touching the file. One commit per processed signal instead of two (claim,
 *   then settle): the worker's commits are what competes with the webhooks. A hand-over
 *   competes with the other keys' heads on seq, so claims stay lowest seq first. One the
 *   worker never takes (it stopped) is put back by close(); after a crash the signal is
 *   claimed again like any other left processing, its attempt count one higher.
 * - WAL checkpoints run on a thread of their own (checkpointer.ts), not inside a commit
 *   on the event loop.
 * - every state change of a signal and its audit event are one transaction.
 * - durability: appends (the 202 promise), replays and purges commit with the
 *   configured `synchronous` (FULL: fsync per commit). Rejections promise the sender
 *   nothing, so a batch of rejections alone commits like the worker's bookkeeping below
 *   (a flood of bad requests must not cost an fsync each); a power cut right after can
 *   lose those audit rows, a process crash cannot. The worker's bookkeeping
 *   (claim, settle, retry, dead letter) commits with `processingSynchronous`, NORMAL by
 *   default: in WAL mode that survives a process crash, and the next FULL commit (any
 *   append) fsyncs it too; only a power cut in between can lose it, and then the signal
 *   is simply processed again (at-least-once, as after any crash). Without this, two
 *   fsyncs per processed signal on the event loop thread starve the webhook path.
 * - another process (the `hedgehook dlq` CLI) may write the same file: busy_timeout makes
 *   it wait for the lock; the worker's poll picks its work up.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database as Db, Statement } from 'better-sqlite3';
import { HedgehookError, type ErrorInfo } from '../../core/errors.ts';
import type { DeadLetterEntry, Delivery, RejectionView, ReplayResult, SignalListQuery } from '../../core/ports.ts';
import type { AppendResult, IncomingSignal, ProcessingOutcome, Rejection, SignalFact, SignalView } from '../../core/signal.ts';
import {
  DEFAULT_MAX_REJECTIONS,
  InFlight,
  WorkListeners,
  assertOutcome,
  clampLimit,
  closedError,
  dueHeads,
  earliestDue,
  processedDetail,
  replaySelection,
  storedError,
  toJson,
  unavailable,
  type QueueHead,
} from '../common.ts';
import { GroupCommit } from '../group-commit.ts';
import { Checkpointer, type MergeClient } from './checkpointer.ts';
import { IdIndex, type IdIndexTuning } from './id-index.ts';
import { openStateConnection } from './connection.ts';
import { silentLogger, type JournalLogger, type JournalStats, type JournalStore, type SignalEvent, type SignalEventType } from '../types.ts';
import {
  CLAIM_COLUMNS,
  OPEN_DEAD_LETTERS_SQL,
  REJECTION_COLUMNS,
  SIGNAL_COLUMNS,
  SIGNAL_COLUMNS_WITHOUT_OUTCOME,
  deadLetterEntry,
  deliveryOf,
  eventView,
  prepareRejection,
  prepareSignal,
  rejectionView,
  signalFact,
  signalView,
  type ClaimRow,
  type DeadLetterRow,
  type EventRow,
  type PreparedRejection,
  type PreparedSignal,
  type RejectionRow,
  type SignalFactRow,
  type SignalRow,
} from '../signal-row.ts';

export interface SqliteJournalOptions {
  /** The database file; created with its schema when missing. */
  path: string;
  /** 'full' (default) fsyncs every commit and survives power loss; 'normal' survives a process crash. */
  synchronous?: 'full' | 'normal';
  /**
   * For the worker's commits (claim, settle, retry, dead letter): 'normal' (default) or
   * 'full'. Never stronger than `synchronous` needs: with synchronous 'normal' both are normal.
   */
  processingSynchronous?: 'full' | 'normal';
  logger?: JournalLogger;
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Oldest rejections are dropped beyond this many (default 100 000). */
  maxRejections?: number;
  /**
   * Checkpoint the WAL on a thread of its own (default true), so that no commit on the
   * event loop stalls for one: see checkpointer.ts.
   */
  checkpointThread?: boolean;
  /** When the signal id index is merged, and on which thread: see id-index.ts. */
  idIndex?: IdIndexTuning;
}

/** Pages; with the checkpoint thread this is only the safety net (see checkpointer.ts). */
const WAL_SAFETY_CHECKPOINT_PAGES = 10_000;
const WAL_DEFAULT_CHECKPOINT_PAGES = 1000;


/** One write of a group commit; `durable` ones make the batch commit with the configured fsync level. */
interface WriteOp {
  kind: 'append' | 'rejection' | 'claim' | 'settle' | 'retry' | 'dead-letter' | 'replay' | 'purge' | 'probe' | 'release';
  durable: boolean;
  /**
   * False when committing it cannot have given a key not in flight a new or earlier
   * head, so the queue heads read before still answer claims (see queueHeads). Absent:
   * it may have.
   */
  keepsHeads?: () => boolean;
  run(): unknown;
  /** Forgets the in-memory effects of run() when its transaction was rolled back. */
  undo?(): void;
}




/**
 * SQL for a signal's outcome (JSON text, or NULL before it is settled), `table` naming the
 * `signals` row in the query: its latest `processed` event's, where settle records it, or
 * for signals settled before it did (2026-11-25), the row's own `outcome`. Anything that
 * reads the file directly (the soak's reconciliation) reads outcomes through this.
 */
export function signalOutcomeSql(table = 'signals'): string {
  return `COALESCE((SELECT json_extract(e.detail, '$.outcome') FROM signal_events e
    WHERE e.signal_seq = ${table}.seq AND e.type = 'processed' ORDER BY e.seq DESC LIMIT 1), ${table}.outcome)`;
}

/** SIGNAL_COLUMNS, the outcome read as above. */
const SQLITE_SIGNAL_COLUMNS = SIGNAL_COLUMNS.replace(/\boutcome\b/, `${signalOutcomeSql()} AS outcome`);

/** Sequence numbers per read of a filtered listing: about a millisecond of the loop each (2 vCPU). */
const FILTERED_SLICE = 4096;
/** Signals per read of listSignalFacts: about a millisecond of the loop each (2 vCPU). */
const FACTS_SLICE = 100;

/**
 * The facts of the newest signals, extracted by SQLite instead of parsed in JavaScript: a
 * third of the event loop that the same signals with their outcomes take. The ratio falls
 * back to the row's outcome only where no processed event has one, as signalOutcomeSql
 * does: the row's outcome was written by settles before the events held it, and such a
 * signal is never processed again (only dead signals are replayed, and they had none).
 */
const SIGNAL_FACTS_SQL = `SELECT seq, id, state, json_extract(payload, '$.type') AS type,
    COALESCE((SELECT json_extract(e.detail, '$.outcome.decision.ratio') FROM signal_events e
      WHERE e.signal_seq = signals.seq AND e.type = 'processed' ORDER BY e.seq DESC LIMIT 1),
      json_extract(outcome, '$.decision.ratio')) AS ratio
  FROM signals WHERE seq < ? ORDER BY seq DESC LIMIT ?`;

const EVENTS_OF_SIGNAL_SQL = 'SELECT seq, signal_seq, type, at, detail FROM signal_events WHERE signal_seq = ? ORDER BY seq';

/** Distinct partition keys by skip-scan (one index seek per key), then each key's head. */
const HEADS_SQL = `
  WITH RECURSIVE keys (pk) AS (
    SELECT (SELECT partition_key FROM queue ORDER BY partition_key LIMIT 1)
    UNION ALL
    SELECT (SELECT q.partition_key FROM queue q WHERE q.partition_key > keys.pk ORDER BY q.partition_key LIMIT 1)
    FROM keys WHERE keys.pk IS NOT NULL
  )
  SELECT h.seq AS seq, h.partition_key AS partitionKey, h.not_before AS notBefore
  FROM keys
  JOIN queue h ON h.seq = (SELECT q2.seq FROM queue q2 WHERE q2.partition_key = keys.pk ORDER BY q2.seq LIMIT 1)
  WHERE keys.pk IS NOT NULL`;

export class SqliteJournal implements JournalStore {
  readonly path: string;
  private readonly db: Db;
  private readonly logger: JournalLogger;
  private readonly maxRejections: number;
  private readonly inFlight = new InFlight();
  /** Deliveries claimed by a settle for the next claim() (see hand-over above), by partition key. */
  private readonly handedOver = new Map<string, Delivery>();
  private readonly listeners: WorkListeners;
  private readonly writes: GroupCommit<WriteOp, unknown>;
  private readonly s: ReturnType<SqliteJournal['prepareStatements']>;
  private readonly listStatements = new Map<string, Statement>();
  private readonly tx: ReturnType<SqliteJournal['transactions']>;
  private rejectionsSincePrune = 0;
  private readonly synchronous: 'full' | 'normal';
  private readonly processingSynchronous: 'full' | 'normal';
  private currentSync: 'full' | 'normal' = 'full';
  private readonly checkpointer: Checkpointer | undefined;
  private readonly ids: IdIndex;
  /** The queue heads as last read, at the file's data_version then; dropped by a commit that may have moved them. */
  private headsCache: { heads: QueueHead[]; dataVersion: number } | undefined;
  private readonly headReads = { read: 0, reused: 0 };
  private closed = false;
  private readonly counters: JournalStats = { batches: 0, failedBatches: 0, accepted: 0, duplicates: 0, rejectionsRecorded: 0, rejectionsLost: 0 };

  constructor(options: SqliteJournalOptions) {
    this.path = options.path;
    this.logger = options.logger ?? silentLogger;
    this.maxRejections = options.maxRejections ?? DEFAULT_MAX_REJECTIONS;
    const synchronous = options.synchronous ?? 'full';
    const processingSynchronous = synchronous === 'normal' ? 'normal' : (options.processingSynchronous ?? 'normal');
    for (const [name, value] of [['synchronous', synchronous], ['processingSynchronous', processingSynchronous]] as const) {
      if (value !== 'full' && value !== 'normal') {
        throw new HedgehookError('HH_ERR_CONFIG_INVALID', `journal.${name} must be "full" or "normal", not "${String(value)}"`);
      }
    }
    this.synchronous = synchronous;
    this.processingSynchronous = processingSynchronous;
    const db = openStateConnection(options.path, { busyTimeoutMs: options.busyTimeoutMs, logger: this.logger, synchronous });
    this.currentSync = synchronous;
    try {
      this.db = db;
      this.s = this.prepareStatements();
      this.tx = this.transactions();
    } catch (err) {
      db.close();
      if (err instanceof HedgehookError) throw err;
      throw unavailable(`cannot open the journal at ${options.path}`, err);
    }
    if (options.checkpointThread ?? true) {
      const main = this.db;
      main.pragma(`wal_autocheckpoint = ${WAL_SAFETY_CHECKPOINT_PAGES}`);
      this.checkpointer = new Checkpointer({
        path: options.path,
        synchronous,
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
        logger: this.logger,
        onFailure: () => {
          if (main.open) main.pragma(`wal_autocheckpoint = ${WAL_DEFAULT_CHECKPOINT_PAGES}`);
        },
      });
    }
    const checkpointer = this.checkpointer;
    try {
      this.ids = new IdIndex({
        journal: this.db,
        journalPath: options.path,
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
        logger: this.logger,
        ...options.idIndex,
        ...(checkpointer ? { runner: (client: MergeClient) => checkpointer.mergesFor(client) } : {}),
      });
    } catch (err) {
      checkpointer?.close();
      this.db.close();
      if (err instanceof HedgehookError) throw err;
      throw unavailable(`cannot open the signal id index of ${options.path}`, err);
    }
    this.listeners = new WorkListeners(this.logger);
    this.writes = new GroupCommit<WriteOp, unknown>({
      commit: (ops) => this.tx.batch(ops),
      failure: (cause, size) => {
        // Undone in-flight marks and hand-overs: read the heads again.
        this.headsCache = undefined;
        this.counters.failedBatches++;
        this.logger.error({ err: cause, size }, 'journal batch failed; every write of it was refused');
        return unavailable('the journal could not commit', cause);
      },
      committed: (results, ops) => {
        let appends = 0;
        let lastSeq = 0;
        let wake = false;
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i]!;
          const r = results[i];
          if (r instanceof Error || !op.keepsHeads?.()) this.headsCache = undefined;
          if (r instanceof Error) continue;
          if (op.kind === 'append') {
            appends++;
            if ((r as AppendResult).status === 'accepted') {
              lastSeq = Math.max(lastSeq, (r as AppendResult).seq);
              this.counters.accepted++;
              wake = true;
            } else {
              this.counters.duplicates++;
            }
          } else if (op.kind === 'replay' && (r as string[]).length > 0) {
            wake = true;
          }
        }
        if (appends > 0) this.counters.batches++;
        this.ids.committed(lastSeq);
        this.checkpointer?.committed();
        if (wake) this.listeners.notify();
      },
    });
  }

  private prepareStatements() {
    const db = this.db;
    return {
      // Positional parameters: binding eleven named ones by property lookup cost a third more.
      insertSignal: db.prepare(
        `INSERT INTO signals (id, source, dedup_key, received_at, remote_addr, headers, body, payload, account, symbol, partition_key, state, attempts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', 0, ?)`,
      ),
      signalAt: db.prepare('SELECT id, source, dedup_key AS dedupKey FROM signals WHERE seq = ?'),
      enqueue: db.prepare('INSERT INTO queue (seq, partition_key, not_before) VALUES (?, ?, ?)'),
      dequeue: db.prepare('DELETE FROM queue WHERE seq = ?'),
      nextOfKey: db.prepare('SELECT seq, not_before AS notBefore FROM queue WHERE partition_key = ? ORDER BY seq LIMIT 1'),
      unclaim: db.prepare(`UPDATE signals SET state = 'received', attempts = attempts - 1 WHERE seq = ? AND state = 'processing' AND attempts = ?`),
      setNotBefore: db.prepare('UPDATE queue SET not_before = ? WHERE seq = ?'),
      event: db.prepare('INSERT INTO signal_events (signal_seq, type, at, detail) VALUES (?, ?, ?, ?)'),
      heads: db.prepare(HEADS_SQL),
      claimOne: db.prepare(
        `UPDATE signals SET state = 'processing', attempts = attempts + 1, updated_at = ?
         WHERE seq = ? RETURNING ${CLAIM_COLUMNS}`,
      ),
      settle: db.prepare(`UPDATE signals SET state = ?, updated_at = ? WHERE seq = ? AND state = 'processing'`),
      retry: db.prepare(`UPDATE signals SET state = 'received', last_error = ?, updated_at = ? WHERE seq = ? AND state = 'processing'`),
      kill: db.prepare(`UPDATE signals SET state = 'dead', last_error = ?, updated_at = ? WHERE seq = ? AND state = 'processing'`),
      insertDead: db.prepare(
        `INSERT INTO dead_letters (signal_seq, signal_id, reason, attempts, last_error, dead_at)
         SELECT seq, id, ?, ?, ?, ? FROM signals WHERE seq = ? AND state = 'processing'`,
      ),
      depth: db.prepare('SELECT COUNT(*) FROM queue').pluck(),
      getSignal: db.prepare(`SELECT ${SQLITE_SIGNAL_COLUMNS} FROM signals WHERE seq = ?`),
      listRejections: db.prepare(`SELECT ${REJECTION_COLUMNS} FROM rejections ORDER BY seq DESC LIMIT ?`),
      signalFacts: db.prepare(SIGNAL_FACTS_SQL),
      // Two subqueries: SQLite reads MIN or MAX off the key alone only when it is the only aggregate.
      seqBounds: db.prepare('SELECT (SELECT MIN(seq) FROM signals) AS lowest, (SELECT MAX(seq) FROM signals) AS highest'),
      insertRejection: db.prepare(
        `INSERT INTO rejections (at, source, remote_addr, status, code, reason, body_excerpt, headers)
         VALUES (@at, @source, @remoteAddr, @status, @code, @reason, @bodyExcerpt, @headers)`,
      ),
      pruneRejections: db.prepare('DELETE FROM rejections WHERE seq <= (SELECT MAX(seq) FROM rejections) - ?'),
      dlqOpen: db.prepare(OPEN_DEAD_LETTERS_SQL),
      dlqOpenById: db.prepare(
        `SELECT d.id, d.signal_seq, s.partition_key FROM dead_letters d JOIN signals s ON s.seq = d.signal_seq
         WHERE d.signal_id = ? AND d.replayed_at IS NULL AND d.purged_at IS NULL`,
      ),
      dlqSize: db.prepare('SELECT COUNT(*) FROM dead_letters WHERE replayed_at IS NULL AND purged_at IS NULL').pluck(),
      markReplayed: db.prepare('UPDATE dead_letters SET replayed_at = ? WHERE id = ?'),
      revive: db.prepare(`UPDATE signals SET state = 'received', attempts = 0, updated_at = ? WHERE seq = ? AND state = 'dead'`),
      markPurged: db.prepare(
        `UPDATE dead_letters SET purged_at = ? WHERE signal_id = ? AND replayed_at IS NULL AND purged_at IS NULL RETURNING id, signal_seq`,
      ),
      events: db.prepare(EVENTS_OF_SIGNAL_SQL),
      probe: db.prepare(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'write_probe'`),
      // Changes when another connection (the dlq CLI, another process) commits: its
      // appends and replays are heads this process has not seen.
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
    };
  }

  /** Every write is one BEGIN IMMEDIATE transaction: it takes the lock up front, so a
   * concurrent writer in another process makes it wait (busy_timeout), never deadlock. */
  private transactions() {
    const s = this.s;
    const event = (seq: number, type: SignalEventType, at: number, detail?: Record<string, unknown>) =>
      s.event.run(seq, type, at, detail === undefined ? null : JSON.stringify(detail));

    const append = (item: PreparedSignal): AppendResult => {
      // Stored already, or earlier in this very batch. Looked up before inserting so that a
      // duplicate never consumes a sequence number. The id is a hash of (source, dedup key),
      // so the id index (id-index.ts) is the dedup index.
      const original = this.signalOf(item.id);
      if (original) {
        if (original.source !== item.source || original.dedupKey !== item.dedupKey) {
          throw new HedgehookError('HH_ERR_INTERNAL', `signal id ${item.id} is already used by another delivery`);
        }
        return { status: 'duplicate', id: item.id, seq: original.seq };
      }
      const r = s.insertSignal.run(
        item.id,
        item.source,
        item.dedupKey,
        item.receivedAt,
        item.remoteAddr,
        item.headers,
        item.body,
        item.payload,
        item.account,
        item.symbol,
        item.partitionKey,
        item.receivedAt,
      );
      const seq = Number(r.lastInsertRowid);
      s.enqueue.run(seq, item.partitionKey, 0);
      s.event.run(seq, 'received', item.receivedAt, null);
      this.ids.add(item.id, seq);
      return { status: 'accepted', id: item.id, seq };
    };

    const rejection = (r: PreparedRejection): void => {
      s.insertRejection.run(r);
      this.rejectionsSincePrune++;
    };

    const claimSeq = (seq: number, now: number): Delivery => {
      const row = s.claimOne.get(now, seq) as ClaimRow | undefined;
      if (!row) throw new HedgehookError('HH_ERR_INTERNAL', `queued signal ${seq} has no journal row`);
      return deliveryOf(row);
    };

    const claim = (max: number, now: number): Delivery[] =>
      dueHeads(s.heads.all() as QueueHead[], this.inFlight, now, max).map((h) => claimSeq(h.seq, now));

    /** Settles; returns the next due signal of the key, claimed, or undefined when there is none. */
    const settle = (d: Delivery, state: string, outcome: string, now: number): { done: boolean; next?: Delivery } => {
      if (s.settle.run(state, now, d.seq).changes !== 1) return { done: false };
      s.dequeue.run(d.seq);
      // The outcome lives in the audit event, not in the signal's row: grown by its
      // decision (1.3 KB for the bench's skipped signal), the row no longer fit its page,
      // and every settle split and rebalanced `signals` leaves. WAL frames per settle
      // commit went 8.6 → 6.5 with the event appended at the tail instead (README).
      s.event.run(d.seq, 'processed', now, processedDetail(state, d.attempt, outcome));
      const head = s.nextOfKey.get(d.partitionKey) as QueueHead | undefined;
      if (!head || head.notBefore > now) return { done: true };
      return { done: true, next: claimSeq(head.seq, now) };
    };

    const retry = (d: Delivery, notBefore: number, error: ErrorInfo, now: number): boolean => {
      if (s.retry.run(JSON.stringify(error), now, d.seq).changes !== 1) return false;
      s.setNotBefore.run(notBefore, d.seq);
      event(d.seq, 'retry', now, { attempt: d.attempt, notBefore, error });
      return true;
    };

    const deadLetter = (d: Delivery, reason: string, error: ErrorInfo, now: number): boolean => {
      const errorJson = JSON.stringify(error);
      // The DLQ entry first; the signal becomes dead in the same transaction.
      const inserted = s.insertDead.run(reason, d.attempt, errorJson, now, d.seq);
      if (inserted.changes !== 1) return false;
      s.kill.run(errorJson, now, d.seq);
      s.dequeue.run(d.seq);
      event(d.seq, 'dead', now, { attempt: d.attempt, reason, error, deadLetterId: Number(inserted.lastInsertRowid) });
      return true;
    };

    const replay = (target: { ids: string[] } | 'all', now: number): string[] => {
      const selection = replaySelection(target);
      let entries: { id: number; signal_seq: number; signal_id: string; partition_key: string }[];
      if (selection.all) {
        entries = s.dlqOpen.all() as DeadLetterRow[];
      } else {
        entries = [];
        for (const signalId of selection.ids) {
          const e = s.dlqOpenById.get(signalId) as { id: number; signal_seq: number; partition_key: string } | undefined;
          if (e) entries.push({ ...e, signal_id: signalId });
        }
        entries.sort((a, b) => a.signal_seq - b.signal_seq);
      }
      const replayed: string[] = [];
      for (const e of entries) {
        s.markReplayed.run(now, e.id);
        if (s.revive.run(now, e.signal_seq).changes !== 1) {
          this.logger.warn({ signalId: e.signal_id }, 'dead-letter entry of a signal that is not dead; closed without replay');
          continue;
        }
        s.enqueue.run(e.signal_seq, e.partition_key, 0);
        event(e.signal_seq, 'replayed', now, { deadLetterId: e.id });
        replayed.push(e.signal_id);
      }
      return replayed;
    };

    const purge = (signalId: string, now: number): boolean => {
      const row = s.markPurged.get(now, signalId) as { id: number; signal_seq: number } | undefined;
      if (!row) return false;
      event(row.signal_seq, 'purged', now, { deadLetterId: row.id });
      return true;
    };

    // PRAGMA synchronous is per connection and may change between transactions. It is never
    // a prepared statement: SQLite applies it while compiling the statement, not when it
    // runs, so preparing FULL and NORMAL once left the connection at NORMAL, and appends
    // were acknowledged without an fsync until each statement happened to be compiled again.
    const durable = <T>(level: 'full' | 'normal', fn: () => T): T => {
      if (this.currentSync !== level) {
        this.db.exec(level === 'full' ? 'PRAGMA synchronous = FULL' : 'PRAGMA synchronous = NORMAL');
        this.currentSync = level;
      }
      return fn();
    };
    const prune = () => {
      if (this.rejectionsSincePrune >= 1000) {
        s.pruneRejections.run(this.maxRejections);
        this.rejectionsSincePrune = 0;
      }
    };
    // Under the write lock, before the first lookup: ids another process appended meanwhile.
    const catchUp = (ops: readonly WriteOp[]) => {
      for (const op of ops) {
        if (op.kind === 'append') return this.ids.catchUp();
      }
    };
    // The common case: every operation succeeds, one transaction, no savepoints.
    // `opFailed` tells a failing operation (worth isolating) from a failing BEGIN or COMMIT.
    let opFailed = false;
    const together = this.db.transaction((ops: readonly WriteOp[]): unknown[] => {
      catchUp(ops);
      const results = ops.map((op) => {
        try {
          return op.run();
        } catch (err) {
          opFailed = true;
          throw err;
        }
      });
      prune();
      return results;
    });
    // After a failure: each operation in its own savepoint, so one that throws rolls back
    // alone and is rejected alone; only a failing COMMIT (disk full, I/O error) fails the
    // whole batch.
    const savepoint = this.db.transaction((op: WriteOp): unknown => op.run());
    const isolated = this.db.transaction((ops: readonly WriteOp[]): unknown[] => {
      catchUp(ops);
      const results = ops.map((op) => {
        try {
          return savepoint(op);
        } catch (err) {
          // Some failures (disk full, I/O errors) make SQLite roll back the whole
          // transaction; the operations after this one would then commit on their own,
          // outside the batch. Fail the batch instead.
          if (!this.db.inTransaction) throw err;
          if (err instanceof HedgehookError) return err;
          return unavailable(`journal ${op.kind} failed`, err);
        }
      });
      prune();
      return results;
    });
    const undoAll = (ops: readonly WriteOp[]) => {
      for (const op of ops) op.undo?.();
    };
    const batch = (ops: readonly WriteOp[]): unknown[] => {
      opFailed = false;
      try {
        return together.immediate(ops);
      } catch (err) {
        undoAll(ops);
        if (!opFailed || this.db.inTransaction) throw err;
      }
      try {
        return isolated.immediate(ops);
      } catch (err) {
        undoAll(ops);
        throw err;
      }
    };
    const ops = {
      append: (item: PreparedSignal): WriteOp => {
        let seq: number | undefined;
        return {
          kind: 'append',
          durable: true,
          run: () => {
            const r = append(item);
            if (r.status === 'accepted') seq = r.seq;
            return r;
          },
          // Rolled back: the id is not in the journal after all.
          undo: () => {
            if (seq !== undefined) this.ids.remove(item.id, seq);
            seq = undefined;
          },
        };
      },
      rejection: (item: PreparedRejection): WriteOp => ({ kind: 'rejection', durable: false, keepsHeads: () => true, run: () => rejection(item) }),
      // Keys are marked in flight inside the batch, so a second claim in the same batch
      // cannot take the same key; undone if the transaction rolls back.
      claim: (max: number, now: number): WriteOp => {
        let claimed: Delivery[] = [];
        return {
          kind: 'claim',
          durable: false,
          // Claimed heads go in flight, which dueHeads filters out anyway.
          keepsHeads: () => true,
          run: () => {
            claimed = claim(max, now);
            for (const d of claimed) this.inFlight.add(d.partitionKey, d.seq);
            return claimed;
          },
          undo: () => {
            for (const d of claimed) this.inFlight.release(d.partitionKey, d.seq);
            claimed = [];
          },
        };
      },
      settle: (d: Delivery, state: string, outcome: string, now: number): WriteOp => {
        let next: Delivery | undefined;
        return {
          kind: 'settle',
          durable: false,
          // Handed over, the key stays in flight; settled without a next, it leaves
          // flight, and its next head (a retry waiting for its time) must be read.
          keepsHeads: () => next !== undefined,
          run: () => {
            const r = settle(d, state, outcome, now);
            next = r.next;
            // The key stays in flight, now for the next signal, so no claim takes it twice.
            if (next) this.handOver(next);
            return r.done;
          },
          undo: () => {
            if (next) this.takeBack(next);
            next = undefined;
          },
        };
      },
      release: (ds: readonly Delivery[]): WriteOp => ({
        kind: 'release',
        durable: false,
        run: () => {
          for (const d of ds) s.unclaim.run(d.seq, d.attempt);
        },
      }),
      retry: (d: Delivery, notBefore: number, error: ErrorInfo, now: number): WriteOp => ({ kind: 'retry', durable: false, run: () => retry(d, notBefore, error, now) }),
      deadLetter: (d: Delivery, reason: string, error: ErrorInfo, now: number): WriteOp => ({ kind: 'dead-letter', durable: false, run: () => deadLetter(d, reason, error, now) }),
      replay: (target: { ids: string[] } | 'all', now: number): WriteOp => ({ kind: 'replay', durable: true, run: () => replay(target, now) }),
      purge: (signalId: string, now: number): WriteOp => ({ kind: 'purge', durable: true, run: () => purge(signalId, now) }),
      probe: (): WriteOp => ({ kind: 'probe', durable: true, keepsHeads: () => true, run: () => s.probe.run() }),
    };
    return {
      ops,
      batch: (items: readonly WriteOp[]) =>
        durable(items.some((op) => op.durable) ? this.synchronous : this.processingSynchronous, () => batch(items)),
    };
  }

  // -- Journal -----------------------------------------------------------------------

  append(signal: IncomingSignal): Promise<AppendResult> {
    if (this.closed) return Promise.reject(closedError());
    let item: PreparedSignal;
    try {
      item = prepareSignal(signal);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.writes.submit(this.tx.ops.append(item)) as Promise<AppendResult>;
  }

  recordRejection(rejection: Rejection): void {
    if (this.closed) {
      this.counters.rejectionsLost++;
      this.logger.error({ code: rejection.code, source: rejection.source }, 'rejection not recorded: journal is closed');
      return;
    }
    let item: PreparedRejection;
    try {
      item = prepareRejection(rejection);
    } catch (err) {
      this.counters.rejectionsLost++;
      this.logger.error({ err, code: rejection.code }, 'rejection not recorded');
      return;
    }
    this.writes.submit(this.tx.ops.rejection(item)).then(
      () => {
        this.counters.rejectionsRecorded++;
      },
      (err: unknown) => {
        this.counters.rejectionsLost++;
        this.logger.error({ err, code: rejection.code, source: rejection.source }, 'rejection not recorded');
      },
    );
  }

  async getSignal(id: string): Promise<SignalView | undefined> {
    const row = this.read(() => {
      const found = this.signalOf(id, true);
      return found && (this.s.getSignal.get(found.seq) as SignalRow | undefined);
    });
    return row ? signalView(row) : undefined;
  }

  /**
   * The row an id was appended as, if any: the index's seq, checked against the row itself.
   * `fresh` (reads outside a transaction only) first takes in what another process appended.
   */
  private signalOf(id: string, fresh = false): { seq: number; source: string; dedupKey: string } | undefined {
    let seq = this.ids.lookup(id);
    if (seq === undefined && fresh) {
      this.ids.catchUp();
      seq = this.ids.lookup(id);
    }
    if (seq === undefined) return undefined;
    const row = this.s.signalAt.get(seq) as { id: string; source: string; dedupKey: string } | undefined;
    return row?.id === id ? { seq, source: row.source, dedupKey: row.dedupKey } : undefined;
  }

  async listSignals(query: SignalListQuery = {}): Promise<SignalView[]> {
    const filters: string[] = [];
    const values: string[] = [];
    if (query.state !== undefined) {
      filters.push('state = ?');
      values.push(query.state);
    }
    if (query.source !== undefined) {
      filters.push('source = ?');
      values.push(query.source);
    }
    if (query.partitionKey !== undefined) {
      filters.push('partition_key = ?');
      values.push(query.partitionKey);
    }
    const limit = clampLimit(query.limit);
    const columns = query.outcome === false ? SIGNAL_COLUMNS_WITHOUT_OUTCOME : SQLITE_SIGNAL_COLUMNS;
    if (filters.length === 0) {
      const sql = `SELECT ${columns} FROM signals WHERE seq < ? ORDER BY seq DESC LIMIT ?`;
      return this.read(() => this.listStatement(sql).all(query.beforeSeq ?? Number.MAX_SAFE_INTEGER, limit) as SignalRow[]).map(signalView);
    }
    // No index serves these filters (schema 004 dropped them: every append and state change
    // paid for them), so the walk goes newest first through every row until `limit` match.
    // It goes a slice of sequence numbers at a time with a turn of the event loop between
    // slices: a rare state on a journal of 200,000 signals was 40 ms in one read, and
    // webhooks wait behind a read. Each slice is read in its own snapshot; slices do not
    // overlap, so every signal is read once.
    const sql = `SELECT ${columns} FROM signals WHERE seq < ? AND seq >= ? AND ${filters.join(' AND ')} ORDER BY seq DESC LIMIT ?`;
    const bounds = this.read(() => this.s.seqBounds.get() as { lowest: number | null; highest: number | null });
    if (bounds.lowest === null || bounds.highest === null) return [];
    const rows: SignalRow[] = [];
    let upper = Math.min(query.beforeSeq ?? Number.MAX_SAFE_INTEGER, bounds.highest + 1);
    for (let slice = 0; rows.length < limit && upper > bounds.lowest; slice++) {
      if (slice > 0) await nextTurn();
      const lower = Math.max(bounds.lowest, upper - FILTERED_SLICE);
      rows.push(...(this.read(() => this.listStatement(sql).all(upper, lower, ...values, limit - rows.length)) as SignalRow[]));
      upper = lower;
    }
    return rows.map(signalView);
  }

  private listStatement(sql: string): Statement {
    let stmt = this.listStatements.get(sql);
    if (!stmt) this.listStatements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  /**
   * Read FACTS_SLICE signals at a time with a turn of the event loop between reads, as the
   * filtered listing is: the dashboard asks for 1,000 about once a second while signals
   * stream in, about 10 ms of the loop in one read. Each read has its own snapshot, so a
   * signal settled between two reads may be counted in its earlier state.
   */
  async listSignalFacts(query: Pick<SignalListQuery, 'limit' | 'beforeSeq'> = {}): Promise<SignalFact[]> {
    const limit = clampLimit(query.limit);
    const facts: SignalFact[] = [];
    let before = query.beforeSeq ?? Number.MAX_SAFE_INTEGER;
    for (let slice = 0; facts.length < limit; slice++) {
      if (slice > 0) await nextTurn();
      const want = Math.min(FACTS_SLICE, limit - facts.length);
      const rows = this.read(() => this.s.signalFacts.all(before, want) as SignalFactRow[]);
      for (const r of rows) facts.push(signalFact(r));
      if (rows.length < want) break;
      before = rows[rows.length - 1]!.seq;
    }
    return facts;
  }

  async listRejections(limit?: number): Promise<RejectionView[]> {
    return this.read(() => this.s.listRejections.all(clampLimit(limit)) as RejectionRow[]).map(rejectionView);
  }

  async isWritable(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.writes.submit(this.tx.ops.probe());
      return true;
    } catch (err) {
      this.logger.warn({ err }, 'journal write probe failed');
      return false;
    }
  }

  /** Commits what is pending (appends, rejections), then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    // Hand-overs nobody took were never attempted: back to received, attempt count as before.
    if (this.handedOver.size > 0) {
      const unused = [...this.handedOver.values()];
      this.handedOver.clear();
      for (const d of unused) this.inFlight.release(d.partitionKey, d.seq);
      this.writes.submit(this.tx.ops.release(unused)).catch((err: unknown) => {
        this.logger.warn({ err, count: unused.length }, 'handed-over signals left processing; they are claimed again at the next start');
      });
    }
    this.writes.flush();
    this.closed = true;
    // The threads' connections first: the last one to close checkpoints and removes the WAL.
    this.ids.close();
    this.checkpointer?.close();
    try {
      this.db.close();
    } catch (err) {
      this.logger.error({ err }, 'closing the journal failed');
    }
  }

  async listEvents(signalId: string): Promise<SignalEvent[]> {
    return this.read(() => {
      const found = this.signalOf(signalId, true);
      return found ? (this.s.events.all(found.seq) as EventRow[]) : [];
    }).map(eventView);
  }

  stats(): JournalStats {
    return { ...this.counters };
  }

  /** Signal ids held in memory until merged, merges done, merged up to which seq (id-index.ts). */
  idIndexStats(): IdIndex['stats'] {
    return this.ids.stats;
  }

  /** How the id index's lookups were answered (tests and benchmarks). */
  idLookupStats(): IdIndex['lookups'] {
    return this.ids.lookups;
  }

  // -- SignalQueue ---------------------------------------------------------------------

  async claim(max: number, now: number): Promise<Delivery[]> {
    this.checkOpen();
    // Cheap read first: an idle poll must not take the write lock.
    const heads = this.queueHeads();
    const due = dueHeads(heads, this.inFlight, now, max);
    // Hand-overs compete with the other keys' heads on seq, so the order stays lowest seq first.
    const handed = this.takeHandedOver(max, due);
    const wanted = Math.min(due.length, Math.floor(max) - handed.length);
    if (wanted <= 0) return handed;
    try {
      const claimed = (await this.write('claim', this.tx.ops.claim(wanted, now))) as Delivery[];
      return handed.length === 0 ? claimed : [...handed, ...claimed].sort((a, b) => a.seq - b.seq);
    } catch (err) {
      // Those were claimed already: keep them for the next claim rather than strand them.
      for (const d of handed) this.handOver(d);
      throw err;
    }
  }

  private handOver(d: Delivery): void {
    this.inFlight.add(d.partitionKey, d.seq);
    this.handedOver.set(d.partitionKey, d);
  }

  private takeBack(d: Delivery): void {
    if (this.handedOver.get(d.partitionKey) === d) this.handedOver.delete(d.partitionKey);
    this.inFlight.release(d.partitionKey, d.seq);
  }

  /**
   * The handed-over deliveries among the `max` lowest seqs of them and the due heads of
   * the other keys (`due`, lowest first); the rest wait for a later claim, in flight.
   */
  private takeHandedOver(max: number, due: readonly QueueHead[]): Delivery[] {
    if (this.handedOver.size === 0 || !(max >= 1)) return [];
    const stash = [...this.handedOver.values()].sort((a, b) => a.seq - b.seq);
    const out: Delivery[] = [];
    let i = 0;
    let j = 0;
    while (i + j < max && i < stash.length) {
      if (j < due.length && due[j]!.seq < stash[i]!.seq) j++;
      else out.push(stash[i++]!);
    }
    for (const d of out) this.handedOver.delete(d.partitionKey);
    return out;
  }

  async settle(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<void> {
    try {
      this.checkOpen();
      assertOutcome(outcome);
      const json = toJson(outcome, 'processing outcome');
      const done = await this.write('settle', this.tx.ops.settle(delivery, outcome.state, json, now));
      if (!done) this.stale(delivery, 'settle');
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async retry(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<void> {
    try {
      this.checkOpen();
      const done = await this.write('retry', this.tx.ops.retry(delivery, notBefore, storedError(error), now));
      if (!done) this.stale(delivery, 'retry');
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async deadLetter(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<void> {
    try {
      this.checkOpen();
      const done = await this.write('dead-letter', this.tx.ops.deadLetter(delivery, String(reason), storedError(error), now));
      if (!done) this.stale(delivery, 'dead-letter');
    } finally {
      this.inFlight.release(delivery.partitionKey, delivery.seq);
    }
  }

  async depth(): Promise<number> {
    return this.read(() => Number(this.s.depth.get()));
  }

  async nextDueAt(): Promise<number | undefined> {
    return earliestDue(this.queueHeads(), this.inFlight);
  }

  /**
   * The head (lowest seq) of each key's queue. Read again only when something may have
   * changed them for a key not in flight: a commit of this journal other than a claim, a
   * hand-over, a rejection or a probe, a failed batch, or any commit by another connection
   * (data_version). Draining one key, every settle hands the next signal over, and the
   * claim and due-timer reads after it (two skip-scans, 17% of the drain's event loop in
   * a CPU profile) were reading heads that had not changed.
   */
  private queueHeads(): QueueHead[] {
    return this.read(() => {
      const dataVersion = this.s.dataVersion.get() as number;
      const cached = this.headsCache;
      if (cached?.dataVersion === dataVersion) {
        this.headReads.reused++;
        return cached.heads;
      }
      const heads = this.s.heads.all() as QueueHead[];
      this.headReads.read++;
      this.headsCache = { heads, dataVersion };
      return heads;
    });
  }

  /** How often claim() and nextDueAt() read the queue heads, and how often they reused them (tests and benchmarks). */
  headReadStats(): { read: number; reused: number } {
    return { ...this.headReads };
  }

  onWork(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  // -- DeadLetterQueue -------------------------------------------------------------------

  async list(): Promise<DeadLetterEntry[]> {
    return this.read(() => this.s.dlqOpen.all() as DeadLetterRow[]).map(deadLetterEntry);
  }

  async size(): Promise<number> {
    return this.read(() => Number(this.s.dlqSize.get()));
  }

  async replay(target: { ids: string[] } | 'all', now: number): Promise<ReplayResult> {
    this.checkOpen();
    replaySelection(target); // validates before taking the lock
    const replayed = (await this.write('replay', this.tx.ops.replay(target, now))) as string[];
    return { replayed };
  }

  async purge(signalId: string, now: number): Promise<boolean> {
    this.checkOpen();
    return (await this.write('purge', this.tx.ops.purge(signalId, now))) as boolean;
  }

  // -- internals -------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private read<T>(fn: () => T): T {
    this.checkOpen();
    try {
      return fn();
    } catch (err) {
      if (err instanceof HedgehookError) throw err;
      throw unavailable('journal read failed', err);
    }
  }

  private async write(name: string, op: WriteOp): Promise<unknown> {
    try {
      return await this.writes.submit(op);
    } catch (err) {
      if (err instanceof HedgehookError) throw err;
      this.logger.error({ err, op: name }, 'journal write failed');
      throw unavailable(`journal ${name} failed`, err);
    }
  }

  private stale(delivery: Delivery, op: string): void {
    this.logger.warn({ signalId: delivery.id, op }, 'stale delivery ignored: the signal is not processing');
  }
}


/** Opens (creating and migrating when needed) the journal file. Throws HH_ERR_JOURNAL_UNAVAILABLE when it cannot. */
export function openSqliteJournal(options: SqliteJournalOptions): SqliteJournal {
  return new SqliteJournal(options);
}
