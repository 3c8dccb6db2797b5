import type { Database } from 'better-sqlite3';
import { HedgehookError } from '../../../core/errors.ts';

export interface TableRebuild {
  table: string;
  /** The migration, for the refusal's message (`"005"`). */
  migration: string;
  /**
   * The change to the stored CREATE TABLE text: `pattern` (global) must match exactly once,
   * and is replaced by `replacement`. Any other count refuses the migration rather than
   * guess at a schema someone edited by hand. `what` names the match in that refusal.
   */
  change: { pattern: RegExp; replacement: string; what: string };
}

/** A migration's refusal: nothing was changed (it runs before any write of the rebuild). */
function refuse(migration: string, detail: string): never {
  throw new HedgehookError('HH_ERR_JOURNAL_UNAVAILABLE', `journal migration ${migration}: ${detail}; the journal is unchanged`, { retryable: false });
}

/**
 * Changes a table in a way ALTER TABLE cannot (drop a constraint, AUTOINCREMENT), by
 * SQLite's procedure (https://www.sqlite.org/lang_altertable.html#otheralter): create the
 * new table from the stored CREATE text with `change` applied, copy the rows, drop the old
 * table, rename the new one, recreate the indexes and triggers the drop took along. Run it
 * from a migration marked `rebuildsTables`, so that migrate() turns foreign keys off and
 * checks them before the commit: the rows of other tables keep pointing at the same keys.
 *
 * The AUTOINCREMENT high-water mark is kept when the new table still has AUTOINCREMENT (the
 * copy would set it to MAX(key), lower if the last rows were deleted: a key must never be
 * handed out twice), and dropped with it otherwise. Every row and index entry is written
 * again, once: on a large journal the first start of the new version takes a while.
 */
export function rebuildTable(db: Database, rebuild: TableRebuild): void {
  const { table, migration } = rebuild;
  const stored = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(table) as string | undefined;
  if (stored === undefined) refuse(migration, `the table ${table} is missing`);
  const head = new RegExp(`^CREATE\\s+TABLE\\s+(?:${table}|"${table}")\\s*\\(`, 'i');
  if (!head.test(stored)) refuse(migration, `the stored schema of ${table} does not start with "CREATE TABLE ${table} ("`);
  const staging = `${table}_new`;
  const { pattern, replacement, what } = rebuild.change;
  const found = stored.match(pattern)?.length ?? 0;
  if (found !== 1) refuse(migration, `expected one ${what} in the stored schema of ${table}, found ${found}`);
  const create = stored.replace(pattern, replacement).replace(head, `CREATE TABLE ${staging} (`);

  const columns = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => `"${c.name.replaceAll('"', '""')}"`).join(', ');
  // Autoindexes (sql NULL) come back with the constraints of the CREATE text.
  const dependents = db
    .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL")
    .pluck()
    .all(table) as string[];
  const sequence = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck().get(table) as number | undefined;

  db.exec(create);
  db.exec(`INSERT INTO ${staging} (${columns}) SELECT ${columns} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${staging} RENAME TO ${table}`);
  for (const statement of dependents) db.exec(statement);
  db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(table);
  if (sequence !== undefined && /\bAUTOINCREMENT\b/i.test(create)) db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(table, sequence);

  const check = db.pragma('integrity_check', { simple: true });
  if (check !== 'ok') refuse(migration, `integrity check failed after rebuilding ${table}: ${String(check)}`);
}
