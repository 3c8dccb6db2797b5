/**
 * The shared journal: Journal, SignalQueue and DeadLetterQueue over PostgreSQL, for several
 * hedgehook processes at once. Same semantics as the SQLite journal (the shared contract in
 * test/journal/contract.ts runs against both); what differs is how they hold across processes.
 *
 * - Appends are group-committed (batcher.ts): one transaction per batch, one call of the
 *   server-side `append_signals` (migrations/006-append-function.ts). De-duplication is the
 *   UNIQUE (source, dedup_key) constraint, so two processes receiving the same delivery store
 *   one signal. A batch first takes the row lock of each of its partition keys (in one fixed
 *   order, so batches of different processes cannot deadlock) and only then draws sequence
 *   numbers: per key, seq order is commit order. Without that, process A could draw seq 10,
 *   process B seq 11 for the same key and commit first, and whoever reads "everything after
 *   9" (the relay) would see 11 before 10.
 * - `delivery: 'postgres'` — this journal is also the queue. A claim leases the head of each
 *   key (`queue.lease_until`, database time, renewed while the delivery runs); a killed
 *   process's lease runs out and another process claims the signal again. One statement per
 *   claim, so two processes never lease the same head.
 * - `delivery: 'outbox'` — NATS JetStream delivers (src/journal/nats/). Appends and replays
 *   also write an outbox row in the same transaction; `outbox.ts` hands them to the relay.
 *   The broker's consumer uses the `DeliveryStates` methods (claimSignals, settle, …).
 * - Every transition is fenced by the attempt number: a delivery whose lease (or ack wait)
 *   ran out and whose signal was claimed again can no longer settle it.
 * - Durability is PostgreSQL's: an append resolves after COMMIT (synchronous_commit on, the
 *   default, and with a synchronous standby for power-loss safety across machines).
 */
import { randomUUID } from 'node:crypto';
import { HedgehookError, type ErrorInfo } from '../../core/errors.ts';
import type { DeadLetterEntry, Delivery, RejectionView, ReplayResult, SignalListQuery } from '../../core/ports.ts';
import type { AppendResult, IncomingSignal, ProcessingOutcome, Rejection, SignalFact, SignalView } from '../../core/signal.ts';
import {
  DEFAULT_MAX_REJECTIONS,
  WorkListeners,
  assertOutcome,
  clampLimit,
  closedError,
  processedDetail,
  replaySelection,
  storedError,
  toJson,
  unavailable,
} from '../common.ts';
import type { DeliveryStates, SignalRef } from '../delivery.ts';
import type { JournalLogger, JournalStats, JournalStore, SignalEvent } from '../types.ts';
import { AsyncBatcher } from './batcher.ts';
import type { PostgresDatabase } from './database.ts';
import {
  CLAIM_COLUMNS,
  OPEN_DEAD_LETTERS_SQL,
  REJECTION_COLUMNS,
  SIGNAL_COLUMNS,
  SIGNAL_COLUMNS_WITHOUT_OUTCOME,
  deadLetterEntry,
  deliveryOf,
  eventView,
  eventsOfSignalSql,
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

export interface PostgresJournalOptions {
  /** 'postgres' (default): the journal is the queue. 'outbox': a broker delivers; appends and replays write the outbox. */
  delivery?: 'postgres' | 'outbox';
  /** How long a claim holds its key before another process may take the signal (default 30 000 ms; renewed while running). */
  leaseMs?: number;
  /** Oldest rejections are dropped beyond this many (default 100 000). */
  maxRejections?: number;
}




/** Leases are measured on the database's clock, the one clock every process shares. */
const DB_NOW = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;
/** The head (lowest seq) of every key in the queue. */
const HEADS = `SELECT DISTINCT ON (partition_key) seq, not_before, lease_until FROM queue ORDER BY partition_key, seq`;
const NUL = /\u0000/;

export class PostgresJournal implements JournalStore, DeliveryStates {
  readonly delivery: 'postgres' | 'outbox';
  private readonly db: PostgresDatabase;
  private readonly logger: JournalLogger;
  private readonly leaseMs: number;
  private readonly maxRejections: number;
  /** This instance's lease owner id: a restarted process is a new owner and waits out the old leases. */
  private readonly owner = `${process.pid}-${randomUUID()}`;
  /** Signals this instance leased and still runs (renewed by the timer). */
  private readonly leased = new Set<number>();
  private readonly renewTimer: NodeJS.Timeout | undefined;
  private readonly listeners: WorkListeners;
  private readonly appends: AsyncBatcher<PreparedSignal, AppendResult>;
  private readonly rejections: AsyncBatcher<PreparedRejection, true>;
  private rejectionsSincePrune = 0;
  private closed = false;
  private readonly counters: JournalStats = { batches: 0, failedBatches: 0, accepted: 0, duplicates: 0, rejectionsRecorded: 0, rejectionsLost: 0 };

  constructor(db: PostgresDatabase, options: PostgresJournalOptions = {}) {
    this.db = db;
    this.logger = db.logger;
    this.delivery = options.delivery ?? 'postgres';
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxRejections = options.maxRejections ?? DEFAULT_MAX_REJECTIONS;
    if (this.delivery !== 'postgres' && this.delivery !== 'outbox') {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `journal delivery must be "postgres" or "outbox", not "${String(this.delivery)}"`);
    }
    if (!Number.isInteger(this.leaseMs) || this.leaseMs < 100) {
      throw new HedgehookError('HH_ERR_CONFIG_INVALID', `journal.leaseMs must be a whole number ≥ 100 (got ${this.leaseMs})`);
    }
    this.listeners = new WorkListeners(this.logger);
    this.appends = new AsyncBatcher<PreparedSignal, AppendResult>({
      commit: (items) => this.commitAppends(items),
      failure: (cause, size) => {
        this.counters.failedBatches++;
        this.logger.error({ err: cause, size }, 'journal batch failed; every append of it was refused');
        return cause instanceof HedgehookError && cause.code === 'HH_ERR_JOURNAL_UNAVAILABLE' ? cause : unavailable('the journal could not commit', cause);
      },
      committed: (results) => {
        this.counters.batches++;
        let wake = false;
        for (const r of results) {
          if (r instanceof Error) continue;
          if (r.status === 'accepted') {
            this.counters.accepted++;
            wake = true;
          } else {
            this.counters.duplicates++;
          }
        }
        if (wake) this.listeners.notify();
      },
    });
    this.rejections = new AsyncBatcher<PreparedRejection, true>({
      commit: (items) => this.commitRejections(items),
      failure: (cause) => unavailable('rejections could not be stored', cause),
    });
    if (this.delivery === 'postgres') {
      this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(this.leaseMs / 3)));
      this.renewTimer.unref();
    }
  }

  // -- Journal ---------------------------------------------------------------------------

  append(signal: IncomingSignal): Promise<AppendResult> {
    if (this.closed) return Promise.reject(closedError());
    let item: PreparedSignal;
    try {
      item = prepareSignal(signal);
      // PostgreSQL text cannot hold U+0000; refusing this one signal keeps it from failing
      // the whole batch (and every other sender's 202 with it).
      for (const [field, value] of Object.entries(item)) {
        if (typeof value === 'string' && NUL.test(value)) {
          throw new HedgehookError('HH_ERR_INVALID_PAYLOAD', `the ${field} of the signal contains a NUL character, which the journal cannot store`);
        }
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.appends.submit(item);
  }

  recordRejection(rejection: Rejection): void {
    if (this.closed) {
      this.counters.rejectionsLost++;
      this.logger.error({ code: rejection.code, source: rejection.source }, 'rejection not recorded: journal is closed');
      return;
    }
    let item: PreparedRejection;
    try {
      item = prepareRejection(rejection, noNul);
    } catch (err) {
      this.counters.rejectionsLost++;
      this.logger.error({ err, code: rejection.code }, 'rejection not recorded');
      return;
    }
    this.rejections.submit(item).then(
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
    const rows = await this.read<SignalRow>('journal read failed', `SELECT ${SIGNAL_COLUMNS} FROM signals WHERE id = $1`, [id]);
    return rows[0] ? signalView(rows[0]) : undefined;
  }

  async listSignals(query: SignalListQuery = {}): Promise<SignalView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.beforeSeq !== undefined) {
      params.push(query.beforeSeq);
      where.push(`seq < $${params.length}`);
    }
    if (query.state !== undefined) {
      params.push(query.state);
      where.push(`state = $${params.length}`);
    }
    if (query.source !== undefined) {
      params.push(query.source);
      where.push(`source = $${params.length}`);
    }
    if (query.partitionKey !== undefined) {
      params.push(query.partitionKey);
      where.push(`partition_key = $${params.length}`);
    }
    params.push(clampLimit(query.limit));
    const columns = query.outcome === false ? SIGNAL_COLUMNS_WITHOUT_OUTCOME : SIGNAL_COLUMNS;
    const sql = `SELECT ${columns} FROM signals ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $${params.length}`;
    return (await this.read<SignalRow>('journal read failed', sql, params)).map(signalView);
  }

  async listSignalFacts(query: Pick<SignalListQuery, 'limit' | 'beforeSeq'> = {}): Promise<SignalFact[]> {
    // PostgreSQL extracts the two fields, so only they cross the wire and get parsed here.
    const rows = await this.read<SignalFactRow>(
      'journal read failed',
      `SELECT seq, id, state,
         CASE WHEN jsonb_typeof(p -> 'type') = 'string' THEN p ->> 'type' END AS type,
         CASE WHEN jsonb_typeof(o -> 'decision' -> 'ratio') = 'number' THEN (o -> 'decision' ->> 'ratio')::float8 END AS ratio
       FROM (SELECT seq, id, state, payload::jsonb AS p, outcome::jsonb AS o FROM signals WHERE seq < $1 ORDER BY seq DESC LIMIT $2) newest
       ORDER BY seq DESC`,
      [query.beforeSeq ?? Number.MAX_SAFE_INTEGER, clampLimit(query.limit)],
    );
    return rows.map(signalFact);
  }

  async listRejections(limit?: number): Promise<RejectionView[]> {
    // Read-your-writes within the process: rejections recorded a moment ago are listed.
    await this.rejections.flush();
    const rows = await this.read<RejectionRow>('journal read failed', `SELECT ${REJECTION_COLUMNS} FROM rejections ORDER BY seq DESC LIMIT $1`, [clampLimit(limit)]);
    return rows.map(rejectionView);
  }

  async isWritable(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.db.query('journal write probe failed', `UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'write_probe'`);
      return true;
    } catch (err) {
      this.logger.warn({ err }, 'journal write probe failed');
      return false;
    }
  }

  /** Commits what is pending (appends, rejections), then stops using the database (the caller closes it). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flushWrites();
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  /** Waits until every append and rejection submitted so far is committed or refused. */
  async flushWrites(): Promise<void> {
    await Promise.all([this.appends.flush(), this.rejections.flush()]);
  }

  async listEvents(signalId: string): Promise<SignalEvent[]> {
    return (await this.read<EventRow>('journal read failed', eventsOfSignalSql('$1'), [signalId])).map(eventView);
  }

  stats(): JournalStats {
    return { ...this.counters };
  }

  // -- SignalQueue (delivery 'postgres') -----------------------------------------------------

  async claim(max: number, now: number): Promise<Delivery[]> {
    this.checkOpen();
    if (this.delivery !== 'postgres') throw new HedgehookError('HH_ERR_INTERNAL', 'this journal delivers through a broker; claim from its queue');
    if (!(max >= 1)) return [];
    // One statement: the heads that are due and not leased, leased to us and marked
    // processing. A concurrent claim that picked the same head re-checks the lease on the
    // row it waited for (READ COMMITTED re-evaluation) and skips it.
    const rows = await this.read<ClaimRow>(
      'journal claim failed',
      `WITH due AS (
         SELECT seq FROM (${HEADS}) h
         WHERE not_before <= $1 AND (lease_until IS NULL OR lease_until <= ${DB_NOW})
         ORDER BY seq LIMIT $2
       ), leased AS (
         UPDATE queue q SET lease_owner = $3, lease_until = ${DB_NOW} + $4
         FROM due WHERE q.seq = due.seq AND (q.lease_until IS NULL OR q.lease_until <= ${DB_NOW})
         RETURNING q.seq
       )
       UPDATE signals s SET state = 'processing', attempts = s.attempts + 1, updated_at = $1
       FROM leased WHERE s.seq = leased.seq
       RETURNING s.seq, s.id, s.source, s.partition_key, s.payload, s.received_at, s.attempts`,
      [now, Math.floor(max), this.owner, this.leaseMs],
    );
    const deliveries = rows.map(deliveryOf).sort((a, b) => a.seq - b.seq);
    for (const d of deliveries) this.leased.add(d.seq);
    return deliveries;
  }

  async settle(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<void> {
    await this.settleDelivery(delivery, outcome, now);
  }

  /** Settles as the port does; true when this delivery still held the signal (not stale). */
  async settleDelivery(delivery: Delivery, outcome: ProcessingOutcome, now: number): Promise<boolean> {
    try {
      this.checkOpen();
      assertOutcome(outcome);
      const json = toJson(outcome, 'processing outcome');
      const detail = processedDetail(outcome.state, delivery.attempt, json);
      const rows = await this.read<{ seq: number }>(
        'journal settle failed',
        `WITH s AS (
           UPDATE signals SET state = $2, outcome = $3, updated_at = $4
           WHERE seq = $1 AND state = 'processing' AND attempts = $5 RETURNING seq
         ), q AS (DELETE FROM queue WHERE seq IN (SELECT seq FROM s))
         INSERT INTO signal_events (signal_seq, type, at, detail) SELECT seq, 'processed', $4, $6 FROM s RETURNING signal_seq AS seq`,
        [delivery.seq, outcome.state, json, now, delivery.attempt, detail],
      );
      return this.applied(rows.length, delivery, 'settle');
    } finally {
      this.leased.delete(delivery.seq);
    }
  }

  async retry(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<void> {
    await this.retryDelivery(delivery, notBefore, error, now);
  }

  /** Retrys as the port does; true when this delivery still held the signal (not stale). */
  async retryDelivery(delivery: Delivery, notBefore: number, error: ErrorInfo, now: number): Promise<boolean> {
    try {
      this.checkOpen();
      const stored = storedError(error);
      const detail = JSON.stringify({ attempt: delivery.attempt, notBefore, error: stored });
      const rows = await this.read<{ seq: number }>(
        'journal retry failed',
        `WITH s AS (
           UPDATE signals SET state = 'received', last_error = $2, updated_at = $3
           WHERE seq = $1 AND state = 'processing' AND attempts = $4 RETURNING seq
         ), q AS (
           UPDATE queue SET not_before = $5, lease_owner = NULL, lease_until = NULL WHERE seq IN (SELECT seq FROM s)
         )
         INSERT INTO signal_events (signal_seq, type, at, detail) SELECT seq, 'retry', $3, $6 FROM s RETURNING signal_seq AS seq`,
        [delivery.seq, JSON.stringify(stored), now, delivery.attempt, notBefore, detail],
      );
      return this.applied(rows.length, delivery, 'retry');
    } finally {
      this.leased.delete(delivery.seq);
    }
  }

  async deadLetter(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<void> {
    await this.deadLetterDelivery(delivery, reason, error, now);
  }

  /** DeadLetters as the port does; true when this delivery still held the signal (not stale). */
  async deadLetterDelivery(delivery: Delivery, reason: string, error: ErrorInfo, now: number): Promise<boolean> {
    try {
      this.checkOpen();
      const n = await this.kill(
        `seq = $1 AND state = 'processing' AND attempts = $6`,
        [delivery.seq, String(reason), JSON.stringify(storedError(error)), now, JSON.stringify({ attempt: delivery.attempt, reason: String(reason), error: storedError(error) }), delivery.attempt],
      );
      return this.applied(n, delivery, 'dead-letter');
    } finally {
      this.leased.delete(delivery.seq);
    }
  }

  async depth(): Promise<number> {
    const rows = await this.read<{ n: number }>('journal read failed', 'SELECT count(*)::int AS n FROM queue');
    return rows[0]?.n ?? 0;
  }

  async nextDueAt(): Promise<number | undefined> {
    const rows = await this.read<{ t: number | null }>(
      'journal read failed',
      `SELECT min(not_before) AS t FROM (${HEADS}) h WHERE lease_until IS NULL OR lease_until <= ${DB_NOW}`,
    );
    return rows[0]?.t ?? undefined;
  }

  onWork(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  // -- DeliveryStates (delivery 'outbox': the broker decides when) -----------------------------

  async claimSignals(refs: readonly SignalRef[], now: number): Promise<Delivery[]> {
    this.checkOpen();
    if (refs.length === 0) return [];
    const rows = await this.read<ClaimRow>(
      'journal claim failed',
      `UPDATE signals SET state = 'processing', attempts = attempts + 1, updated_at = $2
       WHERE seq = ANY($1::bigint[]) AND id = ANY($3::text[]) AND state IN ('received', 'processing')
       RETURNING ${CLAIM_COLUMNS}`,
      [refs.map((r) => r.seq), now, refs.map((r) => r.id)],
    );
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    const out: Delivery[] = [];
    for (const ref of refs) {
      const row = bySeq.get(ref.seq);
      if (row && row.id === ref.id) out.push(deliveryOf(row));
    }
    return out;
  }

  async deadLetterAbandoned(ref: SignalRef, reason: string, error: ErrorInfo, now: number): Promise<boolean> {
    this.checkOpen();
    const stored = storedError(error);
    const n = await this.kill(`seq = $1 AND id = $6 AND state IN ('received', 'processing')`, [
      ref.seq,
      String(reason),
      JSON.stringify(stored),
      now,
      JSON.stringify({ reason: String(reason), error: stored, abandoned: true }),
      ref.id,
    ]);
    return n === 1;
  }

  // -- DeadLetterQueue -----------------------------------------------------------------------

  async list(): Promise<DeadLetterEntry[]> {
    return (await this.read<DeadLetterRow>('journal read failed', OPEN_DEAD_LETTERS_SQL)).map(deadLetterEntry);
  }

  async size(): Promise<number> {
    const rows = await this.read<{ n: number }>('journal read failed', 'SELECT count(*)::int AS n FROM dead_letters WHERE replayed_at IS NULL AND purged_at IS NULL');
    return rows[0]?.n ?? 0;
  }

  /**
   * One statement: the open entries (locked, so a concurrent replay from another process
   * waits and then finds them closed), closed as replayed, their signals revived and queued
   * (and, with a broker, put in the outbox in original sequence order, each with a message
   * id of its own: the broker would drop a second message with the signal's id as a
   * duplicate).
   */
  async replay(target: { ids: string[] } | 'all', now: number): Promise<ReplayResult> {
    this.checkOpen();
    const selection = replaySelection(target);
    const ids = selection.all ? null : [...selection.ids];
    const rows = await this.read<{ id: string; seq: number }>(
      'journal replay failed',
      `WITH picked AS (
         SELECT d.id AS dlq_id, d.signal_seq FROM dead_letters d
         WHERE d.replayed_at IS NULL AND d.purged_at IS NULL AND ($1::text[] IS NULL OR d.signal_id = ANY($1::text[]))
         ORDER BY d.signal_seq FOR UPDATE
       ), marked AS (
         UPDATE dead_letters d SET replayed_at = $2 FROM picked WHERE d.id = picked.dlq_id RETURNING picked.dlq_id, picked.signal_seq
       ), revived AS (
         UPDATE signals s SET state = 'received', attempts = 0, updated_at = $2
         FROM marked WHERE s.seq = marked.signal_seq AND s.state = 'dead'
         RETURNING s.seq, s.id, s.partition_key, marked.dlq_id
       ), q AS (
         INSERT INTO queue (seq, partition_key, not_before) SELECT seq, partition_key, 0 FROM revived
       ), o AS (
         INSERT INTO outbox (seq, msg_id, partition_key, created_at)
         SELECT seq, id || ':replay:' || dlq_id, partition_key, $2 FROM revived WHERE $3::boolean ORDER BY seq
       ), e AS (
         INSERT INTO signal_events (signal_seq, type, at, detail)
         SELECT seq, 'replayed', $2, json_build_object('deadLetterId', dlq_id)::text FROM revived
       )
       SELECT id, seq FROM revived ORDER BY seq`,
      [ids, now, this.delivery === 'outbox'],
    );
    if (rows.length > 0) this.listeners.notify();
    return { replayed: rows.map((r) => r.id) };
  }

  async purge(signalId: string, now: number): Promise<boolean> {
    this.checkOpen();
    const rows = await this.read<{ seq: number }>(
      'journal purge failed',
      `WITH p AS (
         UPDATE dead_letters SET purged_at = $2 WHERE signal_id = $1 AND replayed_at IS NULL AND purged_at IS NULL RETURNING id, signal_seq
       )
       INSERT INTO signal_events (signal_seq, type, at, detail)
       SELECT signal_seq, 'purged', $2, json_build_object('deadLetterId', id)::text FROM p RETURNING signal_seq AS seq`,
      [signalId, now],
    );
    return rows.length > 0;
  }

  // -- internals -------------------------------------------------------------------------

  private async commitAppends(items: readonly PreparedSignal[]): Promise<(AppendResult | Error)[]> {
    // One round trip: the key locks, the duplicate lookup, the numbering and the inserts run
    // in the server (migrations/006-append-function.ts), as one statement and so one transaction.
    const col = <K extends keyof PreparedSignal>(k: K) => items.map((f) => f[k]);
    const rows = await this.db.query<{ kind: 'inserted' | 'found'; id: string; source: string; dedup_key: string; seq: number }>(
      'the journal could not commit',
      'SELECT kind, id, source, dedup_key, seq FROM append_signals($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)',
      [
        col('id'),
        col('source'),
        col('dedupKey'),
        col('receivedAt'),
        col('remoteAddr'),
        col('headers'),
        col('body'),
        col('payload'),
        col('account'),
        col('symbol'),
        col('partitionKey'),
        this.delivery === 'outbox',
      ],
    );
    const stored = new Map<string, { id: string; seq: number }>();
    const inserted = new Map<string, { id: string; seq: number }>();
    for (const r of rows) (r.kind === 'inserted' ? inserted : stored).set(dedupOf(r.source, r.dedup_key), { id: r.id, seq: r.seq });
    const firstInBatch = new Set<string>();
    return items.map((item): AppendResult | Error => {
      const k = dedupOf(item.source, item.dedupKey);
      const before = stored.get(k);
      if (before) return { status: 'duplicate', id: before.id, seq: before.seq };
      const mine = inserted.get(k);
      if (!mine) return new HedgehookError('HH_ERR_INTERNAL', `signal id ${item.id} is already used by another delivery`);
      // The first occurrence in the batch is the accepted one; later repeats are its duplicates.
      if (firstInBatch.has(k)) return { status: 'duplicate', id: mine.id, seq: mine.seq };
      firstInBatch.add(k);
      return { status: 'accepted', id: mine.id, seq: mine.seq };
    });
  }

  private async commitRejections(items: readonly PreparedRejection[]): Promise<true[]> {
    await this.db.transaction('rejections could not be stored', async (c) => {
      const col = <K extends keyof PreparedRejection>(k: K) => items.map((i) => i[k]);
      await c.query(
        `INSERT INTO rejections (at, source, remote_addr, status, code, reason, body_excerpt, headers)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[])`,
        [col('at'), col('source'), col('remoteAddr'), col('status'), col('code'), col('reason'), col('bodyExcerpt'), col('headers')],
      );
      this.rejectionsSincePrune += items.length;
      if (this.rejectionsSincePrune >= 1000) {
        await c.query('DELETE FROM rejections WHERE seq <= (SELECT max(seq) FROM rejections) - $1', [this.maxRejections]);
        this.rejectionsSincePrune = 0;
      }
    });
    return items.map(() => true as const);
  }

  /** The DLQ entry and the dead state in one statement; `where` picks the signal ($1 seq). */
  private async kill(where: string, params: unknown[]): Promise<number> {
    // $1 seq, $2 reason, $3 error JSON, $4 now, $5 event detail JSON (deadLetterId added here), $6 fence.
    const rows = await this.read<{ seq: number }>(
      'journal dead-letter failed',
      `WITH s AS (
         UPDATE signals SET state = 'dead', last_error = $3, updated_at = $4 WHERE ${where} RETURNING seq, id, attempts
       ), d AS (
         INSERT INTO dead_letters (signal_seq, signal_id, reason, attempts, last_error, dead_at)
         SELECT seq, id, $2, attempts, $3, $4 FROM s RETURNING id, signal_seq
       ), q AS (DELETE FROM queue WHERE seq IN (SELECT seq FROM s))
       INSERT INTO signal_events (signal_seq, type, at, detail)
       SELECT signal_seq, 'dead', $4, ($5::jsonb || jsonb_build_object('deadLetterId', id))::text FROM d RETURNING signal_seq AS seq`,
      params,
    );
    return rows.length;
  }

  private async renewLeases(): Promise<void> {
    if (this.closed || this.leased.size === 0) return;
    try {
      await this.db.query('lease renewal failed', `UPDATE queue SET lease_until = ${DB_NOW} + $2 WHERE lease_owner = $1 AND seq = ANY($3::bigint[])`, [
        this.owner,
        this.leaseMs,
        [...this.leased],
      ]);
    } catch (err) {
      this.logger.warn({ err }, 'could not renew the leases of running deliveries');
    }
  }

  private applied(rows: number, delivery: Delivery, op: string): boolean {
    if (rows === 1) return true;
    this.logger.warn({ signalId: delivery.id, attempt: delivery.attempt, op }, 'stale delivery ignored: the signal is not processing under this attempt');
    return false;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private async read<R extends object>(what: string, sql: string, params: unknown[] = []): Promise<R[]> {
    this.checkOpen();
    return this.db.query<R & Record<string, unknown>>(what, sql, params) as Promise<R[]>;
  }
}

function dedupOf(source: string, dedupKey: string): string {
  return `${source}\u0000${dedupKey}`;
}

function noNul(text: string): string {
  return text.replace(/\u0000/g, '\uFFFD');
}


