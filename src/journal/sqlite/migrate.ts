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
  check(userVersion(db));
  if (userVersion(db) === latest) return latest;

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
    db.pragma(`user_version = ${latest}`);
  }).immediate();
  return latest;
}
