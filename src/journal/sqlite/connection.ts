/**
 * A second connection to the journal's file for the registry and the controls (model
 * store, kill switch). It is separate from the journal's own connection on purpose: these
 * writes are rare operator actions (`model use`, `halt`) from the CLI or the API, they
 * commit on their own with a full fsync, and they never join the journal's group commits.
 * WAL lets the service, the CLI and this connection read and write the same file; a write
 * waits up to `busyTimeoutMs` for another process's lock.
 */
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { HedgehookError } from '../../core/errors.ts';
import { unavailable } from '../common.ts';
import { silentLogger, type JournalLogger } from '../types.ts';
import { migrate } from './migrate.ts';
import { MIGRATIONS } from './migrations/index.ts';

/**
 * 2 MiB of page cache per connection instead of the 16 MiB better-sqlite3 compiles in: in
 * a long-running service each connection's cache fills up to its limit as the journal
 * grows, and there are three (journal, state, order legs). Pages not cached come from the
 * OS page cache, a syscall away. Measured with `serve` after 5 s at 32 connections: RSS
 * 141–144 MB against 153–159 MB, CPU per webhook within the noise (288–327 against
 * 311–373 µs, 3 interleaved pairs on a shared machine).
 */
export const PAGE_CACHE_PRAGMA = 'cache_size = -2048';

export interface StateConnectionOptions {
  busyTimeoutMs?: number;
  logger?: JournalLogger;
}

/**
 * Opens (creating and migrating when needed) the journal file at `path`: every connection
 * to it, the journal's own included, is set up here. `synchronous` is FULL unless the
 * connection's writes are ones a power cut may lose (see order-store.ts, journal.ts).
 */
export function openStateConnection(path: string, options: StateConnectionOptions & { synchronous?: 'full' | 'normal' } = {}): Db {
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(PAGE_CACHE_PRAGMA);
    db.pragma('foreign_keys = ON');
    migrate(db, MIGRATIONS, options.logger ?? silentLogger);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof HedgehookError) throw err;
    throw unavailable(`cannot open the journal at ${path}`, err);
  }
}

/** Runs a statement, turning a SQLite failure (locked, closed, disk) into HH_ERR_JOURNAL_UNAVAILABLE. */
export function guarded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HedgehookError) throw err;
    throw unavailable(what, err);
  }
}

/** A connection handed in may predate migration 002: bring it up to date (a no-op when it is). */
export function migrateConnection(db: Db, options: StateConnectionOptions = {}): void {
  guarded('cannot migrate the journal', () => migrate(db, MIGRATIONS, options.logger ?? silentLogger));
}
