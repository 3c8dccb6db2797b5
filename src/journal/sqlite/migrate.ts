/**
 * Versioned schema migrations. PRAGMA user_version is the truth (it lives in the file
 * header and changes atomically with the migration's transaction); `schema_version` keeps
 * a human-readable history. Migrations run under BEGIN IMMEDIATE and re-read the version
 * inside it, so a CLI and the service opening the same file at once migrate it once.
 */
import type { Database } from 'better-sqlite3';
import { HedgehookError } from '../../core/errors.ts';
import type { JournalLogger } from '../types.ts';

export interface Migration {
  version: number;
  name: string;
  /** SQL run with exec(), or a function for data migrations. */
  up: string | ((db: Database) => void);
  /**
   * Set when `up` rebuilds a table that others reference (create new, copy, drop old,
   * rename: https://www.sqlite.org/lang_altertable.html#otheralter). With foreign keys on,
   * dropping the old table fails on the rows that reference it, so migrate() turns them
   * off for the run. `PRAGMA foreign_keys` is a no-op inside a transaction, hence a flag
   * that migrate() reads before BEGIN rather than a pragma in `up`; PRAGMA
   * foreign_key_check before the commit makes up for the checks that were off.
   */
  rebuildsTables?: boolean;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((v, m) => Math.max(v, m.version), 0);
}

function userVersion(db: Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/** Brings the schema to the latest version; returns it. */
export function migrate(db: Database, migrations: readonly Migration[], logger: JournalLogger, now: () => number = Date.now): number {
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  ordered.forEach((m, i) => {
    if (m.version !== i + 1) throw new HedgehookError('HH_ERR_INTERNAL', `journal migrations must be numbered 1, 2, 3…; found ${m.version} at position ${i + 1}`);
  });
  const latest = latestVersion(ordered);
  const check = (current: number) => {
    if (current > latest) {
      throw new HedgehookError(
        'HH_ERR_JOURNAL_UNAVAILABLE',
        `the journal has schema version ${current}, newer than this hedgehook knows (${latest}); upgrade hedgehook`,
        { retryable: false },
      );
    }
  };
  const before = userVersion(db);
  check(before);
  if (before === latest) return latest;

  // Another process may migrate first (the version is re-read below): then fewer
  // migrations run, never more, so this flag covers whatever runs.
  const rebuilds = ordered.some((m) => m.version > before && m.rebuildsTables);
  const foreignKeysWereOn = rebuilds && Number(db.pragma('foreign_keys', { simple: true })) === 1;
  if (foreignKeysWereOn) db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      const current = userVersion(db);
      check(current);
      db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
        version    INTEGER PRIMARY KEY,
        name       TEXT    NOT NULL,
        applied_at INTEGER NOT NULL
      )`);
      const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
      for (const m of ordered) {
        if (m.version <= current) continue;
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(m.version, m.name, now());
        logger.info({ version: m.version, name: m.name }, 'journal schema migrated');
      }
      if (rebuilds) assertForeignKeys(db);
      db.pragma(`user_version = ${latest}`);
    }).immediate();
  } finally {
    if (foreignKeysWereOn) db.pragma('foreign_keys = ON');
  }
  return latest;
}

/** Throws, rolling the migration back, when a row references a parent that is not there. */
function assertForeignKeys(db: Database): void {
  const violations = db.pragma('foreign_key_check') as { table: string; rowid: number | null; parent: string }[];
  if (violations.length === 0) return;
  const first = violations.slice(0, 5).map((v) => `${v.table} rowid ${String(v.rowid)} → ${v.parent}`).join(', ');
  throw new HedgehookError(
    'HH_ERR_JOURNAL_UNAVAILABLE',
    `journal migration left ${violations.length} row(s) referencing missing rows (${first}); rolled back, the journal is unchanged`,
    { retryable: false },
  );
}
