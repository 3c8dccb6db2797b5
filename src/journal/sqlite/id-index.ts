/**
 * The signal id → seq index, kept off the acknowledgement's commit.
 *
 * Why: a signal id is a hash, so a B-tree index on it takes every insert to a random leaf
 * page, and every commit writes each page it dirtied to the WAL, fsyncs it, and later
 * checkpoints it into the database file at another random place. With the id's UNIQUE
 * index in `signals`, a commit of 30 appends to a journal of 50k signals wrote 54 pages
 * to the WAL, 17 without that index; the service wrote 11.1–11.8 KB per acknowledged
 * webhook, 7.2–7.9 KB with this index (numbers and commands in
 * docs/performance.md). Writing the index at the worker's claim instead moved the pages to the
 * worker's commits but did not lessen the disk traffic.
 *
 * How: the ids of the newest signals live in memory (`recent`, id → seq). Every few
 * seconds, or every few thousand signals, the journal's background thread (the one that
 * checkpoints, checkpointer.ts) merges them, sorted, into a file of
 * their own (`<journal>-ids`) in one transaction: thousands of ids then share each leaf
 * page they land on, instead of one page each. Lookups ask `recent` first, then a Bloom
 * filter of the file's ids (id-filter.ts), and the file itself only when the filter says
 * the id may be there: a new id, the usual case, is answered from memory.
 *
 * The file is derived data, never the truth: `signals` is. It records which journal it
 * indexes and up to which seq (`merged_through`, in the same transaction as the ids), and
 * at open whatever it lacks is merged again or held in `recent`; if it belongs to another
 * journal, is ahead of this one (a journal restored from a backup) or cannot be read, it
 * is rebuilt from `signals`. A hit is only a candidate: the caller checks the row at that
 * seq carries the id. Another process appending to the same journal is caught up with
 * (`catchUp`) inside each appending transaction, under the journal's write lock.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { JournalLogger } from '../types.ts';
import type { MergeClient, MergeRunner } from './checkpointer.ts';
import { IdFilter } from './id-filter.ts';

/** The index's file is the journal's path plus this. */
export const ID_INDEX_SUFFIX = '-ids';

/** When ids are merged into the file; see IdIndexTuning. */
const DEFAULTS: Required<IdIndexTuning> = { thread: true, mergeCount: 4096, mergeIntervalMs: 1000, openChunk: 50_000 };

/**
 * 512 KiB of page cache per connection to the index (this one, the thread's): a merge
 * reads each page it lands on once, and a lookup's few pages come from the OS's cache a
 * syscall away. SQLite's 2 MiB default is memory the service's budget has no room for.
 */
const CACHE_PRAGMA = 'cache_size = -512';

/** Ids read into the filter per turn of the event loop at open (about 5 ms each). */
const FILL_SLICE = 5000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

/** The index's SQL, shared with the thread that merges (checkpointer.ts): one source for both. */
const SQL = {
  range: 'SELECT id, seq FROM signals WHERE seq > ? AND seq <= ?',
  /** SQLite sorts (in C, in its own bounded memory): no JavaScript array of thousands of rows. */
  sorted: 'SELECT id, seq FROM signals WHERE seq > ? AND seq <= ? ORDER BY id',
  insert: 'INSERT OR REPLACE INTO ids (id, seq) VALUES (?, ?)',
  getMerged: "SELECT value FROM meta WHERE key = 'merged_through'",
  setMerged: "INSERT OR REPLACE INTO meta (key, value) VALUES ('merged_through', ?)",
};

export interface IdIndexTuning {
  /** Merge on the journal's background thread when it has one (default); false merges on the event loop. */
  thread?: boolean;
  /**
   * Merge once this many ids wait in memory (default 4096, under half a second at full
   * load)… Bigger merges write less (more ids per leaf page) but hold more memory: RSS
   * after three rounds at full load 140–141 MB at 2048 or 4096, 144–148 MB at 8192;
   * bytes written per acknowledged webhook 9.2–9.5, 7.2–7.9 and 6.7–6.8 KB.
   */
  mergeCount?: number;
  /** …or once the oldest has waited this long (default 1000 ms). */
  mergeIntervalMs?: number;
  /** At open, a gap larger than this is merged first, in transactions of this many ids (default 50,000). */
  openChunk?: number;
}

export interface IdIndexOptions extends IdIndexTuning {
  /** The journal's own connection (reads only: its rows, its identity). */
  journal: Db;
  journalPath: string;
  busyTimeoutMs: number;
  logger: JournalLogger;
  /** The background thread (checkpointer.ts), given what to merge; absent: merges run here. */
  runner?: (client: MergeClient) => MergeRunner;
}

export class IdIndex {
  /** Ids of signals after `mergedThrough`, in seq order (appends come in seq order). */
  private readonly recent = new Map<string, number>();
  /**
   * Every id in the file (a superset, never missing one) once `filterReady`: a new id then
   * skips the file's lookup. Ids reach it as they are merged, and those the file held at
   * open are read in by `fillFilter`, in slices between other work.
   */
  private readonly filter = new IdFilter();
  private filterReady = false;
  private filling: NodeJS.Immediate | undefined;
  private readonly db: Db;
  private readonly s: { lookup: Statement; slice: Statement; maxSeq: Statement; range: Statement; sorted: Statement; insert: Statement; getMerged: Statement; setMerged: Statement };
  private readonly journal: Db;
  private readonly logger: JournalLogger;
  /** The highest journal seq whose id is merged or in `recent`. */
  private knownMax: number;
  private mergedThrough: number;
  private merging = false;
  private oldestWaitingSince: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private runner: MergeRunner | undefined;
  private closing = false;
  private merges = 0;
  private failures = 0;
  private readonly counts = { skipped: 0, file: 0 };
  private readonly tuning: Required<IdIndexTuning>;

  constructor(options: IdIndexOptions) {
    this.journal = options.journal;
    this.logger = options.logger;
    this.tuning = {
      thread: options.thread ?? DEFAULTS.thread,
      mergeCount: options.mergeCount ?? DEFAULTS.mergeCount,
      mergeIntervalMs: options.mergeIntervalMs ?? DEFAULTS.mergeIntervalMs,
      openChunk: options.openChunk ?? DEFAULTS.openChunk,
    };
    const path = options.journalPath + ID_INDEX_SUFFIX;
    this.db = openIndexFile(path, options.busyTimeoutMs, options.logger);
    this.s = {
      lookup: this.db.prepare('SELECT seq FROM ids WHERE id = ?').pluck(),
      slice: this.db.prepare('SELECT id FROM ids WHERE id > ? ORDER BY id LIMIT ?').pluck(),
      maxSeq: this.journal.prepare('SELECT MAX(seq) FROM signals').pluck(),
      range: this.journal.prepare(SQL.range),
      sorted: this.journal.prepare(SQL.sorted).raw(),
      insert: this.db.prepare(SQL.insert),
      getMerged: this.db.prepare(SQL.getMerged).pluck(),
      setMerged: this.db.prepare(SQL.setMerged),
    };
    try {
      this.mergedThrough = this.adopt();
      const max = Number(this.s.maxSeq.get() ?? 0);
      const chunk = this.tuning.openChunk;
      if (max - this.mergedThrough > chunk) {
        this.logger.info({ from: this.mergedThrough, to: max }, 'building the signal id index');
        while (max - this.mergedThrough > chunk) this.mergeHere(this.mergedThrough + chunk);
      }
      for (const r of this.s.range.all(this.mergedThrough, max) as { id: string; seq: number }[]) this.recent.set(r.id, r.seq);
      this.knownMax = max;
      if (this.recent.size > 0) this.oldestWaitingSince = Date.now();
      if (this.tuning.thread && options.runner) this.runner = options.runner(this.client(path));
      this.fillFilter('');
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** The seq this id was appended at, if it was: a candidate the caller checks against the row. */
  lookup(id: string): number | undefined {
    const seq = this.recent.get(id);
    if (seq !== undefined) return seq;
    if (this.filterReady && !this.filter.mayHave(id)) {
      this.counts.skipped++;
      return undefined;
    }
    this.counts.file++;
    const stored = this.s.lookup.get(id) as number | undefined;
    return stored === undefined ? undefined : Number(stored);
  }

  /** An append in the current transaction (taken back by `remove` if it rolls back). */
  add(id: string, seq: number): void {
    this.recent.set(id, seq);
    this.oldestWaitingSince ??= Date.now();
  }

  remove(id: string, seq: number): void {
    if (this.recent.get(id) === seq) this.recent.delete(id);
  }

  /**
   * Inside an appending transaction (the journal's write lock held): takes in the rows
   * another process appended since this one last looked, so their ids are found too.
   */
  catchUp(): void {
    const max = Number(this.s.maxSeq.get() ?? 0);
    if (max <= this.knownMax) return;
    for (const r of this.s.range.all(this.knownMax, max) as { id: string; seq: number }[]) this.add(r.id, r.seq);
    this.knownMax = max;
  }

  /** After a commit: `seq` is the highest seq it appended (0 for none). May start a merge. */
  committed(seq: number): void {
    if (seq > this.knownMax) this.knownMax = seq;
    if (this.closing || this.merging || this.recent.size === 0) return;
    if (this.recent.size >= this.tuning.mergeCount || Date.now() - (this.oldestWaitingSince ?? Date.now()) >= this.tuning.mergeIntervalMs) this.merge();
    else this.timer ??= this.armTimer();
  }

  /** Ids held in memory, merges done (for tests and stats). */
  get stats(): { waiting: number; merges: number; mergedThrough: number; failures: number } {
    return { waiting: this.recent.size, merges: this.merges, mergedThrough: this.mergedThrough, failures: this.failures };
  }

  /** Lookups past `recent`: answered by the filter alone (`skipped`), or asked of the file. */
  get lookups(): { skipped: number; file: number; filterIds: number; filterBytes: number } {
    return { ...this.counts, filterIds: this.filter.size, filterBytes: this.filter.bytes };
  }

  /** Before the thread closes (a merge in progress there commits or rolls back: either is safe). */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.filling) clearImmediate(this.filling);
    this.filling = undefined;
    try {
      this.db.close();
    } catch (err) {
      this.logger.error({ err }, 'closing the signal id index failed');
    }
  }

  /** Reads `merged_through`, first emptying an index that is not this journal's or is ahead of it. */
  private adopt(): number {
    const journalId = this.journal.prepare("SELECT value FROM meta WHERE key = 'journal_id'").pluck().get() as string | undefined;
    const owner = this.db.prepare("SELECT value FROM meta WHERE key = 'journal'").pluck().get() as string | undefined;
    const merged = Number(this.s.getMerged.get() ?? 0);
    const max = Number(this.s.maxSeq.get() ?? 0);
    if (journalId !== undefined && owner === journalId && merged <= max) return merged;
    if (owner !== undefined) this.logger.warn({ owner, journalId, merged, max }, 'the signal id index does not match the journal; rebuilding it');
    this.db.transaction(() => {
      this.db.exec('DELETE FROM ids');
      this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('journal', ?)").run(journalId ?? '');
      this.s.setMerged.run('0');
    }).immediate();
    return 0;
  }

  /**
   * Reads the file's ids into the filter, FILL_SLICE at a time in key order, each slice in
   * its own turn of the event loop: about 0.9 s per million ids in all (measured), which a
   * start-up should not wait for, and which must not hold up webhooks in one piece.
   */
  private fillFilter(after: string): void {
    let last: string | undefined;
    let n = 0;
    try {
      for (const id of this.s.slice.iterate(after, FILL_SLICE) as IterableIterator<string>) {
        this.filter.add(id);
        last = id;
        n++;
      }
    } catch (err) {
      // Lookups keep asking the file: slower, never wrong.
      this.logger.error({ err }, 'reading the signal id index into memory failed; lookups use the file');
      return;
    }
    if (n < FILL_SLICE) {
      this.filterReady = true;
      return;
    }
    this.filling = setImmediate(() => {
      this.filling = undefined;
      if (!this.closing) this.fillFilter(last!);
    });
    this.filling.unref();
  }

  private armTimer(): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timer = undefined;
      this.committed(0);
    }, this.tuning.mergeIntervalMs);
    t.unref();
    return t;
  }

  private merge(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const through = this.knownMax;
    if (this.runner?.merge(through)) {
      this.merging = true;
      return;
    }
    try {
      this.mergeHere(through);
    } catch (err) {
      // Nothing is lost: the ids stay in memory, and the next merge takes them along.
      this.failures++;
      this.oldestWaitingSince = Date.now();
      this.logger.error({ err, waiting: this.recent.size }, 'merging the signal id index failed; its ids stay in memory until a merge succeeds');
    }
  }

  /** The thread's merge, on this thread: at open, and when there is no thread. */
  private mergeHere(through: number): void {
    this.db.transaction(() => {
      const from = Number(this.s.getMerged.get() ?? 0);
      if (through <= from) return;
      for (const [id, seq] of this.s.sorted.iterate(from, through) as IterableIterator<[string, number]>) this.s.insert.run(id, seq);
      this.s.setMerged.run(String(through));
    }).immediate();
    this.merged(through);
  }

  /** Ids up to `through` are in the file now: `recent` lets go of them. */
  private merged(through: number): void {
    this.merges++;
    if (through > this.mergedThrough) this.mergedThrough = through;
    for (const [id, seq] of this.recent) {
      if (seq > through) continue;
      this.filter.add(id);
      this.recent.delete(id);
    }
    this.oldestWaitingSince = this.recent.size > 0 ? Date.now() : undefined;
  }

  /** What the thread needs, and its answers. */
  private client(idsPath: string): MergeClient {
    return {
      idsPath,
      sql: SQL,
      cachePragma: CACHE_PRAGMA,
      merged: (through) => {
        this.merging = false;
        this.merged(through);
        this.committed(0);
      },
      // Without the thread, merges run on the journal's thread: slower commits now and then, nothing lost.
      mergeFailed: (err) => {
        this.merging = false;
        this.failures++;
        this.runner = undefined;
        this.logger.warn({ err }, 'merging the signal id index on the background thread failed; merging on the main thread');
        if (!this.closing) this.committed(0);
      },
    };
  }
}

/** Opens (creating) the index file; one that cannot be read as SQLite is deleted and made anew. */
function openIndexFile(path: string, busyTimeoutMs: number, logger: JournalLogger): Db {
  for (let attempt = 0; ; attempt++) {
    let db: Db | undefined;
    try {
      db = new Database(path, { timeout: busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      // Derived data: a commit a power cut takes is merged again from the journal at open.
      db.pragma('synchronous = NORMAL');
      db.pragma(CACHE_PRAGMA);
      db.exec(SCHEMA);
      return db;
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code;
      if (attempt > 0 || (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT')) throw err;
      logger.warn({ err, path }, 'the signal id index is unreadable; rebuilding it');
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    }
  }
}
