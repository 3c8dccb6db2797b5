/**
 * WAL checkpoints on a thread of their own, so they never stall the event loop.
 *
 * Why: in WAL mode every commit appends pages to the -wal file; a checkpoint copies them
 * back into the database file and fsyncs it. SQLite runs it inside the COMMIT that
 * crosses `wal_autocheckpoint` pages, on the thread that committed: with the journal on
 * the event loop that was a 5–10 ms stall every few hundred webhooks, which is the p99 of
 * the ack latency (measured with bench/journal-batches.ts, `commitMs.p99`).
 *
 * How: a worker thread holds a second connection to the file and runs
 * `PRAGMA wal_checkpoint(PASSIVE)` when the journal says it committed, at most every
 * `intervalMs` (200 ms). PASSIVE never takes the write lock, so commits go on meanwhile; the
 * writer restarts the WAL from its start once everything is copied. The journal's own
 * connection keeps a large `wal_autocheckpoint` as a safety net, for when this thread
 * falls behind or is gone: then the WAL is checkpointed the old way, never left to grow.
 * Durability is SQLite's: a checkpoint is crash-safe whoever runs it.
 *
 * The same thread merges the signal id index (id-index.ts) when the index asks: one
 * thread instead of two keeps ~8 MB of memory (a worker thread's own heap and loop), and
 * its connection to the journal reads the rows to merge.
 *
 * The thread's code is plain JavaScript evaluated from a string: it must load without
 * the TypeScript loader the service runs under.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { JournalLogger } from '../types.ts';

const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
  db.pragma('synchronous = ' + workerData.synchronous);
  // This connection never writes pages itself, so it must never checkpoint on its own either.
  db.pragma('wal_autocheckpoint = 0');
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message) });
}
// The id index's merges (id-index.ts): opened on the first one.
let merge;
function merging(m) {
  if (merge) return merge;
  const sql = m.sql;
  const ids = new Database(m.idsPath, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
  ids.pragma('synchronous = NORMAL');
  ids.pragma(m.cachePragma);
  const sorted = db.prepare(sql.sorted).raw();
  const insert = ids.prepare(sql.insert);
  const getMerged = ids.prepare(sql.getMerged).pluck();
  const setMerged = ids.prepare(sql.setMerged);
  merge = {
    ids,
    run: ids.transaction((through) => {
      const from = Number(getMerged.get() ?? 0);
      if (through <= from) return;
      for (const r of sorted.iterate(from, through)) insert.run(r[0], r[1]);
      setMerged.run(String(through));
    }),
  };
  return merge;
}
const closed = new Int32Array(workerData.closed);
parentPort.on('message', (m) => {
  if (m && m.merge !== undefined) {
    try {
      if (!db) throw new Error('the thread has no connection to the journal');
      merging(m).run.immediate(m.merge);
      parentPort.postMessage({ merged: m.merge });
    } catch (err) {
      parentPort.postMessage({ mergeError: String(err && err.message) });
    }
    return;
  }
  if (m === 'close') {
    try { if (merge) merge.ids.close(); } catch {}
    try { if (db) db.close(); } catch {}
    Atomics.store(closed, 0, 1);
    Atomics.notify(closed, 0);
    parentPort.close();
    return;
  }
  if (!db) return;
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    parentPort.postMessage({ done: true, busy: r.busy, log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
});
`;

export interface CheckpointerOptions {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
  /**
   * Least time between two checkpoints while commits keep coming (default 200 ms). Each
   * checkpoint's fsync of the database file slows the journal's own WAL fsyncs while it
   * runs (one disk, one filesystem journal): fewer, larger checkpoints disturb less.
   * Measured under strace at ~5k appends/s: the event loop's fsync time per 10k appends
   * 5.6–6.4 s inline, 1.1–1.3 s at 50 ms, 0.75–1.1 s at 250 ms; at 1 s the WAL grows
   * and it rises again (1.8–2.3 s).
   */
  intervalMs?: number;
  logger: JournalLogger;
  /** Called once if the thread fails: the journal then checkpoints on its own again. */
  onFailure(): void;
}

interface ThreadMessage {
  done?: boolean;
  error?: string;
  busy?: number;
  log?: number;
  checkpointed?: number;
  merged?: number;
  mergeError?: string;
}

/** What `PRAGMA wal_checkpoint(PASSIVE)` answered. */
export interface CheckpointResult {
  /** Another connection held a lock it needed; it copied what it could. */
  busy: boolean;
  walFrames: number;
  copiedFrames: number;
}

/** What the thread needs to merge the id index, and whom it tells (id-index.ts). */
export interface MergeClient {
  idsPath: string;
  sql: { sorted: string; insert: string; getMerged: string; setMerged: string };
  cachePragma: string;
  merged(through: number): void;
  /** The merge did not happen (it failed, or the thread is gone): the index merges on its own. */
  mergeFailed(err: unknown): void;
}

/** Runs merges on the thread. */
export interface MergeRunner {
  /** Posts a merge of everything through `through`; false when the thread is gone. */
  merge(through: number): boolean;
}

export class Checkpointer {
  private readonly worker: Worker;
  private readonly intervalMs: number;
  private running = false;
  private dirty = false;
  private lastStart = 0;
  private timer: NodeJS.Timeout | undefined;
  private failed = false;
  private closing = false;
  /** Set to 1 by the thread once its connection is closed (see close()). */
  private readonly closedFlag = new Int32Array(new SharedArrayBuffer(4));
  private checkpoints = 0;
  private lastResult: CheckpointResult | undefined;
  private mergeClient: MergeClient | undefined;
  private mergeInFlight = false;

  constructor(private readonly options: CheckpointerOptions) {
    this.intervalMs = options.intervalMs ?? 200;
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        path: options.path,
        synchronous: options.synchronous === 'full' ? 'FULL' : 'NORMAL',
        busyTimeoutMs: options.busyTimeoutMs,
        driver: createRequire(import.meta.url).resolve('better-sqlite3'),
        closed: this.closedFlag.buffer,
      },
      // It runs one PRAGMA at a time: a small heap keeps the service's memory down.
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      stdout: false,
      stderr: false,
    });
    this.worker.on('message', (m: ThreadMessage) => {
      if (m.merged !== undefined || m.mergeError !== undefined) {
        this.mergeInFlight = false;
        if (m.merged !== undefined) this.mergeClient?.merged(m.merged);
        else this.mergeClient?.mergeFailed(new Error(m.mergeError));
        return;
      }
      if (m.error !== undefined) return this.fail(new Error(m.error));
      if (!m.done) return;
      this.running = false;
      this.checkpoints++;
      this.lastResult = { busy: m.busy === 1, walFrames: m.log ?? 0, copiedFrames: m.checkpointed ?? 0 };
      if (this.dirty) this.schedule();
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`checkpoint thread exited with code ${code}`));
    });
    // A checkpoint thread must never keep the process alive (after the listeners: adding
    // a message listener references the thread again).
    this.worker.unref();
  }

  /** The journal committed: the WAL grew. */
  committed(): void {
    if (this.failed || this.closing) return;
    this.dirty = true;
    if (!this.running && !this.timer) this.schedule();
  }

  /** The id index's merges run on this thread too, one at a time between checkpoints. */
  mergesFor(client: MergeClient): MergeRunner {
    this.mergeClient = client;
    return {
      merge: (through) => {
        if (this.failed || this.closing) return false;
        this.mergeInFlight = true;
        this.worker.postMessage({ merge: through, idsPath: client.idsPath, sql: client.sql, cachePragma: client.cachePragma });
        return true;
      },
    };
  }

  /** Checkpoints run so far, and what the latest one did (for tests and stats). */
  get count(): number {
    return this.checkpoints;
  }

  get last(): CheckpointResult | undefined {
    return this.lastResult;
  }

  /**
   * Closes the thread's connection and returns once it is closed: synchronously, so that
   * the journal's close() stays synchronous too (callers delete the files right after).
   * Waits for a checkpoint in progress, at most `timeoutMs`; the thread then exits.
   */
  close(timeoutMs = 5000): void {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.failed) return;
    this.worker.postMessage('close');
    if (Atomics.wait(this.closedFlag, 0, 0, timeoutMs) === 'timed-out') {
      this.options.logger.warn({ timeoutMs }, 'WAL checkpoint thread did not close in time; terminating it');
      void this.worker.terminate();
    }
  }

  private schedule(): void {
    const wait = this.lastStart + this.intervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.start();
      }, wait);
      this.timer.unref();
      return;
    }
    this.start();
  }

  private start(): void {
    if (this.failed || this.closing || this.running) return;
    this.dirty = false;
    this.running = true;
    this.lastStart = Date.now();
    this.worker.postMessage('checkpoint');
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.options.logger.warn({ err }, 'WAL checkpoint thread failed; the journal checkpoints on its own');
    this.options.onFailure();
    if (this.mergeInFlight) {
      this.mergeInFlight = false;
      this.mergeClient?.mergeFailed(err);
    }
    void this.worker.terminate();
  }
}
